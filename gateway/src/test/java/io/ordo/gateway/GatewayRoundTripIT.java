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
import io.ordo.executor.EmbeddedExecutor;
import io.ordo.gateway.core.Limits;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Append;
import io.ordo.proto.Assert;
import io.ordo.proto.Delete;
import io.ordo.proto.DeleteRequest;
import io.ordo.proto.DeleteResponse;
import io.ordo.proto.Get;
import io.ordo.proto.GetRequest;
import io.ordo.proto.GetResponse;
import io.ordo.proto.HealthRequest;
import io.ordo.proto.Increment;
import io.ordo.proto.KeyRead;
import io.ordo.proto.ListValue;
import io.ordo.proto.Operation;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.Put;
import io.ordo.proto.PutRequest;
import io.ordo.proto.PutResponse;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResponse;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.sequencer.TopicLayout;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests through the whole path — gateway validation, append to the log, the real executor job
 * (on an in-process Flink MiniCluster, via {@link EmbeddedExecutor}), the results topic,
 * correlation, response mapping — over gRPC and REST, against a real Kafka broker.
 *
 * <p>Two configurations run side by side on one broker: the main gateway with the executor on
 * topics {@code roundtrip-*}, whose heartbeats move the job's watermarks; and, for the tests that
 * need a transaction without a result, gateways on topics {@code roundtrip-noexec-*} for which no
 * executor runs ("executor down"), so their requests are appended and never answered.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GatewayRoundTripIT {
  private static final TopicLayout TOPICS = TopicLayout.withPrefix("roundtrip");
  /** Topics no executor reads: requests sent there are appended to the log but never answered. */
  private static final TopicLayout EXECUTORLESS_TOPICS = TopicLayout.withPrefix("roundtrip-noexec");
  private static final long CALL_TIMEOUT_MS = 30_000;
  /** Deadline of the first request: it is answered once the freshly started job has caught up. */
  private static final long FIRST_ANSWER_TIMEOUT_MS = 60_000;
  private static final long HEARTBEAT_INTERVAL_MS = 50;

  @TempDir static Path dataDir;
  static GatewayTestStack stack;
  static EmbeddedKafkaBroker broker;
  static EmbeddedExecutor executor;
  static GatewayServer gateway;
  static ManagedChannel channel;
  static HttpClient http;

  @BeforeAll
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  static void start() throws Exception {
    stack = GatewayTestStack.start(dataDir, TOPICS, e -> e.withKeyRangeCount(8),
        g -> g.withHeartbeatIntervalMs(HEARTBEAT_INTERVAL_MS));
    broker = stack.broker;
    executor = stack.executor;
    gateway = stack.gateway;
    channel = stack.channel;
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    // The job reads the log from its start, so this request is answered once the job has caught
    // up; after it, every test sees a job that answers within its ordinary deadline.
    OrdoGrpc.newBlockingStub(channel)
        .withDeadlineAfter(FIRST_ANSWER_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .put(PutRequest.newBuilder().setKey("warm-up").setValue(bytes("ready")).build());
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (stack != null) {
      stack.close();
    }
  }

  private static ManagedChannel channelTo(GatewayServer server) {
    return ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  /** A gateway on topics no executor reads, with heartbeats like any gateway. */
  private static GatewayServer startExecutorlessGateway(Limits limits) throws IOException {
    return GatewayServer.start(
        GatewayConfig.defaults(broker.bootstrapServers(), EXECUTORLESS_TOPICS)
            .withPorts(0, 0)
                .withPgPort(GatewayConfig.NO_PG_PORT)
            .withHeartbeatIntervalMs(HEARTBEAT_INTERVAL_MS)
            .withLimits(limits)
            // No ingest bridges: their catalog reads would take waiters the tests count.
            .withIngest(false));
  }

  private static OrdoGrpc.OrdoBlockingStub stub() {
    return OrdoGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  private static TxnResult txn(TxnRequest.Builder request) {
    return stub().txn(request.build()).getResult();
  }

  private static Operation.Builder op(String key) {
    return Operation.newBuilder().setKey(key);
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static Value bytes(String s) {
    return Value.newBuilder().setBytes(utf8(s)).build();
  }

  private static Value counter(long n) {
    return Value.newBuilder().setCounter(n).build();
  }

  private static Value list(String... elements) {
    ListValue.Builder list = ListValue.newBuilder();
    for (String e : elements) {
      list.addElements(utf8(e));
    }
    return Value.newBuilder().setList(list).build();
  }

  private static KeyRead postState(int opIndex, String key, Value value) {
    return KeyRead.newBuilder()
        .setOpIndex(opIndex)
        .setKey(key)
        .setFound(true)
        .setValue(value)
        .setPostState(true)
        .build();
  }

  private static HttpResponse<String> send(
      GatewayServer server, String method, String pathAndQuery, String body)
      throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + pathAndQuery))
            .timeout(Duration.ofMillis(CALL_TIMEOUT_MS))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> send(String method, String pathAndQuery, String body)
      throws IOException, InterruptedException {
    return send(gateway, method, pathAndQuery, body);
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
    TxnResult result =
        txn(
            TxnRequest.newBuilder()
                .setId("txn-reads-1")
                .addOps(op("t/a").setGet(Get.getDefaultInstance()))
                .addOps(op("t/b").setPut(Put.newBuilder().setValue(bytes("B"))))
                .addOps(op("t/b").setGet(Get.getDefaultInstance())));
    assertThat(result.getTxnId()).isEqualTo("txn-reads-1");
    assertThat(result.getOutcome()).isEqualTo(Outcome.COMMITTED);
    assertThat(result.getFailedOpIndex()).isEqualTo(-1);
    assertThat(result.getReadsList()).hasSize(2);
    assertThat(result.getReads(0).getOpIndex()).isZero();
    assertThat(result.getReads(0).getValue()).isEqualTo(bytes("A"));
    // The transaction's own earlier put is visible to its later get.
    assertThat(result.getReads(1).getOpIndex()).isEqualTo(2);
    assertThat(result.getReads(1).getValue()).isEqualTo(bytes("B"));

    TxnResult aborted =
        txn(
            TxnRequest.newBuilder()
                .addOps(op("t/a").setAssert(Assert.newBuilder().setAbsent(true)))
                .addOps(op("t/a").setPut(Put.newBuilder().setValue(bytes("X")))));
    assertThat(aborted.getOutcome()).isEqualTo(Outcome.ABORTED);
    assertThat(aborted.getAbortReason()).isEqualTo(AbortReason.ASSERT_FAILED);
    assertThat(aborted.getFailedOpIndex()).isZero();
    assertThat(aborted.getDetail()).isEqualTo("op 0: assert on 't/a' expected absence, found a value");
    assertThat(aborted.getReadsList()).isEmpty();
    // A generated id: a UUID.
    assertThat(aborted.getTxnId()).matches("[0-9a-f-]{36}");
    // The aborted put did not apply.
    assertThat(stub().get(GetRequest.newBuilder().setKey("t/a").build()).getValue()).isEqualTo(bytes("A"));
  }

  @Test
  void countersListsBoundsAndTypesHaveTheExecutorsOutcomes() {
    // An absent key counts as 0 for increment and as the empty list for append.
    TxnResult opened =
        txn(
            TxnRequest.newBuilder()
                .addOps(op("acct/a").setIncrement(Increment.newBuilder().setDelta(100)))
                .addOps(op("list/x").setAppend(Append.newBuilder().setElement(utf8("e1"))))
                .addOps(op("list/x").setAppend(Append.newBuilder().setElement(utf8("e2"))))
                .setReturnPostState(true));
    assertThat(opened.getOutcome()).as(opened.getDetail()).isEqualTo(Outcome.COMMITTED);
    assertThat(opened.getReadsList())
        .containsExactly(
            postState(0, "acct/a", counter(100)), postState(2, "list/x", list("e1", "e2")));

    // A transfer that would overdraw the debtor aborts as a whole: neither side changes.
    TxnResult overdrawn =
        txn(
            TxnRequest.newBuilder()
                .addOps(op("acct/a").setIncrement(Increment.newBuilder().setDelta(-150).setMin(0)))
                .addOps(op("acct/b").setIncrement(Increment.newBuilder().setDelta(150))));
    assertThat(overdrawn.getOutcome()).isEqualTo(Outcome.ABORTED);
    assertThat(overdrawn.getAbortReason()).isEqualTo(AbortReason.BOUND_VIOLATED);
    assertThat(overdrawn.getFailedOpIndex()).isZero();
    assertThat(overdrawn.getDetail()).isEqualTo("op 0: increment of 'acct/a' to -50 is below min 0");
    assertThat(stub().get(GetRequest.newBuilder().setKey("acct/a").build()).getValue())
        .isEqualTo(counter(100));
    assertThat(stub().get(GetRequest.newBuilder().setKey("acct/b").build()).getFound()).isFalse();

    TxnResult transferred =
        txn(
            TxnRequest.newBuilder()
                .addOps(op("acct/a").setIncrement(Increment.newBuilder().setDelta(-60).setMin(0)))
                .addOps(op("acct/b").setIncrement(Increment.newBuilder().setDelta(60)))
                .setReturnPostState(true));
    assertThat(transferred.getOutcome()).as(transferred.getDetail()).isEqualTo(Outcome.COMMITTED);
    assertThat(transferred.getReadsList())
        .containsExactly(postState(0, "acct/a", counter(40)), postState(1, "acct/b", counter(60)));

    TxnResult aboveMax =
        txn(TxnRequest.newBuilder().addOps(op("acct/b").setIncrement(Increment.newBuilder().setDelta(1).setMax(60))));
    assertThat(aboveMax.getAbortReason()).isEqualTo(AbortReason.BOUND_VIOLATED);
    assertThat(aboveMax.getDetail()).isEqualTo("op 0: increment of 'acct/b' to 61 is above max 60");

    // Increment needs a counter and append a list.
    TxnResult incrementOfList =
        txn(
            TxnRequest.newBuilder()
                .addOps(op("acct/a").setGet(Get.getDefaultInstance()))
                .addOps(op("list/x").setIncrement(Increment.newBuilder().setDelta(1))));
    assertThat(incrementOfList.getOutcome()).isEqualTo(Outcome.ABORTED);
    assertThat(incrementOfList.getAbortReason()).isEqualTo(AbortReason.TYPE_MISMATCH);
    assertThat(incrementOfList.getFailedOpIndex()).isEqualTo(1);
    TxnResult appendToCounter =
        txn(TxnRequest.newBuilder().addOps(op("acct/a").setAppend(Append.newBuilder().setElement(utf8("e")))));
    assertThat(appendToCounter.getAbortReason()).isEqualTo(AbortReason.TYPE_MISMATCH);
    assertThat(appendToCounter.getDetail()).isEqualTo("op 0: append to 'acct/a', which is not a list");

    // Compare-and-set (assert equals, then put), a delete, and reads after both, in one txn.
    TxnResult closed =
        txn(
            TxnRequest.newBuilder()
                .addOps(op("acct/a").setAssert(Assert.newBuilder().setEquals(counter(40))))
                .addOps(op("acct/a").setPut(Put.newBuilder().setValue(bytes("closed"))))
                .addOps(op("acct/b").setDelete(Delete.getDefaultInstance()))
                .addOps(op("acct/b").setGet(Get.getDefaultInstance()))
                .addOps(op("list/x").setGet(Get.getDefaultInstance())));
    assertThat(closed.getOutcome()).as(closed.getDetail()).isEqualTo(Outcome.COMMITTED);
    assertThat(closed.getReadsList()).hasSize(2);
    assertThat(closed.getReads(0).getOpIndex()).isEqualTo(3);
    assertThat(closed.getReads(0).getFound()).isFalse();
    assertThat(closed.getReads(1).getValue()).isEqualTo(list("e1", "e2"));
    TxnResult staleCas =
        txn(TxnRequest.newBuilder().addOps(op("acct/a").setAssert(Assert.newBuilder().setEquals(counter(40)))));
    assertThat(staleCas.getAbortReason()).isEqualTo(AbortReason.ASSERT_FAILED);
    assertThat(stub().get(GetRequest.newBuilder().setKey("acct/a").build()).getValue())
        .isEqualTo(bytes("closed"));
  }

  @Test
  void aTxnOverRestTakesInt64AsJsonStringsAndReturnsTheResult() throws Exception {
    HttpResponse<String> response =
        send(
            "POST",
            "/v1/txn",
            "{\"id\":\"rest-inc-1\",\"returnPostState\":true,\"ops\":["
                + "{\"key\":\"rc/1\",\"increment\":{\"delta\":\"7\",\"min\":\"0\"}}]}");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.body()).contains("\"counter\":\"7\"");
    TxnResponse.Builder parsed = TxnResponse.newBuilder();
    JsonFormat.parser().merge(response.body(), parsed);
    TxnResult result = parsed.getResult();
    assertThat(result.getTxnId()).isEqualTo("rest-inc-1");
    assertThat(result.getOutcome()).isEqualTo(Outcome.COMMITTED);
    assertThat(result.getReadsList()).containsExactly(postState(0, "rc/1", counter(7)));

    // An abort is a 200 response carrying the outcome, not an HTTP error.
    HttpResponse<String> aborted =
        send("POST", "/v1/txn", "{\"ops\":[{\"key\":\"rc/1\",\"increment\":{\"delta\":\"-8\",\"min\":\"0\"}}]}");
    assertThat(aborted.statusCode()).as(aborted.body()).isEqualTo(200);
    Struct abortedResult = json(aborted).getFieldsOrThrow("result").getStructValue();
    assertThat(abortedResult.getFieldsOrThrow("outcome").getStringValue()).isEqualTo("ABORTED");
    assertThat(abortedResult.getFieldsOrThrow("abortReason").getStringValue()).isEqualTo("BOUND_VIOLATED");
  }

  @Test
  void aReusedIdIsAlreadyExistsOverGrpcAnd409OverRest() throws Exception {
    TxnRequest request =
        TxnRequest.newBuilder()
            .setId("txn-once")
            .addOps(op("d/1").setPut(Put.newBuilder().setValue(bytes("1"))))
            .build();
    assertThat(stub().txn(request).getResult().getOutcome()).isEqualTo(Outcome.COMMITTED);
    assertThatThrownBy(() -> stub().txn(request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
              assertThat(e.getStatus().getDescription())
                  .matches(
                      "transaction id 'txn-once' was already sequenced; this request's entry \\(log"
                          + " partition \\d+, offset \\d+\\) did not run \\(outcome DUPLICATE\\):"
                          + " transaction id already sequenced at log time \\d+ ms");
            });
    // A different write under the same id is a duplicate too, and does not run.
    HttpResponse<String> rest =
        send(
            "POST",
            "/v1/txn",
            "{\"id\":\"txn-once\",\"ops\":[{\"key\":\"d/1\",\"put\":{\"value\":{\"bytes\":\"Mg==\"}}}]}");
    assertThat(rest.statusCode()).as(rest.body()).isEqualTo(409);
    assertThat(json(rest).getFieldsOrThrow("code").getStringValue()).isEqualTo("ALREADY_EXISTS");
    assertThat(stub().get(GetRequest.newBuilder().setKey("d/1").build()).getValue()).isEqualTo(bytes("1"));
  }

  /**
   * Two clients that choose the same id at the same moment, each with its own write: both are
   * appended (two entries, one partition), the executor runs the first and answers the second
   * DUPLICATE, and each client gets the answer of its own entry, never the other's.
   */
  @Test
  void twoConcurrentClientsWithOneIdEachGetTheResultOfTheirOwnEntry() throws Exception {
    OrdoGrpc.OrdoStub clientA = OrdoGrpc.newStub(channel).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    ManagedChannel channelB = channelTo(gateway);
    try {
      OrdoGrpc.OrdoStub clientB =
          OrdoGrpc.newStub(channelB).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      int rounds = 24;
      List<CompletableFuture<TxnResponse>> aResponses = new ArrayList<>();
      List<CompletableFuture<TxnResponse>> bResponses = new ArrayList<>();
      for (int i = 0; i < rounds; i++) {
        // Both in flight at once, so both waiters wait on the id together.
        aResponses.add(new CompletableFuture<>());
        bResponses.add(new CompletableFuture<>());
        clientA.txn(sameIdIncrement("same-" + i, "same/" + i + "/a"), observerOf(aResponses.get(i)));
        clientB.txn(sameIdIncrement("same-" + i, "same/" + i + "/b"), observerOf(bResponses.get(i)));
      }
      for (int i = 0; i < rounds; i++) {
        Answer a = answerOf(aResponses.get(i));
        Answer b = answerOf(bResponses.get(i));
        String id = "same-" + i;
        // Exactly one entry ran; the other was answered DUPLICATE at its own entry.
        assertThat(List.of(a.committed() != null, b.committed() != null))
            .as("round %d: %s / %s", i, a, b)
            .containsExactlyInAnyOrder(true, false);
        Answer winner = a.committed() != null ? a : b;
        Answer loser = a.committed() != null ? b : a;
        String winnerKey = "same/" + i + (winner == a ? "/a" : "/b");
        String loserKey = "same/" + i + (winner == a ? "/b" : "/a");
        TxnResult result = winner.committed();
        assertThat(result.getTxnId()).isEqualTo(id);
        // The committed result is of this client's own write: its post-state names its own key.
        assertThat(result.getReadsList()).hasSize(1);
        assertThat(result.getReads(0).getKey()).isEqualTo(winnerKey);
        assertThat(result.getReads(0).getValue().getCounter()).isEqualTo(1);
        assertThat(loser.duplicate()).as("round %d: %s", i, loser).isNotNull();
        Matcher where =
            Pattern.compile("log partition (\\d+), offset (\\d+)").matcher(loser.duplicate());
        assertThat(where.find()).as(loser.duplicate()).isTrue();
        // One id, one partition; the other client's entry is a different offset of it.
        assertThat(Integer.parseInt(where.group(1))).isEqualTo(result.getPosition().getPartition());
        assertThat(Long.parseLong(where.group(2))).isNotEqualTo(result.getPosition().getOffset());
        // The store agrees: the winner's key was written, the loser's never.
        assertThat(blockingStub().get(GetRequest.newBuilder().setKey(winnerKey).build()).getValue().getCounter())
            .isEqualTo(1);
        assertThat(blockingStub().get(GetRequest.newBuilder().setKey(loserKey).build()).getFound()).isFalse();
      }
    } finally {
      channelB.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static TxnRequest sameIdIncrement(String id, String key) {
    return TxnRequest.newBuilder()
        .setId(id)
        .addOps(op(key).setIncrement(Increment.newBuilder().setDelta(1)))
        .setReturnPostState(true)
        .build();
  }

  private static OrdoGrpc.OrdoBlockingStub blockingStub() {
    return OrdoGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  /** A response: the committed result, or the description of an ALREADY_EXISTS (DUPLICATE). */
  private record Answer(TxnResult committed, String duplicate) {}

  private static Answer answerOf(CompletableFuture<TxnResponse> response) throws Exception {
    try {
      TxnResult result = response.get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS).getResult();
      assertThat(result.getOutcome()).as(result.getDetail()).isEqualTo(Outcome.COMMITTED);
      return new Answer(result, null);
    } catch (ExecutionException e) {
      Status status = Status.fromThrowable(e.getCause());
      assertThat(status.getCode()).as(String.valueOf(status)).isEqualTo(Status.Code.ALREADY_EXISTS);
      assertThat(status.getDescription()).contains("(outcome DUPLICATE)");
      return new Answer(null, status.getDescription());
    }
  }

  @Test
  void concurrentRequestsEachGetTheirOwnResultAndApplyInLogOrder() throws Exception {
    OrdoGrpc.OrdoStub async = OrdoGrpc.newStub(channel).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    int count = 64;
    List<CompletableFuture<TxnResponse>> responses = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      CompletableFuture<TxnResponse> response = new CompletableFuture<>();
      responses.add(response);
      // Each writes and reads its own key and increments one shared counter.
      async.txn(
          TxnRequest.newBuilder()
              .setId("conc-" + i)
              .addOps(op("c/" + i).setPut(Put.newBuilder().setValue(bytes("v" + i))))
              .addOps(op("c/" + i).setGet(Get.getDefaultInstance()))
              .addOps(op("c/sum").setIncrement(Increment.newBuilder().setDelta(1)))
              .setReturnPostState(true)
              .build(),
          observerOf(response));
    }
    Set<String> positions = new HashSet<>();
    List<TxnResult> results = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      TxnResult result = responses.get(i).get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS).getResult();
      assertThat(result.getTxnId()).isEqualTo("conc-" + i);
      assertThat(result.getOutcome()).as(result.getDetail()).isEqualTo(Outcome.COMMITTED);
      assertThat(result.getReads(0).getOpIndex()).isEqualTo(1);
      assertThat(result.getReads(0).getValue()).isEqualTo(bytes("v" + i));
      positions.add(result.getPosition().getPartition() + "/" + result.getPosition().getOffset());
      results.add(result);
    }
    assertThat(positions).hasSize(count);
    // Serializable in log order: sorted by position, the shared counter's post-states are 1..64.
    List<Long> sumsInLogOrder =
        results.stream()
            .sorted(
                Comparator.comparing(
                    TxnResult::getPosition,
                    Comparator.comparingLong(Position::getTs)
                        .thenComparingInt(Position::getPartition)
                        .thenComparingLong(Position::getOffset)))
            .map(r -> r.getReads(1))
            .peek(read -> assertThat(read.getPostState()).isTrue())
            .map(read -> read.getValue().getCounter())
            .toList();
    assertThat(sumsInLogOrder).isEqualTo(LongStream.rangeClosed(1, count).boxed().toList());
  }

  @Test
  void withTheExecutorDownADeadlineSaysTheOutcomeIsUnknownAndWhereTheTxnWasAppended()
      throws Exception {
    GatewayServer executorless = startExecutorlessGateway(Limits.defaults());
    ManagedChannel executorlessChannel = channelTo(executorless);
    try {
      // Connected first, so the deadline is not spent on connecting.
      OrdoGrpc.newBlockingStub(executorlessChannel)
          .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
          .health(HealthRequest.getDefaultInstance());
      assertThatThrownBy(
              () ->
                  OrdoGrpc.newBlockingStub(executorlessChannel)
                      .withDeadlineAfter(3_000, TimeUnit.MILLISECONDS)
                      .get(GetRequest.newBuilder().setKey("dl/1").build()))
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

      long startNs = System.nanoTime();
      HttpResponse<String> rest = send(executorless, "GET", "/v1/kv/dl%2F2?timeoutMs=1500", null);
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
      assertThat(rest.statusCode()).as(rest.body()).isEqualTo(504);
      Struct error = json(rest);
      assertThat(error.getFieldsOrThrow("code").getStringValue()).isEqualTo("DEADLINE_EXCEEDED");
      assertThat(error.getFieldsOrThrow("message").getStringValue()).contains("the outcome is unknown");
      // REST waits the full timeoutMs before it gives up.
      assertThat(elapsedMs).isGreaterThanOrEqualTo(1_400);
    } finally {
      executorlessChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      executorless.close();
    }
    // The same requests are answered where an executor runs.
    assertThat(stub().get(GetRequest.newBuilder().setKey("dl/1").build()).getFound()).isFalse();
  }

  @Test
  void aGatewayRefusesWaitersBeyondItsBoundAndFailsWaitersWhenClosed() throws Exception {
    Limits two = new Limits(1024, 1 << 20, 100, 8 << 20, 128, 16 << 20, 2);
    GatewayServer small = startExecutorlessGateway(two);
    ManagedChannel smallChannel = channelTo(small);
    try {
      OrdoGrpc.OrdoStub async = OrdoGrpc.newStub(smallChannel).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      List<CompletableFuture<GetResponse>> stuck = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        CompletableFuture<GetResponse> response = new CompletableFuture<>();
        stuck.add(response);
        async.get(GetRequest.newBuilder().setKey("stuck/" + i).build(), observerOf(response));
      }
      OrdoGrpc.OrdoBlockingStub blocking =
          OrdoGrpc.newBlockingStub(smallChannel).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      // The two stuck requests wait once their calls have reached the service; health says so.
      long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      String detail = "";
      while (!detail.contains(" 2 waiting") && System.nanoTime() < deadlineNs) {
        detail = blocking.health(HealthRequest.getDefaultInstance()).getDetail();
        Thread.sleep(20);
      }
      assertThat(detail).contains(" 2 waiting");
      StatusRuntimeException refused =
          catchThrowableOfType(
              StatusRuntimeException.class,
              () -> blocking.get(GetRequest.newBuilder().setKey("stuck/probe").build()));
      assertThat(refused).isNotNull();
      assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
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
    // The main gateway is unaffected and still answers.
    assertThat(stub().health(HealthRequest.getDefaultInstance()).getStatus()).isEqualTo("SERVING");
    assertThat(stub().get(GetRequest.newBuilder().setKey("stuck/0").build()).getFound()).isFalse();
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
