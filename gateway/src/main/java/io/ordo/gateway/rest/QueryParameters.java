package io.ordo.gateway.rest;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A request's query string decoded into parameters: each name with its values, names in order of
 * first appearance and values in order of appearance ({@code ?a=1&b=2&a=3} is {@code a: [1, 3],
 * b: [2]}). A pair without {@code =} has the value {@code ""}; empty pairs ({@code &&}) are
 * skipped.
 *
 * <p>Decoding is that of HTML forms: {@code +} is a space, {@code %XX} escapes are UTF-8 bytes.
 * Immutable.
 */
public final class QueryParameters {
  /** Most parameter values (pairs) one query may carry. */
  public static final int PAIRS_MAX = 1_024;

  private static final QueryParameters EMPTY = new QueryParameters(Map.of());

  private final Map<String, List<String>> values;

  private QueryParameters(Map<String, List<String>> values) {
    this.values = values;
  }

  /** No parameters. */
  public static QueryParameters empty() {
    return EMPTY;
  }

  /**
   * Decodes a raw query ({@code URI.getRawQuery()}, without the {@code ?}).
   *
   * @param rawQuery the raw query, or null for none
   * @throws IllegalArgumentException on a malformed percent-escape, bytes that are not UTF-8, or
   *     more than {@link #PAIRS_MAX} pairs
   */
  public static QueryParameters parse(String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return EMPTY;
    }
    Map<String, List<String>> values = new LinkedHashMap<>();
    int pairs = 0;
    for (String pair : rawQuery.split("&", -1)) {
      if (pair.isEmpty()) {
        continue;
      }
      if (++pairs > PAIRS_MAX) {
        throw new IllegalArgumentException(
            "the query has more than " + PAIRS_MAX + " parameters");
      }
      int eq = pair.indexOf('=');
      String rawName = eq < 0 ? pair : pair.substring(0, eq);
      String name = decode(rawName, "query parameter name '" + rawName + "'");
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1), "query parameter '" + name + "'");
      values.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    }
    Map<String, List<String>> frozen = new LinkedHashMap<>();
    values.forEach((name, list) -> frozen.put(name, List.copyOf(list)));
    return new QueryParameters(Collections.unmodifiableMap(frozen));
  }

  /** The values of a parameter, in order; empty if it is absent. */
  public List<String> get(String name) {
    return values.getOrDefault(name, List.of());
  }

  /** These parameters without {@code name}. */
  public QueryParameters without(String name) {
    if (!values.containsKey(name)) {
      return this;
    }
    Map<String, List<String>> copy = new LinkedHashMap<>(values);
    copy.remove(name);
    return new QueryParameters(Collections.unmodifiableMap(copy));
  }

  /** Every parameter with its values, names in order of first appearance. */
  public Map<String, List<String>> asMap() {
    return values;
  }

  /** Whether there are no parameters. */
  public boolean isEmpty() {
    return values.isEmpty();
  }

  @Override
  public String toString() {
    return values.toString();
  }

  private static String decode(String raw, String what) {
    // '+' first: an escaped plus (%2B) must stay a plus.
    return PathTemplate.percentDecode(raw.replace('+', ' '), what);
  }
}
