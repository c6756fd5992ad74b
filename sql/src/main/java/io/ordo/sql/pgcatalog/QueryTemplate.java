package io.ordo.sql.pgcatalog;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One known client query written as SQL with holes, compiled to a regular expression anchored on
 * the whole {@linkplain SqlText#normalize normal form} of a statement.
 *
 * <p>Template syntax (inside the tool's own SQL text, which is normalized like the statements):
 * {@code {{name:kind}}} is a hole; {@code [[ ... ]]} is a part the tool adds or leaves out (not
 * nested); {@code [[name: ...]]} is one whose presence the answer needs. A name used twice must see the same text twice. Kinds:
 *
 * <ul>
 *   <li>{@code regex}: a string literal holding a POSIX regular expression (psql's patterns);
 *   <li>{@code like}: a parameter {@code $n} or a string literal, a LIKE pattern (pgjdbc); a
 *       parameter is typed text, as PostgreSQL infers it;
 *   <li>{@code eq}: a parameter or string literal compared with {@code =} to a name column; a
 *       parameter is typed name;
 *   <li>{@code any}: a parameter or string literal whose value does not change the answer;
 *   <li>{@code oidarg}, {@code boolarg}: a parameter or string literal used as an oid or a
 *       boolean; a parameter is typed so;
 *   <li>{@code oid}: a quoted or bare unsigned integer (psql quotes the oids it sends back);
 *   <li>{@code relkinds}: a list of one-character literals ({@code 'r','p',''});
 *   <li>{@code types}: pgjdbc's getTables type clauses ({@link JdbcQueries#TYPE_CLAUSES}).
 * </ul>
 */
final class QueryTemplate {
  /**
   * A string literal. Possessive quantifiers: a run of ordinary characters is one step, so long
   * literals neither backtrack nor recurse deeply.
   */
  private static final String LITERAL = "(?:e'(?:[^'\\\\]++|\\\\.|'')*+'|'(?:[^']++|'')*+')";
  /**
   * A bind parameter, a literal (maybe cast), or a parameter as pgjdbc inlines it in simple query
   * mode: {@code ('acc%')}, {@code ('22'::int4)}, {@code (NULL)}.
   */
  private static final String ARG = "(?:\\$[1-9][0-9]{0,4}|" + LITERAL + "(?:::[a-z_0-9]+)?|\\((?:"
      + LITERAL + "(?:::[a-z_0-9]+)?|null)\\))";
  private static final Pattern HOLE = Pattern.compile("\\{\\{([a-z0-9_]+):([a-z]+)}}");
  private static final Pattern OPTIONAL_NAME = Pattern.compile("([a-z][a-z0-9_]*):(?!:)");

  enum Kind {
    REGEX(LITERAL, null),
    LIKE(ARG, SqlType.TEXT),
    EQ(ARG, SqlType.NAME),
    ANY(ARG, SqlType.TEXT),
    /** A parameter or literal compared with an oid column; a parameter is typed oid. */
    OIDARG(ARG, SqlType.OID),
    /** A parameter or literal used as a boolean; a parameter is typed boolean. */
    BOOLARG(ARG, SqlType.BOOLEAN),
    OID("(?:'[0-9]{1,20}'|[0-9]{1,20})", null),
    RELKINDS("'[A-Za-z]?'(?:,'[A-Za-z]?'){0,15}", null),
    TYPES(null, null),
    /** A named optional part {@code [[name: ...]]}: only its presence counts. */
    FLAG(null, null);

    final String regex;
    final SqlType paramType;

    Kind(String regex, SqlType paramType) {
      this.regex = regex;
      this.paramType = paramType;
    }
  }

  private final Pattern pattern;
  private final Map<String, Kind> holes;

  private QueryTemplate(Pattern pattern, Map<String, Kind> holes) {
    this.pattern = pattern;
    this.holes = holes;
  }

  /**
   * Compiles a template.
   *
   * @throws IllegalArgumentException on a malformed template (a programming error)
   */
  static QueryTemplate compile(String template) {
    String text = SqlText.normalize(template)
        .orElseThrow(() -> new IllegalArgumentException("unterminated quote in template"));
    StringBuilder regex = new StringBuilder(text.length() * 2);
    Map<String, Kind> holes = new LinkedHashMap<>();
    boolean inOptional = false;
    int i = 0;
    while (i < text.length()) {
      int next = nextMarker(text, i);
      if (next > i) {
        regex.append(Pattern.quote(text.substring(i, next)));
      }
      if (next == text.length()) {
        break;
      }
      // Layout around a hole or an optional part differs between the template and the tool's
      // text only by the one space the normal form keeps between two word characters.
      regex.append(" ?");
      if (text.startsWith("[[", next)) {
        if (inOptional) {
          throw new IllegalArgumentException("nested [[ in template at " + next);
        }
        inOptional = true;
        Matcher named = OPTIONAL_NAME.matcher(text);
        if (named.find(next + 2) && named.start() == next + 2) {
          String name = named.group(1);
          if (holes.putIfAbsent(name, Kind.FLAG) != null) {
            throw new IllegalArgumentException("optional part " + name + " named twice");
          }
          regex.append("(?<").append(groupName(holes, name)).append('>');
          i = named.end();
        } else {
          regex.append("(?:");
          i = next + 2;
        }
      } else if (text.startsWith("]]", next)) {
        if (!inOptional) {
          throw new IllegalArgumentException("]] without [[ in template at " + next);
        }
        inOptional = false;
        regex.append(" ?)?");
        i = next + 2;
      } else {
        Matcher hole = HOLE.matcher(text);
        if (!hole.find(next) || hole.start() != next) {
          throw new IllegalArgumentException("bad hole in template at " + next);
        }
        String name = hole.group(1);
        Kind kind = Kind.valueOf(hole.group(2).toUpperCase(java.util.Locale.ROOT));
        Kind seen = holes.putIfAbsent(name, kind);
        if (seen != null) {
          if (seen != kind) {
            throw new IllegalArgumentException("hole " + name + " used with two kinds");
          }
          regex.append("\\k<").append(groupName(holes, name)).append('>');
        } else {
          String body = kind == Kind.TYPES ? JdbcQueries.typeClausesRegex() : kind.regex;
          regex.append("(?<").append(groupName(holes, name)).append('>').append(body).append(')');
        }
        regex.append(" ?");
        i = hole.end();
      }
    }
    if (inOptional) {
      throw new IllegalArgumentException("[[ without ]] in template");
    }
    return new QueryTemplate(Pattern.compile(regex.toString()), holes);
  }

  /** Java's group names allow no underscore: a hole's group is named by its position. */
  private static String groupName(Map<String, Kind> holes, String name) {
    int index = 0;
    for (String h : holes.keySet()) {
      if (h.equals(name)) {
        return "g" + index;
      }
      index++;
    }
    throw new IllegalStateException("unknown hole " + name);
  }

  private static int nextMarker(String text, int from) {
    int best = text.length();
    for (String m : new String[] {"{{", "[[", "]]"}) {
      int at = text.indexOf(m, from);
      if (at >= 0 && at < best) {
        best = at;
      }
    }
    return best;
  }

  /** The holes of a statement in normal form, or empty when it is not this query. */
  Optional<Holes> match(String normalized) {
    Matcher m = pattern.matcher(normalized);
    if (!m.matches()) {
      return Optional.empty();
    }
    Map<String, String> texts = new HashMap<>();
    for (String name : holes.keySet()) {
      String g = m.group(groupName(holes, name));
      if (g != null) {
        texts.put(name, g);
      }
    }
    return Optional.of(new Holes(texts, holes));
  }

  /** The text of each hole of one matched statement, with its parameter references. */
  static final class Holes {
    private final Map<String, String> texts;
    private final Map<String, Kind> kinds;

    private Holes(Map<String, String> texts, Map<String, Kind> kinds) {
      this.texts = texts;
      this.kinds = kinds;
    }

    /** Whether the tool put this hole's optional part in the statement. */
    boolean present(String name) {
      return texts.containsKey(name);
    }

    /** The hole's raw text in normal form (e.g. a relkind list or pgjdbc's type clauses). */
    String raw(String name) {
      String t = texts.get(name);
      if (t == null) {
        throw new IllegalStateException("hole " + name + " is absent");
      }
      return t;
    }

    /**
     * The parameter types {@code $1..$n} the statement implies: by the kind of the hole each
     * parameter fills, {@link SqlType#UNKNOWN} for a parameter used in no hole.
     */
    List<SqlType> parameterTypes() {
      Map<Integer, SqlType> byIndex = new HashMap<>();
      int max = 0;
      for (Map.Entry<String, String> e : texts.entrySet()) {
        String t = e.getValue();
        Kind kind = kinds.get(e.getKey());
        if (t.startsWith("$") && kind.paramType != null) {
          int index = Integer.parseInt(t.substring(1));
          byIndex.put(index, kind.paramType);
          max = Math.max(max, index);
        }
      }
      List<SqlType> types = new ArrayList<>(max);
      for (int i = 1; i <= max; i++) {
        types.add(byIndex.getOrDefault(i, SqlType.UNKNOWN));
      }
      return types;
    }

    /**
     * The hole's value: the decoded literal, or the bound parameter as text ({@code null} for
     * SQL NULL).
     *
     * @throws SqlException 08P01 when the statement refers to a parameter that was not bound
     */
    String value(String name, List<Object> params) throws SqlException {
      String t = raw(name);
      if (t.startsWith("$")) {
        int index = Integer.parseInt(t.substring(1));
        if (index > params.size()) {
          throw new SqlException(SqlState.PROTOCOL_VIOLATION, "the statement refers to parameter $"
              + index + " but " + params.size() + " parameters were bound");
        }
        Object v = params.get(index - 1);
        return v == null ? null : String.valueOf(v);
      }
      if (kinds.get(name) == Kind.OID) {
        return t.startsWith("'") ? t.substring(1, t.length() - 1) : t;
      }
      if (t.startsWith("(")) {
        t = t.substring(1, t.length() - 1);
        if (t.equals("null")) {
          return null;
        }
      }
      int cast = t.lastIndexOf("'::");
      return SqlText.decodeLiteral(cast > 0 ? t.substring(0, cast + 1) : t);
    }
  }
}
