package io.ordo.sql.pgwire;

import java.util.List;
import java.util.Map;

/**
 * The frontend (client to server) messages of PostgreSQL's protocol 3.0 that Ordo reads,
 * decoded (PostgreSQL manual, "Frontend/Backend Protocol", §55.7). Strings are decoded from
 * UTF-8; parameter values stay bytes (null for SQL NULL) until their types are known.
 */
interface FrontendMessage {
  /** StartupMessage: protocol version (major.minor) and the name/value parameters, in order. */
  record Startup(int major, int minor, Map<String, String> parameters) implements FrontendMessage {}

  /** SSLRequest (code 80877103). */
  record SslRequest() implements FrontendMessage {}

  /** GSSENCRequest (code 80877104). */
  record GssEncRequest() implements FrontendMessage {}

  /** CancelRequest (code 80877102): the target's process id and secret key. */
  record CancelRequest(int processId, int secretKey) implements FrontendMessage {}

  /** Query ('Q'): the simple query protocol's SQL text. */
  record Query(String sql) implements FrontendMessage {}

  /** Parse ('P'): statement name ("" = unnamed), query text, declared parameter type OIDs. */
  record Parse(String statement, String query, List<Integer> parameterOids)
      implements FrontendMessage {}

  /**
   * Bind ('B'): portal and statement names, parameter format codes (none = all text, one = all
   * the same, else one per parameter), parameter values (null = NULL) and result format codes
   * (the same convention).
   */
  record Bind(
      String portal,
      String statement,
      List<Short> parameterFormats,
      List<byte[]> parameters,
      List<Short> resultFormats)
      implements FrontendMessage {}

  /** Describe ('D'): kind 'S' (statement) or 'P' (portal) and its name. */
  record Describe(char kind, String name) implements FrontendMessage {}

  /** Execute ('E'): portal name and the most rows to return (0 = all). */
  record Execute(String portal, int maxRows) implements FrontendMessage {}

  /** Close ('C'): kind 'S' or 'P' and its name. */
  record Close(char kind, String name) implements FrontendMessage {}

  /** Sync ('S'). */
  record Sync() implements FrontendMessage {}

  /** Flush ('H'). */
  record Flush() implements FrontendMessage {}

  /** Terminate ('X'). */
  record Terminate() implements FrontendMessage {}

  /**
   * A well-formed message Ordo does not implement: FunctionCall ('F') and the COPY messages
   * ('d', 'c', 'f'). Answered with 0A000; the connection stays up.
   */
  record Unsupported(char type) implements FrontendMessage {}
}
