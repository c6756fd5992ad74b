package io.ordo.sql.encoding;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.proto.Value;
import io.ordo.proto.state.SqlViewDef;
import io.ordo.proto.state.SqlViewProgress;
import io.ordo.proto.state.SqlViewSource;
import io.ordo.sql.SqlException;
import io.ordo.sql.catalog.ViewDef;
import io.ordo.sql.catalog.ViewSource;
import java.util.ArrayList;
import java.util.List;

/**
 * Materialized views in the store (sql/ENCODING.md, "Materialized views"):
 *
 * <ul>
 *   <li>{@code "\u0000ordo/sql/catalog/view/" + name}: {@code Value{bytes}} of {@code
 *       SqlViewDef}; the view's rows are the table of the same name
 *   <li>{@code "\u0000ordo/view/" + viewId + "/progress"}: {@code Value{bytes}} of {@code
 *       SqlViewProgress}, the source position the rows reflect, written with them
 * </ul>
 *
 * <p>Stateless; thread-safe.
 */
public final class ViewCodec {
  private ViewCodec() {}

  /** Prefix of every view's catalog key (scan it to list views). */
  public static final String VIEW_KEY_PREFIX = "\u0000ordo/sql/catalog/view/";

  /** Prefix of the keys a view's job writes besides its rows. */
  public static final String STATE_KEY_PREFIX = "\u0000ordo/view/";

  /**
   * The catalog key of the view {@code name}.
   *
   * @throws SqlException 42602 / 22021 / 42622 for a bad name (as tables)
   */
  public static String viewKey(String name) throws SqlException {
    CatalogCodec.tableKey(name);
    return VIEW_KEY_PREFIX + name;
  }

  /** The key of the progress of the view with id {@code viewId}. */
  public static String progressKey(String viewId) {
    return STATE_KEY_PREFIX + viewId + "/progress";
  }

  public static Value encode(ViewDef def) throws SqlException {
    viewKey(def.name());
    SqlViewDef.Builder out = SqlViewDef.newBuilder()
        .setFormatVersion(CatalogCodec.FORMAT_VERSION)
        .setName(def.name())
        .setViewId(def.viewId())
        .setQuery(def.query())
        .setFlinkQuery(def.flinkQuery())
        .setSourceTable(def.sourceTable())
        .setSourceTableId(def.sourceTableId())
        .setAllowedLatenessMs(def.allowedLatenessMs())
        .setTimeColumn(def.timeColumn())
        .setStartPosition(def.startPosition());
    for (ViewSource source : def.sources()) {
      out.addSources(SqlViewSource.newBuilder()
          .setName(source.name()).setId(source.id()).setStream(source.stream()));
    }
    return Value.newBuilder().setBytes(out.build().toByteString()).build();
  }

  /**
   * Decodes a view definition written by {@link #encode}.
   *
   * @throws SqlException XX001 when the value is not one
   */
  public static ViewDef decode(Value value) throws SqlException {
    if (value.getKindCase() != Value.KindCase.BYTES) {
      throw SqlValues.corrupt("a view catalog entry is a " + value.getKindCase() + " value");
    }
    SqlViewDef def;
    try {
      def = SqlViewDef.parseFrom(value.getBytes());
    } catch (InvalidProtocolBufferException e) {
      throw SqlValues.corrupt("a view catalog entry does not parse: " + e.getMessage());
    }
    if (def.getFormatVersion() != CatalogCodec.FORMAT_VERSION) {
      throw SqlValues.corrupt("view " + def.getName() + " is stored in format "
          + Integer.toUnsignedString(def.getFormatVersion()) + ", which this version does not read");
    }
    List<ViewSource> sources = new ArrayList<>();
    for (SqlViewSource s : def.getSourcesList()) {
      sources.add(new ViewSource(s.getName(), s.getId(), s.getStream()));
    }
    if (sources.isEmpty()) {
      // Written by a build before sources: the one table.
      sources.add(new ViewSource(def.getSourceTable(), def.getSourceTableId(), false));
    }
    if (def.getAllowedLatenessMs() < 0) {
      throw SqlValues.corrupt("view " + def.getName() + " has a negative allowed lateness");
    }
    return new ViewDef(def.getName(), def.getViewId(), def.getQuery(), def.getFlinkQuery(),
        sources, def.getAllowedLatenessMs(), def.getTimeColumn(), def.getStartPosition());
  }

  public static Value encodeProgress(String position) {
    return Value.newBuilder()
        .setBytes(SqlViewProgress.newBuilder().setPosition(position).build().toByteString())
        .build();
  }

  /**
   * The position of a progress value.
   *
   * @throws SqlException XX001 when the value is not one
   */
  public static String decodeProgress(Value value) throws SqlException {
    try {
      if (value.getKindCase() == Value.KindCase.BYTES) {
        return SqlViewProgress.parseFrom(value.getBytes()).getPosition();
      }
    } catch (InvalidProtocolBufferException e) {
      // reported below
    }
    throw SqlValues.corrupt("a view progress entry is not one");
  }
}
