package io.ordo.executor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.Position;
import io.ordo.proto.state.WriteResult;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class FeedbackChannelTest {
  private static WriteResult result(int n) {
    return WriteResult.newBuilder()
        .setTxnId("t" + n)
        .setKeyRange(n % 4)
        .setPosition(Position.newBuilder().setTs(1_000 + n).setPartition(0).setOffset(n))
        .build();
  }

  @Test
  void resultsAreOfferedOnlyWhileAReaderIsRegistered() {
    String key = FeedbackChannel.key("b:1", "feedback", "no-reader");
    FeedbackChannel producer = FeedbackChannel.acquireProducer(key);
    assertThat(producer.offer(result(1))).as("no reader: the topic alone carries it").isFalse();
    assertThat(producer.size()).isZero();

    FeedbackChannel reader = FeedbackChannel.acquireReader(key);
    assertThat(reader).isSameAs(producer);
    assertThat(producer.offer(result(2))).isTrue();
    assertThat(reader.poll()).isEqualTo(result(2));
    assertThat(reader.poll()).isNull();

    producer.offer(result(3));
    reader.releaseReader();
    assertThat(producer.size()).as("the last reader gone: nothing is kept").isZero();
    assertThat(producer.offer(result(4))).isFalse();
    producer.releaseProducer();
  }

  @Test
  void channelsAreSeparatedByKeyAndForgottenWhenUnused() {
    String a = FeedbackChannel.key("b:1", "feedback", "job-a");
    String b = FeedbackChannel.key("b:1", "feedback", "job-b");
    FeedbackChannel readerA = FeedbackChannel.acquireReader(a);
    FeedbackChannel readerB = FeedbackChannel.acquireReader(b);
    FeedbackChannel producerA = FeedbackChannel.acquireProducer(a);
    producerA.offer(result(1));
    assertThat(readerB.poll()).as("another job's channel").isNull();
    assertThat(readerA.poll()).isEqualTo(result(1));
    readerA.releaseReader();
    producerA.releaseProducer();
    readerB.releaseReader();
    FeedbackChannel again = FeedbackChannel.acquireReader(a);
    assertThat(again).as("a new channel after the old one was forgotten").isNotSameAs(readerA);
    again.releaseReader();
  }

  @Test
  void aFullChannelDropsAndCountsInsteadOfBlocking() {
    String key = FeedbackChannel.key("b:1", "feedback", "full");
    FeedbackChannel reader = FeedbackChannel.acquireReader(key);
    FeedbackChannel producer = FeedbackChannel.acquireProducer(key);
    for (int i = 0; i < FeedbackChannel.CAPACITY; i++) {
      assertThat(producer.offer(result(i))).isTrue();
    }
    assertThat(producer.offer(result(-1))).isFalse();
    assertThat(producer.droppedCount()).isEqualTo(1);
    assertThat(producer.size()).isEqualTo(FeedbackChannel.CAPACITY);
    // In offer order.
    for (int i = 0; i < FeedbackChannel.CAPACITY; i++) {
      assertThat(reader.poll()).isEqualTo(result(i));
    }
    reader.releaseReader();
    producer.releaseProducer();
  }

  @Test
  void theAvailabilityFutureCompletesOnTheNextOfferAndAtOnceWhenSomethingWaits() {
    String key = FeedbackChannel.key("b:1", "feedback", "available");
    FeedbackChannel reader = FeedbackChannel.acquireReader(key);
    FeedbackChannel producer = FeedbackChannel.acquireProducer(key);
    CompletableFuture<Void> empty = reader.available();
    assertThat(empty).isNotDone();
    producer.offer(result(1));
    assertThat(empty).isDone();
    assertThat(reader.available()).as("a result waits").isDone();
    assertThat(reader.poll()).isEqualTo(result(1));
    CompletableFuture<Void> next = reader.available();
    assertThat(next).as("drained: a fresh future").isNotDone();
    producer.offer(result(2));
    assertThat(next).isDone();
    reader.releaseReader();
    producer.releaseProducer();
  }
}
