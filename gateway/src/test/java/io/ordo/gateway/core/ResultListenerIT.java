package io.ordo.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.TxnResult;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The results listener against a real broker: results are written straight to a results topic
 * with a plain producer, as the executor would write them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResultListenerIT {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final long WAIT_MS = 15_000;
  private static final AtomicInteger TOPICS = new AtomicInteger();

  @TempDir static Path dataDir;
  static EmbeddedKafkaBroker broker;
  static Admin admin;
  static KafkaProducer<byte[], byte[]> producer;

  String topic;

  @BeforeAll
  static void startBroker() {
    broker = EmbeddedKafkaBroker.start(dataDir, 0);
    admin =
        Admin.create(
            Map.<String, Object>of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
    producer =
        new KafkaProducer<>(
            Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
  }

  @AfterAll
  static void stopBroker() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
    }
    if (broker != null) {
      broker.close();
    }
  }

  @BeforeEach
  void createTopic() throws Exception {
    topic = "results-" + TOPICS.incrementAndGet();
    admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
  }

  private ResultListener startListener(int inFlightTxnMax) {
    return ResultListener.start(broker.bootstrapServers(), topic, inFlightTxnMax, START_TIMEOUT);
  }

  private static TxnResult result(String txnId, Outcome outcome, long offset) {
    return TxnResult.newBuilder()
        .setTxnId(txnId)
        .setOutcome(outcome)
        .setFailedOpIndex(-1)
        .setPosition(Position.newBuilder().setTs(1_000).setPartition(0).setOffset(offset))
        .build();
  }

  private void write(TxnResult result) throws Exception {
    producer
        .send(
            new ProducerRecord<>(
                topic, result.getTxnId().getBytes(StandardCharsets.UTF_8), result.toByteArray()))
        .get(10, TimeUnit.SECONDS);
  }

  @Test
  void aWaiterRegisteredBeforeItsResultGetsIt() throws Exception {
    try (ResultListener listener = startListener(100)) {
      CompletableFuture<TxnResult> waiter = listener.await("txn-a", WAIT_MS);
      listener.appended("txn-a", waiter, 0, 7);
      assertThat(listener.waiting()).isEqualTo(1);
      TxnResult other = result("txn-other", Outcome.COMMITTED, 6);
      TxnResult mine = result("txn-a", Outcome.ABORTED, 7);
      write(other);
      write(mine);
      assertThat(waiter.get(10, TimeUnit.SECONDS)).isEqualTo(mine);
      assertThat(listener.waiting()).isZero();
      assertThat(listener.isRunning()).isTrue();
    }
  }

  @Test
  void resultsWrittenBeforeTheListenerStartedAreNotDelivered() throws Exception {
    write(result("txn-old", Outcome.COMMITTED, 1));
    try (ResultListener listener = startListener(100)) {
      CompletableFuture<TxnResult> waiter = listener.await("txn-old", 1_000);
      // The old record sits before the start position: only a new one may complete the waiter.
      assertThatThrownBy(() -> waiter.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(ResultListener.ResultDeadlineException.class);
    }
  }

  @Test
  void aResultWrittenTwiceIsDeliveredOnceAndTheReplayIsIgnored() throws Exception {
    try (ResultListener listener = startListener(100)) {
      TxnResult original = result("txn-d", Outcome.COMMITTED, 11);
      CompletableFuture<TxnResult> first = listener.await("txn-d", WAIT_MS);
      listener.appended("txn-d", first, 0, 11);
      write(original);
      assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(original);

      // A later request reuses the id. The replayed copy of the original result (same bytes,
      // same position: a recovery re-emitted it) must not reach it; its own result, the
      // DUPLICATE at its own entry written after the replay, must.
      CompletableFuture<TxnResult> second = listener.await("txn-d", WAIT_MS);
      listener.appended("txn-d", second, 0, 12);
      TxnResult duplicate = result("txn-d", Outcome.DUPLICATE, 12);
      write(original);
      write(duplicate);
      assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(duplicate);
      assertThat(listener.describe()).contains("2 delivered");
    }
  }

  @Test
  void aResultReadBeforeItsAppendIsAcknowledgedIsHandedOverByTheAcknowledgement()
      throws Exception {
    try (ResultListener listener = startListener(100)) {
      CompletableFuture<TxnResult> waiter = listener.await("txn-e", WAIT_MS);
      TxnResult mine = result("txn-e", Outcome.COMMITTED, 21);
      write(mine);
      // Wait until the listener has read it (it is kept, as the waiter's entry is not known).
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!listener.describe().contains(" 1 ahead of their append's acknowledgement")
          && System.nanoTime() < until) {
        Thread.sleep(10);
      }
      assertThat(listener.describe()).contains(" 1 ahead of their append's acknowledgement");
      assertThat(waiter).isNotDone();
      listener.appended("txn-e", waiter, 0, 21);
      assertThat(waiter.get(10, TimeUnit.SECONDS)).isEqualTo(mine);
    }
  }

  @Test
  void aWaiterWhoseDeadlinePassesFailsWithTheDeadlineError() throws Exception {
    try (ResultListener listener = startListener(100)) {
      CompletableFuture<TxnResult> waiter = listener.await("txn-late", 300);
      assertThatThrownBy(() -> waiter.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(ResultListener.ResultDeadlineException.class)
          .hasMessage("no result for transaction 'txn-late' within 300 ms; the outcome is unknown");
      assertThat(listener.waiting()).isZero();
      // The late result finds nobody and changes nothing; the listener keeps serving.
      write(result("txn-late", Outcome.COMMITTED, 3));
      CompletableFuture<TxnResult> next = listener.await("txn-next", WAIT_MS);
      listener.appended("txn-next", next, 0, 4);
      TxnResult nextResult = result("txn-next", Outcome.COMMITTED, 4);
      write(nextResult);
      assertThat(next.get(10, TimeUnit.SECONDS)).isEqualTo(nextResult);
    }
  }

  @Test
  void waitersBeyondTheBoundAreRefusedUntilOneFinishes() throws Exception {
    try (ResultListener listener = startListener(2)) {
      CompletableFuture<TxnResult> a = listener.await("txn-1", WAIT_MS);
      listener.appended("txn-1", a, 0, 1);
      listener.await("txn-2", WAIT_MS);
      assertThatThrownBy(() -> listener.await("txn-3", WAIT_MS))
          .isInstanceOf(ResultListener.WaiterRefusedException.class)
          .hasMessage("the gateway already waits for 2 transactions (inFlightTxnMax); retry later")
          .extracting(e -> ((ResultListener.WaiterRefusedException) e).reason())
          .isEqualTo(ResultListener.WaiterRefusedException.Reason.LIMIT_REACHED);

      write(result("txn-1", Outcome.COMMITTED, 1));
      a.get(10, TimeUnit.SECONDS);
      CompletableFuture<TxnResult> c = listener.await("txn-3", WAIT_MS);
      assertThat(c).isNotDone();
      assertThat(listener.waiting()).isEqualTo(2);
    }
  }

  @Test
  void twoWaitersOnOneIdEachGetTheResultOfTheirOwnEntry() throws Exception {
    try (ResultListener listener = startListener(10)) {
      CompletableFuture<TxnResult> a = listener.await("txn-x", WAIT_MS);
      CompletableFuture<TxnResult> b = listener.await("txn-x", WAIT_MS);
      assertThat(listener.waiting()).isEqualTo(2);
      listener.appended("txn-x", a, 0, 30);
      listener.appended("txn-x", b, 0, 31);
      TxnResult bResult = result("txn-x", Outcome.DUPLICATE, 31);
      TxnResult aResult = result("txn-x", Outcome.COMMITTED, 30);
      // The second entry's answer is read first: it must reach b, not the first waiter.
      write(bResult);
      write(aResult);
      assertThat(b.get(10, TimeUnit.SECONDS)).isEqualTo(bResult);
      assertThat(a.get(10, TimeUnit.SECONDS)).isEqualTo(aResult);
      assertThat(listener.waiting()).isZero();
    }
  }

  @Test
  void cancelFailsOnlyTheGivenWaiterAndCloseFailsTheRest() throws Exception {
    ResultListener listener = startListener(10);
    CompletableFuture<TxnResult> cancelled = listener.await("txn-c", WAIT_MS);
    CompletableFuture<TxnResult> pending = listener.await("txn-p", WAIT_MS);
    // A stale future (not the registered one) cancels nothing.
    assertThat(listener.cancel("txn-c", new CompletableFuture<>(), new CancellationException()))
        .isFalse();
    assertThat(listener.cancel("txn-c", cancelled, new CancellationException("client left")))
        .isTrue();
    assertThatThrownBy(() -> cancelled.get(1, TimeUnit.SECONDS))
        .isInstanceOf(CancellationException.class);
    assertThat(pending).isNotDone();

    listener.close();
    assertThatThrownBy(() -> pending.get(1, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(ResultListener.ListenerClosedException.class)
        .hasMessageContaining("outcome is unknown");
    assertThat(listener.isRunning()).isFalse();
    assertThatThrownBy(() -> listener.await("txn-after", WAIT_MS))
        .isInstanceOf(ResultListener.WaiterRefusedException.class)
        .hasMessage("the gateway is shutting down");
  }

  @Test
  void startFailsClearlyForAMissingTopic() {
    assertThatThrownBy(
            () ->
                ResultListener.start(
                    broker.bootstrapServers(), "no-such-topic", 10, Duration.ofSeconds(2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("results topic 'no-such-topic' does not exist (the broker lists no partitions)");
  }
}
