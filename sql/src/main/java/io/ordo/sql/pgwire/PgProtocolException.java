package io.ordo.sql.pgwire;

/**
 * The client broke the PostgreSQL protocol (a malformed or unexpected message, a message over
 * the length limit). The server answers ErrorResponse 08P01 and closes that connection only.
 */
final class PgProtocolException extends Exception {
  private static final long serialVersionUID = 1L;

  PgProtocolException(String message) {
    super(message);
  }
}
