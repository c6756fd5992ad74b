package io.ordo.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ordo.executor.EmbeddedExecutor;
import io.ordo.gateway.client.TxnPipeline;
import io.ordo.gateway.core.GatewayMetrics;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Get;
import io.ordo.proto.GetRequest;
import io.ordo.proto.GetResponse;
import io.ordo.proto.HealthRequest;
import io.ordo.proto.Increment;
import io.ordo.proto.Operation;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.Outcome;
import io.ordo.proto.Put;
import io.ordo.proto.PutRequest;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResponse;
import io.ordo.proto.TxnResult;
import io.ordo.proto.TxnStreamRequest;
import io.ordo.proto.TxnStreamResponse;
import io.ordo.proto.Value;
import io.ordo.sequencer.TopicLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipelined {@code TxnStream} call and its Java client ({@link TxnPipeline}) against a real
 * broker, the executor job on a Flink MiniCluster and a gateway; the bound and cancellation also
 * against a gateway whose topics no executor reads (its requests are appended and never answered,
 * so they stay in flight as long as the test needs).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TxnStreamIT {
  private static final TopicLayout TOPICS = TopicLayout.withPrefix("txnstream");
  private static final TopicLayout EXECUTORLESS_TOPICS = TopicLayout.withPrefix("txnstream-noexec");
  private static final long CALL_TIMEOUT_MS = 30_000;
  private static final long FIRST_ANSWER_TIMEOUT_MS = 60_000;
  private static final long HEARTBEAT_INTERVAL_MS = 50;

  @TempDir static Path dataDir;
  static GatewayTestStack stack;
  static EmbeddedKafkaBroker broker;
  static EmbeddedExecutor executor;
  static GatewayServer gateway;
  static ManagedChannel channel;

  @BeforeAll
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  static void start() throws Exception {
    stack = GatewayTestStack.start(dataDir, TOPICS, e -> e.withKeyRangeCount(8),
        g -> g.withHeartbeatIntervalMs(HEARTBEAT_INTERVAL_MS));
    broker = stack.broker;
    executor = stack.executor;
    gateway = stack.gateway;
    channel = stack.channel;
    // Answered once the freshly started job has caught up with the log.
    OrdoGrpc.newBlockingStub(channel)
        .withDeadlineAfter(FIRST_ANSWER_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .put(PutRequest.newBuilder().setKey("warm-up").setValue(counter(0)).build());
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void pipelinedTransactionsGiveTheResultsOfUnaryCalls() throws Exception {
    int count = 160;
    List<TxnRequest> pipelined = transfers("pipe", count);
    List<TxnRequest> unary = transfers("unary", count);
    List<CompletableFuture<TxnResponse>> futures = new ArrayList<>();
    try (TxnPipeline pipeline = new TxnPipeline(channel, 64)) {
      for (TxnRequest request : pipelined) {
        futures.add(pipeline.submit(request));
        assertThat(pipeline.inFlight()).isLessThanOrEqualTo(64);
      }
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
          .get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }
    for (int i = 0; i < count; i++) {
      TxnResult viaStream = futures.get(i).join().getResult();
      TxnResult viaUnary = stub().txn(unary.get(i)).getResult();
      // Each response is the one of its own request (correlation numbers matched).
      assertThat(viaStream.getTxnId()).isEqualTo(pipelined.get(i).getId());
      assertThat(viaStream.getOutcome()).isEqualTo(viaUnary.getOutcome());
      assertThat(viaStream.getAbortReason()).isEqualTo(viaUnary.getAbortReason());
    }
    // Every fourth transfer overdraws an empty account: aborted on both paths.
    assertThat(futures.get(3).join().getResult().getAbortReason())
        .isEqualTo(AbortReason.BOUND_VIOLATED);
    for (int k = 0; k < 10; k++) {
      assertThat(read("pipe/" + k)).isEqualTo(read("unary/" + k)).isNotZero();
    }
  }

  @Test
  void errorsAreAnsweredPerRequestAndTheStreamGoesOn() throws Exception {
    try (TxnPipeline pipeline = new TxnPipeline(channel, 16)) {
      TxnResponse first = pipeline.submit(put("errors-first", "e/1")).get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      assertThat(first.getResult().getOutcome()).isEqualTo(Outcome.COMMITTED);
      CompletableFuture<TxnResponse> empty =
          pipeline.submit(TxnRequest.newBuilder().setId("errors-empty").build());
      CompletableFuture<TxnResponse> internal = pipeline.submit(put("errors-internal", "\u0000x"));
      CompletableFuture<TxnResponse> duplicate = pipeline.submit(put("errors-first", "e/2"));
      CompletableFuture<TxnResponse> after = pipeline.submit(put("errors-after", "e/3"));
      assertThat(statusOf(empty).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(statusOf(empty).getDescription()).contains("no operations");
      assertThat(statusOf(internal).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(statusOf(duplicate).getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
      assertThat(after.get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS).getResult().getOutcome())
          .isEqualTo(Outcome.COMMITTED);
    }
  }

  @Test
  void aRequestWithoutTxnIsInvalidAndAHalfClosedStreamEndsOnceAnswered() throws Exception {
    RecordingObserver observer = new RecordingObserver();
    StreamObserver<TxnStreamRequest> requests = OrdoGrpc.newStub(channel).txnStream(observer);
    requests.onNext(TxnStreamRequest.newBuilder().setCorrelation(7).build());
    requests.onNext(
        TxnStreamRequest.newBuilder().setCorrelation(8).setTxn(put("raw-8", "raw/8")).build());
    requests.onCompleted();
    assertThat(observer.done.await(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)).isTrue();
    assertThat(observer.error).isNull();
    assertThat(observer.responses).hasSize(2);
    for (TxnStreamResponse r : observer.responses) {
      if (r.getCorrelation() == 7) {
        assertThat(r.getError().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
        assertThat(r.getError().getMessage()).contains("txn is missing");
      } else {
        assertThat(r.getCorrelation()).isEqualTo(8);
        assertThat(r.getResponse().getResult().getOutcome()).isEqualTo(Outcome.COMMITTED);
      }
    }
  }

  @Test
  void theInFlightBoundHoldsAndCancellingFreesEveryWaiter() throws Exception {
    GatewayServer executorless =
        GatewayServer.start(
            GatewayConfig.defaults(broker.bootstrapServers(), EXECUTORLESS_TOPICS)
                .withPorts(0, 0)
                .withPgPort(GatewayConfig.NO_PG_PORT)
                .withHeartbeatIntervalMs(HEARTBEAT_INTERVAL_MS)
                .withIngest(false));
    ManagedChannel executorlessChannel = channelTo(executorless);
    try {
      RecordingObserver observer = new RecordingObserver();
      ClientCallStreamObserver<TxnStreamRequest> requests =
          (ClientCallStreamObserver<TxnStreamRequest>)
              OrdoGrpc.newStub(executorlessChannel).txnStream(observer);
      // Correlation 1 twice: the repeat is refused at once (the first is still in flight).
      requests.onNext(request(1));
      requests.onNext(request(1));
      int sent = TxnPipeline.WINDOW_MAX + 6;
      for (int c = 2; c <= sent; c++) {
        requests.onNext(request(c));
      }
      awaitTrue(() -> waiters(executorless) >= TxnPipeline.WINDOW_MAX);
      awaitTrue(() -> observer.responses.size() == 1);
      // Give an unbounded reader the time to take the rest: it must not have.
      Thread.sleep(500);
      assertThat(waiters(executorless)).isEqualTo(TxnPipeline.WINDOW_MAX);
      TxnStreamResponse refused = observer.responses.peek();
      assertThat(refused.getCorrelation()).isEqualTo(1);
      assertThat(refused.getError().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
      assertThat(refused.getError().getMessage()).contains("already in flight");

      requests.cancel("test cancels", null);
      awaitTrue(() -> waiters(executorless) == 0);
      assertThat(
              OrdoGrpc.newBlockingStub(executorlessChannel)
                  .health(HealthRequest.getDefaultInstance())
                  .getLive())
          .isTrue();
      // The gateway still takes calls: this one waits for a result that never comes.
      StatusRuntimeException late =
          catchThrowableOfType(
              StatusRuntimeException.class,
              () ->
                  OrdoGrpc.newBlockingStub(executorlessChannel)
                      .withDeadlineAfter(1_500, TimeUnit.MILLISECONDS)
                      .txn(put("after-cancel", "c/1")));
      assertThat(late.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    } finally {
      executorlessChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      executorless.close();
    }
  }

  @Test
  void closingAPipelineMidwayLeavesTheGatewayServing() throws Exception {
    List<CompletableFuture<TxnResponse>> cut = new ArrayList<>();
    try (TxnPipeline pipeline = new TxnPipeline(channel, 256)) {
      for (TxnRequest request : transfers("cut", 100)) {
        cut.add(pipeline.submit(request));
      }
    }
    for (CompletableFuture<TxnResponse> f : cut) {
      // Answered before the close, or failed with CANCELLED: never left hanging.
      awaitTrue(f::isDone);
      if (f.isCompletedExceptionally()) {
        assertThat(statusOf(f).getCode()).isEqualTo(Status.Code.CANCELLED);
      }
    }
    awaitTrue(() -> waiters(gateway) == 0);
    try (TxnPipeline pipeline = new TxnPipeline(channel, 32)) {
      List<CompletableFuture<TxnResponse>> again = new ArrayList<>();
      for (TxnRequest request : transfers("again", 50)) {
        again.add(pipeline.submit(request));
      }
      CompletableFuture.allOf(again.toArray(CompletableFuture[]::new))
          .get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      pipeline.drainAndClose();
    }
    assertThat(stub().txn(put("after-cut", "cut/unary")).getResult().getOutcome())
        .isEqualTo(Outcome.COMMITTED);
  }

  /**
   * {@code count} transactions over ten counters {@code <prefix>/0..9}: increments whose sums do
   * not depend on the order, and every fourth one an overdraft of an account that never holds
   * money (aborted whatever the order).
   */
  private static List<TxnRequest> transfers(String prefix, int count) {
    List<TxnRequest> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      TxnRequest.Builder b = TxnRequest.newBuilder().setId(prefix + "-" + i);
      b.addOps(op(prefix + "/" + (i % 10)).setIncrement(Increment.newBuilder().setDelta(i % 7 + 1)));
      if (i % 4 == 3) {
        b.addOps(op(prefix + "/empty").setIncrement(Increment.newBuilder().setDelta(-1).setMin(0)));
      } else {
        b.addOps(op(prefix + "/" + ((i + 3) % 10)).setIncrement(Increment.newBuilder().setDelta(2)));
      }
      out.add(b.build());
    }
    return out;
  }

  private static TxnStreamRequest request(long correlation) {
    return TxnStreamRequest.newBuilder()
        .setCorrelation(correlation)
        .setTxn(put("bound-" + correlation, "bound/" + correlation))
        .build();
  }

  private static TxnRequest put(String id, String key) {
    return TxnRequest.newBuilder()
        .setId(id)
        .addOps(op(key).setPut(Put.newBuilder().setValue(counter(1))))
        .build();
  }

  private static long read(String key) {
    GetResponse r = stub().get(GetRequest.newBuilder().setKey(key).build());
    return r.getFound() ? r.getValue().getCounter() : 0;
  }

  private static Status statusOf(CompletableFuture<TxnResponse> f) {
    CompletionException e = catchThrowableOfType(CompletionException.class, f::join);
    assertThat(e.getCause()).isInstanceOf(StatusRuntimeException.class);
    return ((StatusRuntimeException) e.getCause()).getStatus();
  }

  private static double waiters(GatewayServer server) {
    return server.meterRegistry().get(GatewayMetrics.TXN_WAITERS).gauge().value();
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CALL_TIMEOUT_MS);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - deadline).as("condition within the call timeout").isNegative();
      Thread.sleep(20);
    }
  }

  private static ManagedChannel channelTo(GatewayServer server) {
    return ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  private static OrdoGrpc.OrdoBlockingStub stub() {
    return OrdoGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  private static Operation.Builder op(String key) {
    return Operation.newBuilder().setKey(key);
  }

  private static Value counter(long n) {
    return Value.newBuilder().setCounter(n).build();
  }

  /** Collects a raw stream's responses and its end. */
  private static final class RecordingObserver implements StreamObserver<TxnStreamResponse> {
    final ConcurrentLinkedQueue<TxnStreamResponse> responses = new ConcurrentLinkedQueue<>();
    final CountDownLatch done = new CountDownLatch(1);
    volatile Throwable error;

    @Override
    public void onNext(TxnStreamResponse value) {
      responses.add(value);
    }

    @Override
    public void onError(Throwable t) {
      error = t;
      done.countDown();
    }

    @Override
    public void onCompleted() {
      done.countDown();
    }
  }
}
