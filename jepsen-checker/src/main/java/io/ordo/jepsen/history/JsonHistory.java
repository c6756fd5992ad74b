package io.ordo.jepsen.history;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * elle-cli-compatible JSON histories: a JSON array of op objects, one per line, e.g. {@code
 * {"index":0,"time":0,"process":0,"type":"invoke","f":"txn","value":[["append",1,2],["r",1,null]]}}.
 *
 * <p>Writing: keywords become their names ({@code :append} → {@code "append"}), the nemesis process
 * is {@code "nemesis"}, map keys are written as strings ({@code {0 100}} → {@code {"0":100}}),
 * {@code "error"} only when non-null.
 *
 * <p>Reading mirrors EDN: {@code "type"} and {@code "f"} are keyword names; when {@code f} is {@code
 * "txn"} the first element of each micro-op in the value becomes a {@link Keyword}; object keys
 * that are decimal integers become {@link Long}s and other object keys {@link Keyword}s (Jepsen's
 * maps are keyed by keywords or numbers); integers are {@link Long}s; all other strings stay
 * strings. So a history written as JSON reads back equal, and an EDN history converted to JSON and
 * back is equal unless it held keyword values other than f, type, micro-op functions and map keys
 * (e.g. an {@code :error :timeout} comes back as the string "timeout").
 *
 * <p>Unknown fields of an op are ignored, a missing index is the op's position, a missing time 0,
 * a missing f is "txn" when the value is a list of micro-ops, and old-style nemesis info/info
 * pairs read as invoke/info, as in {@link EdnHistory}.
 */
public final class JsonHistory {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonFactory FACTORY = MAPPER.getFactory();

  private JsonHistory() {}

