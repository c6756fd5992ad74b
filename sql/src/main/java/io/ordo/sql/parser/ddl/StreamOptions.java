package io.ordo.sql.parser.ddl;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.calcite.sql.SqlLiteral;
import org.apache.calcite.sql.SqlWriter;

/** Shared handling of {@code WITH (name = literal, ...)} options (streams, materialized views). */
final class StreamOptions {
  private StreamOptions() {}

  static Map<String, SqlLiteral> copy(Map<String, SqlLiteral> options) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(options));
  }

  static void unparse(SqlWriter writer, Map<String, SqlLiteral> options) {
    if (options.isEmpty()) {
      return;
    }
    writer.keyword("WITH");
    SqlWriter.Frame frame = writer.startList("(", ")");
    for (Map.Entry<String, SqlLiteral> e : options.entrySet()) {
      writer.sep(",");
      writer.identifier(e.getKey(), true);
      writer.keyword("=");
      e.getValue().unparse(writer, 0, 0);
    }
    writer.endList(frame);
  }
}
