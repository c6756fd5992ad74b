package io.ordo.gateway.rest;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A path template of a {@code google.api.http} rule, restricted to what Ordo's API uses: literal
 * segments and single-segment variables {@code {field}} or {@code {field=*}} naming a top-level
 * field. Multi-segment wildcards ({@code **}), nested field paths and verbs ({@code :verb}) are
 * rejected when the template is parsed.
 *
 * <p>Matching works on the raw (still percent-encoded) path: it is split at {@code /} first and
 * each variable segment is then percent-decoded as UTF-8, so a key may contain {@code /} as
 * {@code %2F}. A {@code +} stays a {@code +} (only query strings use it for spaces). Immutable.
 */
public final class PathTemplate {
  private static final Pattern LITERAL = Pattern.compile("[A-Za-z0-9._~-]+");
  private static final Pattern FIELD = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private final String template;
  private final List<String> literals; // null entries are variables
  private final List<String> variables; // parallel to literals; null entries are literals

  private PathTemplate(String template, List<String> literals, List<String> variables) {
    this.template = template;
    this.literals = literals;
    this.variables = variables;
  }

  /**
   * Parses a template such as {@code /v1/kv/{key}}.
   *
   * @throws IllegalArgumentException if the template is not of the supported form
   */
  public static PathTemplate parse(String template) {
    if (template == null || !template.startsWith("/") || template.length() < 2) {
      throw new IllegalArgumentException("path template must start with '/': " + template);
    }
    List<String> literals = new ArrayList<>();
    List<String> variables = new ArrayList<>();
    for (String segment : template.substring(1).split("/", -1)) {
      if (segment.startsWith("{") && segment.endsWith("}")) {
        String inner = segment.substring(1, segment.length() - 1);
        if (inner.endsWith("=*")) {
          inner = inner.substring(0, inner.length() - 2);
        }
        if (!FIELD.matcher(inner).matches()) {
          throw new IllegalArgumentException(
              "unsupported variable '" + segment + "' in path template " + template
                  + " (only {field} and {field=*} are supported)");
        }
        if (variables.contains(inner)) {
          throw new IllegalArgumentException(
              "variable '" + inner + "' appears twice in path template " + template);
        }
        literals.add(null);
        variables.add(inner);
      } else if (LITERAL.matcher(segment).matches()) {
        literals.add(segment);
        variables.add(null);
      } else {
        throw new IllegalArgumentException(
            "unsupported segment '" + segment + "' in path template " + template);
      }
    }
    return new PathTemplate(
        template, Collections.unmodifiableList(literals), Collections.unmodifiableList(variables));
  }

  /** The template as written in the proto. */
  public String template() {
    return template;
  }

  /** The variable names, in path order. */
  public List<String> variableNames() {
    List<String> names = new ArrayList<>();
    for (String variable : variables) {
      if (variable != null) {
        names.add(variable);
      }
    }
    return names;
  }

  /**
   * Matches a raw request path (as {@code URI.getRawPath()} returns it).
   *
   * @return the decoded variable values by name, in path order, or null if the path does not
   *     match
   * @throws IllegalArgumentException if the path matches but a variable segment is not valid
   *     percent-encoded UTF-8
   */
  public Map<String, String> match(String rawPath) {
    if (rawPath == null || !rawPath.startsWith("/")) {
      return null;
    }
    String[] segments = rawPath.substring(1).split("/", -1);
    if (segments.length != literals.size()) {
      return null;
    }
    for (int i = 0; i < segments.length; i++) {
      String literal = literals.get(i);
      if (literal != null && !literal.equals(segments[i])) {
        return null;
      }
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < segments.length; i++) {
      String variable = variables.get(i);
      if (variable != null) {
        values.put(variable, percentDecode(segments[i], "path variable '" + variable + "'"));
      }
    }
    return values;
  }

  /**
   * Whether some path matches both templates: the same number of segments, and at every position
   * equal literals or at least one variable (a variable matches any segment).
   */
  public boolean overlaps(PathTemplate other) {
    if (literals.size() != other.literals.size()) {
      return false;
    }
    for (int i = 0; i < literals.size(); i++) {
      String mine = literals.get(i);
      String theirs = other.literals.get(i);
      if (mine != null && theirs != null && !mine.equals(theirs)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return template;
  }

  /**
   * Decodes {@code %XX} escapes as UTF-8; every other character stands for itself.
   *
   * @param what names the text in error messages, e.g. {@code path variable 'key'}
   * @throws IllegalArgumentException on a malformed escape or bytes that are not UTF-8
   */
  static String percentDecode(String segment, String what) {
    if (segment.indexOf('%') < 0) {
      return segment;
    }
    ByteBuffer bytes = ByteBuffer.allocate(segment.length() * 3);
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (c == '%') {
        if (i + 2 >= segment.length()
            || Character.digit(segment.charAt(i + 1), 16) < 0
            || Character.digit(segment.charAt(i + 2), 16) < 0) {
          throw new IllegalArgumentException(
              what + " has a malformed percent-escape at index " + i);
        }
        bytes.put(
            (byte)
                (Character.digit(segment.charAt(i + 1), 16) * 16
                    + Character.digit(segment.charAt(i + 2), 16)));
        i += 2;
      } else {
        // Raw non-ASCII text (a lenient client) is taken as is, whole code points at a time.
        int codePoint = segment.codePointAt(i);
        bytes.put(new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(codePoint) - 1;
      }
    }
    bytes.flip();
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes)
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(
          what + " is not valid UTF-8 after percent-decoding", e);
    }
  }
}