  /**
   * Reads a history.
   *
   * @throws IOException on a read error or a JSON syntax error, naming the line and column
   * @throws IllegalArgumentException for JSON that is not a valid op or history, naming the op's
   *     position and line
   */
  public static History read(Reader in) throws IOException {
    List<Op> ops = new ArrayList<>();
    try (JsonParser p = FACTORY.createParser(in)) {
      JsonToken t = p.nextToken();
      if (t != JsonToken.START_ARRAY) {
        throw new IOException("line " + p.currentLocation().getLineNr() + ": expected a JSON array of ops, got " + t);
      }
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t == null) {
          throw new IOException("line " + p.currentLocation().getLineNr() + ": unterminated JSON array");
        }
        JsonLocation at = p.currentTokenLocation();
        String where = "op " + ops.size() + " (line " + at.getLineNr() + ")";
        JsonNode node = MAPPER.readTree(p);
        if (!node.isObject()) {
          throw new IllegalArgumentException(where + ": expected an op object, got " + node);
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
          fields.put(e.getKey(), convert(e.getValue()));
        }
        if (fields.get("f") == null && EdnHistory.OpMaps.looksLikeTxn(fields.get("value"))) {
          fields.put("f", "txn");
        }
        if ("txn".equals(fields.get("f")) && fields.get("value") instanceof List<?> mops) {
          fields.put("value", keywordizeMicroOps(mops));
        }
        ops.add(EdnHistory.OpMaps.toOp(fields, ops.size(), where));
      }
    } catch (JsonProcessingException e) {
      JsonLocation loc = e.getLocation();
      String where = loc == null ? "" : "line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ": ";
      throw new IOException(where + "JSON syntax error: " + e.getOriginalMessage(), e);
    }
    return History.of(EdnHistory.OpMaps.normalizeNemesis(ops));
  }

  /** Reads a history from a UTF-8 file; errors as {@link #read(Reader)}, prefixed by the file. */
  public static History read(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return read(r);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /** Writes {@code h} as a JSON array, one op per line. Does not close {@code out}. */
  public static void write(History h, Writer out) throws IOException {
    // One generator for all ops (creating one per op made writing several times slower); each op
    // goes through a small buffer so that the file has one op per line.
    java.io.StringWriter buffer = new java.io.StringWriter(256);
    try (JsonGenerator g = FACTORY.createGenerator(buffer)) {
      g.setPrettyPrinter(new com.fasterxml.jackson.core.util.MinimalPrettyPrinter(""));
      out.write("[");
      boolean first = true;
      for (Op op : h.ops()) {
        out.write(first ? "\n" : ",\n");
        first = false;
        writeOp(g, op);
        g.flush();
        out.append(buffer.getBuffer());
        buffer.getBuffer().setLength(0);
      }
    }
    out.write("\n]\n");
    out.flush();
  }

  /** One op as a JSON object on one line. */
  public static String opToString(Op op) {
    java.io.StringWriter sw = new java.io.StringWriter(96);
    try (JsonGenerator g = FACTORY.createGenerator(sw)) {
      writeOp(g, op);
    } catch (IOException e) {
      throw new IllegalStateException("writing to a StringWriter cannot fail", e);
    }
    return sw.toString();
  }

  private static void writeOp(JsonGenerator g, Op op) throws IOException {
    {
      g.writeStartObject();
      g.writeNumberField("index", op.index());
      g.writeNumberField("time", op.timeNanos());
      if (op.isNemesis()) {
        g.writeStringField("process", "nemesis");
      } else {
        g.writeNumberField("process", op.process());
      }
      g.writeStringField("type", op.type().keywordName());
      g.writeStringField("f", op.f());
      g.writeFieldName("value");
      writeValue(g, op.value());
      if (op.error() != null) {
        g.writeFieldName("error");
        writeValue(g, op.error());
      }
      g.writeEndObject();
    }
  }

  private static void writeValue(JsonGenerator g, Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof Keyword k) {
      g.writeString(k.name());
    } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      g.writeNumber(((Number) v).longValue());
    } else if (v instanceof BigInteger b) {
      g.writeNumber(b);
    } else if (v instanceof Double || v instanceof Float) {
      g.writeNumber(((Number) v).doubleValue());
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof CharSequence s) {
      g.writeString(s.toString());
    } else if (v instanceof Map<?, ?> m) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        Object k = e.getKey();
        g.writeFieldName(k instanceof Keyword kw ? kw.name() : String.valueOf(k));
        writeValue(g, e.getValue());
      }
      g.writeEndObject();
    } else if (v instanceof Collection<?> c) {
      g.writeStartArray();
      for (Object o : c) {
        writeValue(g, o);
      }
      g.writeEndArray();
    } else {
      throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as a history value: " + v);
    }
  }

  private static Object convert(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (n.isIntegralNumber()) {
      return n.canConvertToLong() ? (Object) n.longValue() : n.bigIntegerValue();
    }
    if (n.isNumber()) {
      return n.doubleValue();
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (n.isTextual()) {
      return n.textValue();
    }
    if (n.isArray()) {
      List<Object> out = new ArrayList<>(n.size());
      for (JsonNode c : n) {
        out.add(convert(c));
      }
      return Collections.unmodifiableList(out);
    }
    if (n.isObject()) {
      Map<Object, Object> out = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        out.put(mapKey(e.getKey()), convert(e.getValue()));
      }
      return Collections.unmodifiableMap(out);
    }
    throw new IllegalArgumentException("unsupported JSON value " + n);
  }

  private static Object mapKey(String k) {
    if (!k.isEmpty() && k.length() <= 19 && k.matches("-?[0-9]+")) {
      try {
        return Long.parseLong(k);
      } catch (NumberFormatException tooBig) {
        return k;
      }
    }
    return k.isEmpty() ? k : Keyword.of(k);
  }

  private static List<Object> keywordizeMicroOps(List<?> mops) {
    List<Object> out = new ArrayList<>(mops.size());
    for (Object m : mops) {
      if (m instanceof List<?> mop && !mop.isEmpty() && mop.get(0) instanceof String name && !name.isEmpty()) {
        List<Object> copy = new ArrayList<>(mop);
        copy.set(0, Keyword.of(name));
        out.add(Collections.unmodifiableList(copy));
      } else {
        out.add(m);
      }
    }
    return Collections.unmodifiableList(out);
  }
}
