package io.ordo.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.ordo.proto.GetRequest;
import io.ordo.proto.GetResponse;
import io.ordo.proto.OrdoGrpc;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A status description that quotes a long input is cut before it leaves the server. Found by
 * fuzzing: descriptions over the client's metadata limit (8 KiB) made the client fail the whole
 * connection, and with it every call in flight on it, with INTERNAL.
 */
class StatusDescriptionLimitTest {
  @Test
  void longDescriptionsAreCutAndShortOnesKept() throws Exception {
    String name = "limit-" + System.nanoTime();
    Server server = InProcessServerBuilder.forName(name)
        .addService(new OrdoGrpc.OrdoImplBase() {
          @Override
          public void get(GetRequest request, StreamObserver<GetResponse> responses) {
            responses.onError(Status.INVALID_ARGUMENT
                .withDescription("key '" + request.getKey() + "' is invalid").asRuntimeException());
          }
        })
        .intercept(new StatusDescriptionLimit())
        .build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    try {
      OrdoGrpc.OrdoBlockingStub stub = OrdoGrpc.newBlockingStub(channel);
      StatusRuntimeException longOne = catchThrowableOfType(StatusRuntimeException.class,
          () -> stub.get(GetRequest.newBuilder().setKey("k".repeat(200_000)).build()));
      assertThat(longOne.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(longOne.getStatus().getDescription())
          .hasSizeLessThanOrEqualTo(StatusDescriptionLimit.DESCRIPTION_CHARS_MAX)
          .startsWith("key 'kkk").endsWith("more chars cut)");
      StatusRuntimeException shortOne = catchThrowableOfType(StatusRuntimeException.class,
          () -> stub.get(GetRequest.newBuilder().setKey("k").build()));
      assertThat(shortOne.getStatus().getDescription()).isEqualTo("key 'k' is invalid");
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
