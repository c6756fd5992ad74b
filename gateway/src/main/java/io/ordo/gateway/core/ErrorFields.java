package io.ordo.gateway.core;

import io.grpc.Metadata;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Machine-readable fields of an error that a service puts in the gRPC trailers of a failed call,
 * besides the status code and description, and that the REST side copies into its JSON error
 * body. Today the SQL service's: the SQLSTATE ({@value #SQLSTATE_TRAILER}, five characters) and
 * the 1-based character position of the error in the statement text ({@value
 * #POSITION_TRAILER}, a decimal integer, absent when the error has none); REST shows them as
 * {@code "sqlstate"} (a string) and {@code "position"} (a number).
 */
public final class ErrorFields {
  private ErrorFields() {}

  /** Trailer with the SQLSTATE of a failed SQL statement. */
  public static final String SQLSTATE_TRAILER = "ordo-sqlstate";

  /** Trailer with the 1-based position of the error in the statement text. */
  public static final String POSITION_TRAILER = "ordo-sql-position";

  /** The key of {@value #SQLSTATE_TRAILER}. */
  public static final Metadata.Key<String> SQLSTATE =
      Metadata.Key.of(SQLSTATE_TRAILER, Metadata.ASCII_STRING_MARSHALLER);

  /** The key of {@value #POSITION_TRAILER}. */
  public static final Metadata.Key<String> POSITION =
      Metadata.Key.of(POSITION_TRAILER, Metadata.ASCII_STRING_MARSHALLER);

  /** Trailers carrying a SQLSTATE and, when {@code position > 0}, a position. */
  public static Metadata sqlTrailers(String sqlState, int position) {
    Metadata trailers = new Metadata();
    trailers.put(SQLSTATE, sqlState);
    if (position > 0) {
      trailers.put(POSITION, Integer.toString(position));
    }
    return trailers;
  }

  /**
   * The fields of {@code trailers} for a JSON error body, in a fixed order: {@code "sqlstate"} as
   * a String and {@code "position"} as an Integer, each only when present and well formed (a
   * malformed one is left out rather than passed on). Empty for null trailers.
   */
  public static Map<String, Object> jsonFields(Metadata trailers) {
    Map<String, Object> fields = new LinkedHashMap<>();
    if (trailers == null) {
      return fields;
    }
    String sqlState = trailers.get(SQLSTATE);
    if (sqlState != null && sqlState.length() == 5) {
      fields.put("sqlstate", sqlState);
    }
    String position = trailers.get(POSITION);
    if (position != null) {
      try {
        int parsed = Integer.parseInt(position);
        if (parsed > 0) {
          fields.put("position", parsed);
        }
      } catch (NumberFormatException e) {
        // Not ours to pass on.
      }
    }
    return fields;
  }
}
