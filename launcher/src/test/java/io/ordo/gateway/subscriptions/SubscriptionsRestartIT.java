package io.ordo.gateway.subscriptions;

import static io.ordo.gateway.subscriptions.SubscriptionsIT.RECEIVE_TIMEOUT_MS;
import static io.ordo.gateway.subscriptions.SubscriptionsIT.appendToShard;
import static io.ordo.gateway.subscriptions.SubscriptionsIT.await;
import static io.ordo.gateway.subscriptions.SubscriptionsIT.createStream;
import static io.ordo.gateway.subscriptions.SubscriptionsIT.createSubscription;
import static io.ordo.gateway.subscriptions.SubscriptionsIT.floors;
import static io.ordo.gateway.subscriptions.SubscriptionsIT.payloads;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.proto.ReceivedRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Progress is durable: after the whole embedded system restarts on the same data directory, a
 * new fetch resumes from the acked progress (acked records are not delivered again, unacked ones
 * are).
 */
class SubscriptionsRestartIT {
  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void aFetchAfterARestartResumesFromTheAckedProgress(@TempDir Path dir) throws Exception {
    try (EmbeddedOrdo ordo = EmbeddedOrdo.start(SubscriptionsIT.options(dir))) {
      ordo.awaitServing(Duration.ofSeconds(60));
      ManagedChannel channel = ManagedChannelBuilder.forTarget(ordo.grpcTarget()).usePlaintext().build();
      try {
        createStream(channel, "restart-s", 2);
        createSubscription(channel, "restart-sub", "restart-s", 0, 0);
        appendToShard(channel, "restart-s", 0, "a", 0, 6);
        appendToShard(channel, "restart-s", 1, "b", 0, 4);
        try (FetchClient consumer = new FetchClient(channel, "restart-sub", "c")) {
          List<ReceivedRecord> got = consumer.take(10, RECEIVE_TIMEOUT_MS);
          assertThat(got).hasSize(10);
          // Ack a:0..a:3 and b:0, b:2 (b:1 stays unacked, so b's floor stops at 1).
          consumer.ack(got.stream().filter(r -> List.of("a:0", "a:1", "a:2", "a:3", "b:0", "b:2")
              .contains(SubscriptionsIT.payload(r))).toList());
          await("acks to become durable", 10_000,
              () -> floors(channel, "restart-sub").equals(Map.of(0L, 4L, 1L, 1L)));
        }
      } finally {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    try (EmbeddedOrdo ordo = EmbeddedOrdo.start(SubscriptionsIT.options(dir))) {
      ordo.awaitServing(Duration.ofSeconds(60));
      ManagedChannel channel = ManagedChannelBuilder.forTarget(ordo.grpcTarget()).usePlaintext().build();
      try (FetchClient consumer = new FetchClient(channel, "restart-sub", "c")) {
        List<ReceivedRecord> got = consumer.take(4, 60_000);
        assertThat(payloads(got)).containsExactlyInAnyOrder("a:4", "a:5", "b:1", "b:3");
        assertThat(consumer.drainFor(1_000)).isEmpty();
      } finally {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
