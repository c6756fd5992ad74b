package io.ordo.gateway.rest;

import io.grpc.Status;

/**
 * The HTTP status of a gRPC status code on the REST side: INVALID_ARGUMENT, OUT_OF_RANGE and
 * FAILED_PRECONDITION 400 (as google.rpc.Code maps them: the request cannot succeed in the
 * resource's current state, e.g. a wrong expected offset or a closed shard, which is the client's
 * to fix), NOT_FOUND 404, ALREADY_EXISTS and ABORTED 409 (a conflict: for
 * SQL, a serialization failure to retry), RESOURCE_EXHAUSTED 429, CANCELLED 499 (the client
 * closed the request, as google.rpc.Code has it), DEADLINE_EXCEEDED 504, UNAVAILABLE 503, OK 200,
 * anything else 500. (A request body over {@code httpBodyBytesMax} gets 413 before any gRPC call.)
 */
public final class HttpStatuses {
  private HttpStatuses() {}

  /** The HTTP status for {@code code}. */
  public static int of(Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION -> 400;
      case NOT_FOUND -> 404;
      case UNAUTHENTICATED -> 401;
      case PERMISSION_DENIED -> 403;
      case ALREADY_EXISTS, ABORTED -> 409;
      case CANCELLED -> 499;
      case RESOURCE_EXHAUSTED -> 429;
      case DEADLINE_EXCEEDED -> 504;
      case UNAVAILABLE -> 503;
      default -> 500;
    };
  }
}
