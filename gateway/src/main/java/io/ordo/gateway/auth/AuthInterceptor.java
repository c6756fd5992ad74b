package io.ordo.gateway.auth;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Objects;
import java.util.Optional;

/**
 * Authenticates every gRPC call by its {@code authorization: Bearer <token>} metadata and checks
 * the permission its method needs ({@link MethodPermissions}). A refused call is closed before
 * the service sees it, with UNAUTHENTICATED (no or unknown token) or PERMISSION_DENIED (a token
 * whose permission does not cover the method), so nothing it asked for happens. An allowed
 * call runs with its {@link Principal} in {@link #PRINCIPAL} (the Sql service restricts its
 * sessions by it).
 */
public final class AuthInterceptor implements ServerInterceptor {
  /** The metadata key of the bearer token (HTTP/2 header names are lower case). */
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** The authenticated caller of the current call; absent for open methods. */
  public static final Context.Key<Principal> PRINCIPAL = Context.key("ordo-principal");

  private final BearerAuth auth;

  public AuthInterceptor(BearerAuth auth) {
    this.auth = Objects.requireNonNull(auth, "auth");
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    BearerAuth.Decision decision =
        auth.check(headers.get(AUTHORIZATION), MethodPermissions.needed(method), method);
    if (decision instanceof BearerAuth.Unauthenticated u) {
      return refuse(call, Status.UNAUTHENTICATED.withDescription(u.reason()));
    }
    if (decision instanceof BearerAuth.Denied d) {
      return refuse(call, Status.PERMISSION_DENIED.withDescription(d.reason()));
    }
    Optional<Principal> principal = ((BearerAuth.Allowed) decision).principal();
    if (principal.isEmpty()) {
      return next.startCall(call, headers);
    }
    Context context = Context.current().withValue(PRINCIPAL, principal.get());
    return Contexts.interceptCall(context, call, headers, next);
  }

  private static <ReqT, RespT> ServerCall.Listener<ReqT> refuse(
      ServerCall<ReqT, RespT> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
