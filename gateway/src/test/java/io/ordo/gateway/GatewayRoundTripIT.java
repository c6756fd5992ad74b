package io.ordo.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Assert;
import io.ordo.proto.DeleteRequest;
import io.ordo.proto.DeleteResponse;
import io.ordo.proto.Get;
import io.ordo.proto.GetRequest;
import io.ordo.proto.GetResponse;
import io.ordo.proto.Operation;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.Outcome;
import io.ordo.proto.Put;
import io.ordo.proto.PutRequest;
import io.ordo.proto.PutResponse;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResponse;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.sequencer.TopicLayout;
import io.ordo.sequencer.embedded.EmbeddedKafkaBroker;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests through the whole gateway path — validation, append to the log, results topic,
 * correlation, response mapping — over gRPC and REST, with {@link ModelExecutor} standing in for
 * the executor job (it answers from an in-memory model and writes every result twice).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GatewayRoundTripIT {
  private static final TopicLayout TOPICS = TopicLayout.withPrefix("roundtrip");
  private static final long CALL_TIMEOUT_MS = 30_000;

  @TempDir static Path dataDir;
  static EmbeddedKafkaBroker broker;
  static GatewayServer gateway;
  static ModelExecutor executor;
  static ManagedChannel channel;
  static HttpClient http;

  @BeforeAll
  static void start() throws IOException {
    broker = EmbeddedKafkaBroker.start(dataDir, 0);
    gateway =
        GatewayServer.start(
            GatewayConfig.defaults(broker.bootstrapServers(), TOPICS)
                .withPorts(0, 0)
                .withHeartbeatIntervalMs(50));
    executor = new ModelExecutor(broker.bootstrapServers(), TOPICS);
    channel = channelTo(gateway);
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (executor != null) {
      executor.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  private static ManagedChannel channelTo(GatewayServer server) {
    return ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  private static OrdoGrpc.OrdoBlockingStub stub() {
    return OrdoGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  private static Value bytes(String s) {
    return Value.newBuilder().setBytes(ByteString.copyFromUtf8(s)).build();
  }

  private static HttpResponse<String> send(String method, String pathAndQuery, String body)
      throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.httpPort() + pathAndQuery))
            .timeout(Duration.ofMillis(CALL_TIMEOUT_MS))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static Struct json(HttpResponse<String> response) throws IOException {
    Struct.Builder struct = Struct.newBuilder();
    JsonFormat.parser().merge(response.body(), struct);
    return struct.build();
  }

  @Test
  void putGetDeleteOverGrpc() {
    PutResponse put = stub().put(PutRequest.newBuilder().setKey("g/1").setValue(bytes("one")).build());
    assertThat(put.getPosition().getTs()).isPositive();

    GetResponse get = stub().get(GetRequest.newBuilder().setKey("g/1").build());
    assertThat(get.getFound()).isTrue();
    assertThat(get.getValue()).isEqualTo(bytes("one"));
    assertThat(get.getPosition()).isNotEqualTo(put.getPosition());

    DeleteResponse delete = stub().delete(DeleteRequest.newBuilder().setKey("g/1").build());
    assertThat(delete.getExisted()).isTrue();
    assertThat(stub().delete(DeleteRequest.newBuilder().setKey("g/1").build()).getExisted()).isFalse();

    GetResponse gone = stub().get(GetRequest.newBuilder().setKey("g/1").build());
    assertThat(gone.getFound()).isFalse();
    assertThat(gone.hasValue()).isFalse();
  }

  @Test
  void putGetDeleteOverRestWithProto3Json() throws Exception {
    // The key holds a slash, sent percent-encoded.
    HttpResponse<String> put = send("PUT", "/v1/kv/r%2F1", "{\"value\":{\"bytes\":\"aGk=\"}}");
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    // int64 fields print as JSON strings; partition (int32) as a number.
    assertThat(put.body()).matches("\\{\"position\":\\{\"ts\":\"\\d+\",(\"partition\":\\d+,)?\"offset\":\"\\d+\"}}");

    HttpResponse<String> get = send("GET", "/v1/kv/r%2F1?timeoutMs=20000", null);
    assertThat(get.statusCode()).as(get.body()).isEqualTo(200);
    Struct got = json(get);
    assertThat(got.getFieldsOrThrow("found").getBoolValue()).isTrue();
    assertThat(got.getFieldsOrThrow("value").getStructValue().getFieldsOrThrow("bytes").getStringValue())
        .isEqualTo("aGk=");

    HttpResponse<String> delete = send("DELETE", "/v1/kv/r%2F1", null);
    assertThat(delete.statusCode()).as(delete.body()).isEqualTo(200);
    assertThat(json(delete).getFieldsOrThrow("existed").getBoolValue()).isTrue();

    HttpResponse<String> gone = send("GET", "/v1/kv/r%2F1", null);
    assertThat(gone.statusCode()).isEqualTo(200);
    // Defaults are omitted: found=false does not appear at all.
    assertThat(json(gone).getFieldsMap()).doesNotContainKey("found").containsKey("position");
    // The gRPC side sees the same store.
    assertThat(stub().get(GetRequest.newBuilder().setKey("r/1").build()).getFound()).isFalse();
  }

  @Test
  void aTxnReturnsItsReadsAndAnAbortIsAResultNotAnError() {
    stub().put(PutRequest.newBuilder().setKey("t/a").setValue(bytes("A")).build());
    TxnResponse committed =
        stub()
            .txn(
                TxnRequest.newBuilder()
                    .setId("txn-reads-1")
                    .addOps(Operation.newBuilder().setKey("t/a").setGet(Get.getDefaultInstance()))
                    .addOps(Operation.newBuilder().setKey("t/b").setPut(Put.newBuilder().setValue(bytes("B"))))
                    .addOps(Operation.newBuilder().setKey("t/b").setGet(Get.getDefaultInstance()))
                    .build());
    TxnResult result = committed.getResult();
    assertThat(result.getTxnId()).isEqualTo("txn-reads-1");
    assertThat(result.getOutcome()).isEqualTo(Outcome.COMMITTED);
    assertThat(result.getReadsList()).hasSize(2);
    assertThat(result.getReads(0).getValue()).isEqualTo(bytes("A"));
    assertThat(result.getReads(1).getOpIndex()).isEqualTo(2);
    assertThat(result.getReads(1).getValue()).isEqualTo(bytes("B"));

    TxnResponse aborted =
        stub()
            .txn(
                TxnRequest.newBuilder()
                    .addOps(Operation.newBuilder().setKey("t/a").setAssert(Assert.newBuilder().setAbsent(true)))
                    .addOps(Operation.newBuilder().setKey("t/a").setPut(Put.newBuilder().setValue(bytes("X"))))
                    .build());
    assertThat(aborted.getResult().getOutcome()).isEqualTo(Outcome.ABORTED);
    assertThat(aborted.getResult().getAbortReason()).isEqualTo(AbortReason.ASSERT_FAILED);
    assertThat(aborted.getResult().getFailedOpIndex()).isZero();
    // A generated id: a UUID.
    assertThat(aborted.getResult().getTxnId()).matches("[0-9a-f-]{36}");
    assertThat(stub().get(GetRequest.newBuilder().setKey("t/a").build()).getValue()).isEqualTo(bytes("A"));
  }

  @Test
  void aReusedIdIsAlreadyExistsOverGrpcAnd409OverRest() throws Exception {
    TxnRequest request =
        TxnRequest.newBuilder()
            .setId("txn-once")
            .addOps(Operation.newBuilder().setKey("d/1").setPut(Put.newBuilder().setValue(bytes("1"))))
            .build();
    assertThat(stub().txn(request).getResult().getOutcome()).isEqualTo(Outcome.COMMITTED);
    assertThatThrownBy(() -> stub().txn(request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
              assertThat(e.getStatus().getDescription())
                  .startsWith("transaction id 'txn-once' was already sequenced; this request did not run");
            });
    HttpResponse<String> rest =
        send("POST", "/v1/txn", "{\"id\":\"txn-once\",\"ops\":[{\"key\":\"d/1\",\"get\":{}}]}");
    assertThat(rest.statusCode()).as(rest.body()).isEqualTo(409);
    assertThat(json(rest).getFieldsOrThrow("code").getStringValue()).isEqualTo("ALREADY_EXISTS");
  }

  @Test
  void concurrentRequestsEachGetTheirOwnResult() throws Exception {
    OrdoGrpc.OrdoStub async = OrdoGrpc.newStub(channel).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    int count = 64;
    List<CompletableFuture<TxnResponse>> responses = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      CompletableFuture<TxnResponse> response = new CompletableFuture<>();
      responses.add(response);
      async.txn(
          TxnRequest.newBuilder()
              .setId("conc-" + i)
              .addOps(Operation.newBuilder().setKey("c/" + i).setPut(Put.newBuilder().setValue(bytes("v" + i))))
              .addOps(Operation.newBuilder().setKey("c/" + i).setGet(Get.getDefaultInstance()))
              .build(),
          observerOf(response));
    }
    Set<String> positions = new HashSet<>();
    for (int i = 0; i < count; i++) {
      TxnResult result = responses.get(i).get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS).getResult();
      assertThat(result.getTxnId()).isEqualTo("conc-" + i);
      assertThat(result.getReads(0).getValue()).isEqualTo(bytes("v" + i));
      positions.add(result.getPosition().getPartition() + "/" + result.getPosition().getOffset());
    }
    assertThat(positions).hasSize(count);
  }

  @Test
  void aDeadlineSaysTheOutcomeIsUnknownAndWhereTheTransactionWasAppended() throws Exception {
    // Connected first, so the deadline is not spent on connecting.
    assertThat(stub().health(io.ordo.proto.HealthRequest.getDefaultInstance()).getStatus())
        .isEqualTo("SERVING");
    assertThatThrownBy(
            () ->
                OrdoGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(5_000, TimeUnit.MILLISECONDS)
                    .get(GetRequest.newBuilder().setKey(ModelExecutor.IGNORED_KEY_PREFIX + "-1").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
              assertThat(e.getStatus().getDescription())
                  .matches(
                      "deadline exceeded after \\d+ ms waiting for the result of transaction"
                          + " '[0-9a-f-]{36}'; the outcome is unknown \\(it was appended to log"
                          + " partition \\d+ at offset \\d+\\)");
            });

    HttpResponse<String> rest =
        send("GET", "/v1/kv/" + ModelExecutor.IGNORED_KEY_PREFIX + "-2?timeoutMs=1500", null);
    assertThat(rest.statusCode()).as(rest.body()).isEqualTo(504);
    Struct error = json(rest);
    assertThat(error.getFieldsOrThrow("code").getStringValue()).isEqualTo("DEADLINE_EXCEEDED");
    assertThat(error.getFieldsOrThrow("message").getStringValue()).contains("the outcome is unknown");
  }

  @Test
  void aSecondGatewayRefusesWaitersBeyondItsBoundAndFailsWaitersWhenClosed() throws Exception {
    Limits two = new Limits(1024, 1 << 20, 100, 8 << 20, 128, 16 << 20, 2);
    GatewayServer small =
        GatewayServer.start(
            GatewayConfig.defaults(broker.bootstrapServers(), TOPICS)
                .withPorts(0, 0)
                .withHeartbeatIntervalMs(0)
                .withLimits(two));
    ManagedChannel smallChannel = channelTo(small);
    try {
      OrdoGrpc.OrdoStub async = OrdoGrpc.newStub(smallChannel).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      List<CompletableFuture<GetResponse>> stuck = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        CompletableFuture<GetResponse> response = new CompletableFuture<>();
        stuck.add(response);
        async.get(GetRequest.newBuilder().setKey(ModelExecutor.IGNORED_KEY_PREFIX + "-s" + i).build(), observerOf(response));
      }
      OrdoGrpc.OrdoBlockingStub blocking =
          OrdoGrpc.newBlockingStub(smallChannel).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      // The two stuck requests wait once their calls have reached the service; health says so.
      long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      String detail = "";
      while (!detail.contains(" 2 waiting") && System.nanoTime() < deadlineNs) {
        detail = blocking.health(io.ordo.proto.HealthRequest.getDefaultInstance()).getDetail();
        Thread.sleep(20);
      }
      assertThat(detail).contains(" 2 waiting");
      StatusRuntimeException refused =
          catchThrowableOfType(
              StatusRuntimeException.class,
              () ->
                  blocking.get(
                      GetRequest.newBuilder()
                          .setKey(ModelExecutor.IGNORED_KEY_PREFIX + "-probe")
                          .build()));
      assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(refused).isNotNull();
      assertThat(refused.getStatus().getDescription())
          .isEqualTo("the gateway already waits for 2 transactions (inFlightTxnMax); retry later");

      small.close();
      for (CompletableFuture<GetResponse> response : stuck) {
        assertThatThrownBy(() -> response.get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            .cause()
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e -> {
                  assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                  assertThat(e.getStatus().getDescription()).contains("the gateway is shutting down").contains("outcome is unknown");
                });
      }
    } finally {
      smallChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      small.close();
    }
    // The first gateway is unaffected.
    assertThat(stub().health(io.ordo.proto.HealthRequest.getDefaultInstance()).getStatus()).isEqualTo("SERVING");
  }

  private static <T> StreamObserver<T> observerOf(CompletableFuture<T> future) {
    return new StreamObserver<>() {
      private T value;

      @Override
      public void onNext(T v) {
        value = v;
      }

      @Override
      public void onError(Throwable t) {
        future.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        future.complete(value);
      }
    };
  }
}
