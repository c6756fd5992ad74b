package io.ordo.gateway.core;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Times every call of a server and counts it by method and status code ({@link
 * GatewayMetrics#GRPC_REQUESTS}), and puts the method on the call's {@link Context} so that the
 * transactions the call runs are counted under it ({@link GatewayMetrics#TXN_RESULTS}).
 *
 * <p>A call is recorded once: when the server closes it, with its status, or, when the client
 * cancels it first, as CANCELLED. Only methods the server registered reach an interceptor, so
 * the method tag is bounded by the services.
 */
public final class GrpcMetricsInterceptor implements ServerInterceptor {
  /** The transport tag of calls that arrive over the network. */
  public static final String GRPC = "grpc";

  /** The transport tag of calls the REST server makes over the in-process channel. */
  public static final String REST = "rest";

  private final GatewayMetrics metrics;
  private final String transport;

  /**
   * @param metrics where calls are recorded
   * @param transport the transport tag, {@link #GRPC} or {@link #REST}
   */
  public GrpcMetricsInterceptor(GatewayMetrics metrics, String transport) {
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.transport = Objects.requireNonNull(transport, "transport");
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    long startNanos = metrics.now();
    AtomicBoolean recorded = new AtomicBoolean();
    ServerCall<ReqT, RespT> timed =
        new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            if (recorded.compareAndSet(false, true)) {
              metrics.grpcCall(method, status.getCode(), transport, metrics.now() - startNanos);
            }
            super.close(status, trailers);
          }
        };
    Context context = Context.current().withValue(GatewayMetrics.CALLER, method);
    ServerCall.Listener<ReqT> listener = Contexts.interceptCall(context, timed, headers, next);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onCancel() {
        if (recorded.compareAndSet(false, true)) {
          metrics.grpcCall(method, Status.Code.CANCELLED, transport, metrics.now() - startNanos);
        }
        super.onCancel();
      }
    };
  }
}
