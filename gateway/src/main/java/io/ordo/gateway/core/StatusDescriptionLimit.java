package io.ordo.gateway.core;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Bounds the description of every status the server sends to {@link #DESCRIPTION_CHARS_MAX}
 * characters (the rest is replaced by a note of how much was cut).
 *
 * <p>Why: a description travels in the {@code grpc-message} trailer, and clients refuse header
 * blocks over their metadata limit (8 KiB by default in grpc-java) with a connection error that
 * fails every call on the connection, not just this one. Reasons that quote a client's input
 * (an overlong name, a malformed message) would otherwise grow with that input.
 */
public final class StatusDescriptionLimit implements ServerInterceptor {
  /** The longest description sent, in chars: far below any client's metadata limit. */
  public static final int DESCRIPTION_CHARS_MAX = 1_024;

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    return next.startCall(
        new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            super.close(bounded(status), trailers);
          }
        },
        headers);
  }

  /** {@code status} with its description cut to {@link #DESCRIPTION_CHARS_MAX} chars. */
  static Status bounded(Status status) {
    String d = status.getDescription();
    if (d == null || d.length() <= DESCRIPTION_CHARS_MAX) {
      return status;
    }
    String note = "... (" + (d.length() - DESCRIPTION_CHARS_MAX + 64) + " more chars cut)";
    int keep = DESCRIPTION_CHARS_MAX - 64;
    if (Character.isHighSurrogate(d.charAt(keep - 1))) {
      keep--;
    }
    return status.withDescription(d.substring(0, keep) + note);
  }
}
