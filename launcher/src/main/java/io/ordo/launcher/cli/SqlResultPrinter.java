package io.ordo.launcher.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Value;
import io.ordo.proto.SqlColumn;
import io.ordo.proto.SqlResult;
import io.ordo.proto.SqlRow;
import java.io.PrintWriter;
import java.util.Map;

/**
 * Prints the results of {@code ordo sql}: for people, a statement that returns rows as an aligned
 * {@link TextTable} followed by {@code (N rows)}, any other by its command tag ({@code INSERT 0
 * 1}); with {@code --json}, every result as one JSON object per line: {@code
 * {"command":"SELECT 2","columns":[{"name":"id","type":"BIGINT"}],"rows":[["1"],["2"]]}} with the
 * values as the gateway sent them (sql.proto: BIGINT and DECIMAL as strings, JSONB as JSON).
 *
 * <p>Cells for people: NULL empty (as psql shows it), booleans {@code t}/{@code f}, integral
 * numbers without a fraction, JSON documents compact, and line breaks, tabs and other control
 * characters escaped ({@code \n}, {@code \t}, {@code \u0001}) so a row stays on one line.
 */
final class SqlResultPrinter {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** Integral doubles up to 2^53 print as integers: every one of them is exact. */
  private static final double EXACT_INTEGER_MAX = 0x1p53;

  private final PrintWriter out;
  private final boolean json;

  SqlResultPrinter(PrintWriter out, boolean json) {
    this.out = out;
    this.json = json;
  }

  /** Whether results print as JSON lines. */
  boolean json() {
    return json;
  }

  /**
   * The one-line JSON object of a push query's message: {@code {"columns":[...]}}, {@code
   * {"row":[...]}} or {@code {"position":"..."}}.
   */
  static String toJson(io.ordo.proto.SqlPushResponse message) {
    ObjectNode node = NODES.objectNode();
    if (message.getColumnsCount() > 0) {
      ArrayNode columns = node.putArray("columns");
      for (SqlColumn c : message.getColumnsList()) {
        columns.addObject().put("name", c.getName()).put("type", c.getType());
      }
    } else if (message.hasRow()) {
      ArrayNode row = node.putArray("row");
      for (Value v : message.getRow().getValuesList()) {
        row.add(toJson(v));
      }
    } else {
      node.put("position", message.getPosition());
    }
    try {
      return JSON.writeValueAsString(node);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always prints", e);
    }
  }

  /** Prints one statement's result. */
  void print(SqlResult result) {
    if (json) {
      out.println(toJson(result));
      return;
    }
    if (result.getColumnsCount() == 0) {
      out.println(result.getCommandTag());
      return;
    }
    String[] headers = result.getColumnsList().stream().map(SqlColumn::getName).toArray(String[]::new);
    TextTable table = new TextTable(headers);
    for (SqlRow row : result.getRowsList()) {
      Object[] cells = new Object[headers.length];
      for (int c = 0; c < cells.length; c++) {
        cells[c] = c < row.getValuesCount() ? cell(row.getValues(c)) : "";
      }
      table.row(cells);
    }
    table.print(out);
    int n = result.getRowsCount();
    out.println(n == 1 ? "(1 row)" : "(" + n + " rows)");
  }

  /** The one-line JSON object of a result (see the class comment). */
  static String toJson(SqlResult result) {
    ObjectNode node = NODES.objectNode();
    node.put("command", result.getCommandTag());
    ArrayNode columns = node.putArray("columns");
    for (SqlColumn column : result.getColumnsList()) {
      columns.addObject().put("name", column.getName()).put("type", column.getType());
    }
    ArrayNode rows = node.putArray("rows");
    for (SqlRow row : result.getRowsList()) {
      ArrayNode values = rows.addArray();
      for (Value value : row.getValuesList()) {
        values.add(toJson(value));
      }
    }
    try {
      return JSON.writeValueAsString(node);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a tree of JSON nodes always prints", e);
    }
  }

  /** {@code value} as JSON; integral numbers as integers. */
  static JsonNode toJson(Value value) {
    switch (value.getKindCase()) {
      case BOOL_VALUE:
        return NODES.booleanNode(value.getBoolValue());
      case NUMBER_VALUE:
        {
          double d = value.getNumberValue();
          return isExactInteger(d) ? NODES.numberNode((long) d) : NODES.numberNode(d);
        }
      case STRING_VALUE:
        return NODES.textNode(value.getStringValue());
      case LIST_VALUE:
        {
          ArrayNode array = NODES.arrayNode();
          value.getListValue().getValuesList().forEach(v -> array.add(toJson(v)));
          return array;
        }
      case STRUCT_VALUE:
        {
          ObjectNode object = NODES.objectNode();
          for (Map.Entry<String, Value> field : value.getStructValue().getFieldsMap().entrySet()) {
            object.set(field.getKey(), toJson(field.getValue()));
          }
          return object;
        }
      default:
        return NODES.nullNode();
    }
  }

  /** The text of a table cell (see the class comment). */
  static String cell(Value value) {
    switch (value.getKindCase()) {
      case BOOL_VALUE:
        return value.getBoolValue() ? "t" : "f";
      case NUMBER_VALUE:
        {
          double d = value.getNumberValue();
          return isExactInteger(d) ? Long.toString((long) d) : Double.toString(d);
        }
      case STRING_VALUE:
        return escape(value.getStringValue());
      case LIST_VALUE:
      case STRUCT_VALUE:
        try {
          return escape(JSON.writeValueAsString(toJson(value)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new IllegalStateException("a tree of JSON nodes always prints", e);
        }
      default:
        return "";
    }
  }

  private static boolean isExactInteger(double d) {
    return d == Math.rint(d) && Math.abs(d) <= EXACT_INTEGER_MAX;
  }

  /** Control characters as escapes, so that a cell stays on its line. */
  static String escape(String s) {
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      String replacement =
          switch (c) {
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            default -> Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : null;
          };
      if (replacement != null && sb == null) {
        sb = new StringBuilder(s.length() + 8).append(s, 0, i);
      }
      if (sb != null) {
        if (replacement != null) {
          sb.append(replacement);
        } else {
          sb.append(c);
        }
      }
    }
    return sb == null ? s : sb.toString();
  }
}
