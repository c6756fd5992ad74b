package io.ordo.sql.types;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * jsonb's input normalization and output style (PostgreSQL 15 {@code jsonb_in}/{@code
 * jsonb_out}): objects with keys ordered by UTF-8 length then bytes, the last of duplicate keys
 * kept, numbers as numeric text ({@code 1e2} is {@code 100}, {@code 1.50} keeps its zero), and
 * the separators {@code ", "} and {@code ": "}.
 */
final class PgJson {
  private PgJson() {}

  /** SQLSTATE untranslatable_character: PostgreSQL's answer to \\u0000 in jsonb. */
  static final String UNTRANSLATABLE_CHARACTER = "22P05";

  /** Nesting deeper than this is refused (PostgreSQL's limit is its stack depth). */
  static final int MAX_DEPTH = 1000;

  /** Enough for numeric's widest text: integer digits, point, scale, sign and an exponent. */
  private static final int NUMBER_MAX_LENGTH =
      PgText.NUMERIC_MAX_INTEGER_DIGITS + PgText.NUMERIC_MAX_DSCALE + 16;

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(MAX_DEPTH)
                  .maxNumberLength(NUMBER_MAX_LENGTH)
                  .build())
          .build();

  private static final Object NULL = new Object();

  /** Keys ordered as jsonb orders them: shorter UTF-8 first, then byte by byte. */
  private static int compareKeys(String a, String b) {
    byte[] x = a.getBytes(StandardCharsets.UTF_8);
    byte[] y = b.getBytes(StandardCharsets.UTF_8);
    if (x.length != y.length) {
      return Integer.compare(x.length, y.length);
    }
    return Arrays.compareUnsigned(x, y);
  }

  /**
   * The jsonb text of {@code text}.
   *
   * @throws SqlException 22P02 {@code invalid input syntax for type json} for text that is not
   *     one JSON value, 22P05 for an escaped NUL (backslash u0000) (jsonb cannot store it), 54000 beyond {@link
   *     #MAX_DEPTH} levels, 22003/22P02 for numbers numeric cannot hold
   */
  static String normalize(String text) throws SqlException {
    Object tree;
    try (JsonParser p = FACTORY.createParser(text)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        throw invalid(text);
      }
      tree = read(p, first);
      if (p.nextToken() != null) {
        throw invalid(text);
      }
    } catch (StreamConstraintsException e) {
      throw new SqlException(
          SqlState.PROGRAM_LIMIT_EXCEEDED, "jsonb value too complex: " + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw invalid(text);
    } catch (IOException e) {
      throw invalid(text); // a String source has no I/O; anything here is malformed input
    }
    StringBuilder sb = new StringBuilder(text.length() + 16);
    write(sb, tree);
    return sb.toString();
  }

  private static SqlException invalid(String text) {
    return new SqlException(
        SqlState.INVALID_TEXT_REPRESENTATION, "invalid input syntax for type json");
  }

  private static Object read(JsonParser p, JsonToken t) throws IOException, SqlException {
    switch (t) {
      case START_OBJECT: {
        Map<String, Object> map = new TreeMap<>(PgJson::compareKeys);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = checkString(p.currentName());
          map.put(key, read(p, p.nextToken())); // put: the last duplicate wins, as in jsonb
        }
        return map;
      }
      case START_ARRAY: {
        List<Object> list = new ArrayList<>();
        JsonToken e;
        while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
          list.add(read(p, e));
        }
        return list;
      }
      case VALUE_STRING:
        return checkString(p.getText());
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return PgText.parseDecimal(p.getText(), "json");
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return NULL;
      default:
        throw new JsonProcessingException("unexpected token " + t) {
          private static final long serialVersionUID = 1L;
        };
    }
  }

  private static String checkString(String s) throws SqlException {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\0') {
        throw new SqlException(
            UNTRANSLATABLE_CHARACTER, "unsupported Unicode escape sequence");
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
          continue;
        }
        throw new SqlException(
            SqlState.INVALID_TEXT_REPRESENTATION,
            "invalid input syntax for type json: a high surrogate must be followed by a low one");
      }
      if (Character.isLowSurrogate(c)) {
        throw new SqlException(
            SqlState.INVALID_TEXT_REPRESENTATION,
            "invalid input syntax for type json: a low surrogate must follow a high one");
      }
    }
    return s;
  }

  @SuppressWarnings("unchecked")
  private static void write(StringBuilder sb, Object v) {
    if (v instanceof Map) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<String, Object> e : ((Map<String, Object>) v).entrySet()) {
        if (!first) {
          sb.append(", ");
        }
        first = false;
        writeString(sb, e.getKey());
        sb.append(": ");
        write(sb, e.getValue());
      }
      sb.append('}');
    } else if (v instanceof List) {
      sb.append('[');
      boolean first = true;
      for (Object e : (List<Object>) v) {
        if (!first) {
          sb.append(", ");
        }
        first = false;
        write(sb, e);
      }
      sb.append(']');
    } else if (v instanceof String) {
      writeString(sb, (String) v);
    } else if (v instanceof BigDecimal) {
      sb.append(((BigDecimal) v).toPlainString());
    } else if (v == NULL) {
      sb.append("null");
    } else {
      sb.append(v); // Boolean
    }
  }

  /** PostgreSQL's escape_json: the short escapes, other control characters as lower-case \\u. */
  private static void writeString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          sb.append("\\\"");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        case '\b':
          sb.append("\\b");
          break;
        case '\f':
          sb.append("\\f");
          break;
        case '\n':
          sb.append("\\n");
          break;
        case '\r':
          sb.append("\\r");
          break;
        case '\t':
          sb.append("\\t");
          break;
        default:
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    sb.append('"');
  }
}
