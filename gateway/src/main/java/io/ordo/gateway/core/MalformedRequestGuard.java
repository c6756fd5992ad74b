package io.ordo.gateway.core;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes a malformed request message (bytes that do not parse as the method's request type) an
 * INVALID_ARGUMENT with the parser's reason.
 *
 * <p>Why: grpc-java parses requests before the service sees them and turns a parse failure into
 * UNKNOWN ("Application error processing RPC"), which tells the client neither that its input
 * was at fault nor why. Here each method's request marshaller is wrapped so that a failure
 * becomes a {@link Malformed} marker instead of an exception, and the call handler answers the
 * marker with INVALID_ARGUMENT before the service is involved. Well-formed requests pass through
 * unchanged (including the in-process transport's zero-copy path).
 */
public final class MalformedRequestGuard {
  private MalformedRequestGuard() {}

  /** What the wrapped marshaller returns instead of throwing. */
  private record Malformed(String reason) {}

  /**
   * Returns {@code service} with every method's request parsing guarded. The service descriptor
   * keeps its name and schema descriptor, so server reflection still describes it.
   */
  public static ServerServiceDefinition guard(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(original.getName())
            .setSchemaDescriptor(original.getSchemaDescriptor());
    // Methods in the order of the original descriptor: the service definition's own map has no
    // defined order, and nothing here should depend on one.
    for (MethodDescriptor<?, ?> method : original.getMethods()) {
      ServerMethodDefinition<?, ?> guarded = guardMethod(service.getMethod(method.getFullMethodName()));
      methods.add(guarded);
      descriptor.addMethod(guarded.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(descriptor.build());
    for (ServerMethodDefinition<?, ?> method : methods) {
      builder.addMethod(method);
    }
    return builder.build();
  }

  private static <ReqT, RespT> ServerMethodDefinition<Object, RespT> guardMethod(
      ServerMethodDefinition<ReqT, RespT> definition) {
    MethodDescriptor<ReqT, RespT> method = definition.getMethodDescriptor();
    MethodDescriptor.Marshaller<ReqT> requests = method.getRequestMarshaller();
    MethodDescriptor.Marshaller<Object> lenient =
        new MethodDescriptor.Marshaller<>() {
          @Override
          @SuppressWarnings("unchecked")
          public InputStream stream(Object value) {
            return requests.stream((ReqT) value);
          }

          @Override
          public Object parse(InputStream stream) {
            try {
              return requests.parse(stream);
            } catch (StatusRuntimeException e) {
              Throwable cause = e.getCause() == null ? e : e.getCause();
              return new Malformed(
                  "malformed request message for "
                      + method.getFullMethodName()
                      + ": "
                      + cause.getMessage());
            } catch (RuntimeException e) {
              return new Malformed(
                  "malformed request message for " + method.getFullMethodName() + ": " + e);
            }
          }
        };
    MethodDescriptor<Object, RespT> guardedMethod =
        method.toBuilder(lenient, method.getResponseMarshaller()).build();
    ServerCallHandler<ReqT, RespT> handler = definition.getServerCallHandler();
    ServerCallHandler<Object, RespT> guardedHandler =
        (call, headers) -> {
          @SuppressWarnings("unchecked")
          ServerCall<ReqT, RespT> typedCall = (ServerCall<ReqT, RespT>) (ServerCall<?, RespT>) call;
          ServerCall.Listener<ReqT> delegate = handler.startCall(typedCall, headers);
          return new GuardListener<>(call, delegate);
        };
    return ServerMethodDefinition.create(guardedMethod, guardedHandler);
  }

  /**
   * Answers a {@link Malformed} message with INVALID_ARGUMENT and then hides the rest of the
   * call's request side from the service (which would otherwise try to close the call again).
   */
  private static final class GuardListener<ReqT, RespT>
      extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Object> {
    private final ServerCall<Object, RespT> call;
    private boolean rejected; // only touched on the call's serialized callback executor

    @SuppressWarnings("unchecked")
    GuardListener(ServerCall<Object, RespT> call, ServerCall.Listener<ReqT> delegate) {
      super((ServerCall.Listener<Object>) (ServerCall.Listener<?>) delegate);
      this.call = call;
    }

    @Override
    public void onMessage(Object message) {
      if (rejected) {
        return;
      }
      if (message instanceof Malformed malformed) {
        rejected = true;
        call.close(Status.INVALID_ARGUMENT.withDescription(malformed.reason()), new Metadata());
        return;
      }
      super.onMessage(message);
    }

    @Override
    public void onHalfClose() {
      if (!rejected) {
        super.onHalfClose();
      }
    }

    @Override
    public void onReady() {
      if (!rejected) {
        super.onReady();
      }
    }
  }
}
