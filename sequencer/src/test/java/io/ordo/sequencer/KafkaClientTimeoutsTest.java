package io.ordo.sequencer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class KafkaClientTimeoutsTest {
  @Test
  void aConsumersRequestTimeoutExceedsItsFetchWaitByTheMargin() {
    assertThat(KafkaClientTimeouts.consumerRequestTimeoutMs(1_000)).isEqualTo(2_500);
    assertThat(KafkaClientTimeouts.consumerRequestTimeoutMs(5_000)).isEqualTo(6_500);
    assertThat(KafkaClientTimeouts.consumerRequestTimeoutMs(0)).isEqualTo(KafkaClientTimeouts.FETCH_ANSWER_MARGIN_MS);
    assertThatThrownBy(() -> KafkaClientTimeouts.consumerRequestTimeoutMs(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KafkaClientTimeouts.consumerRequestTimeoutMs(Integer.MAX_VALUE))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void onlyAReplicatedTopicShortensTheIdleFetchWait() {
    assertThat(KafkaClientTimeouts.idleFetchWaitMs(5_000, false)).isEqualTo(5_000);
    assertThat(KafkaClientTimeouts.idleFetchWaitMs(5_000, true)).isEqualTo(KafkaClientTimeouts.REPLICATED_FETCH_WAIT_MS);
    // A wait already shorter stays as it is.
    assertThat(KafkaClientTimeouts.idleFetchWaitMs(200, true)).isEqualTo(200);
    assertThat(KafkaClientTimeouts.consumerRequestTimeoutMs(KafkaClientTimeouts.REPLICATED_FETCH_WAIT_MS))
        .isEqualTo(KafkaClientTimeouts.PRODUCER_REQUEST_TIMEOUT_MS);
    assertThatThrownBy(() -> KafkaClientTimeouts.idleFetchWaitMs(-1, true)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theFailoverTimeoutsAreTheClientsOwnTuningSoAUserPropertyWins() {
    Properties config = KafkaClientTimeouts.putConsumerTimeouts(new Properties(), 1_000);
    assertThat(config).containsEntry("fetch.max.wait.ms", "1000").containsEntry("request.timeout.ms", "2500");

    new KafkaClientSettings("k:1", Map.of("request.timeout.ms", "40000")).apply(config);
    assertThat(config).containsEntry("request.timeout.ms", "40000").containsEntry("fetch.max.wait.ms", "1000");
  }

  @Test
  void onlyAReplicatedClusterGetsTheFailoverTuning() {
    assertThat(KafkaClientTimeouts.putReplicatedFailover(new Properties(), false)).isEmpty();
    Properties replicated = KafkaClientTimeouts.putReplicatedFailover(new Properties(), true);
    assertThat(replicated)
        .containsEntry("metadata.max.age.ms", "1000")
        // A silent broker is not re-dialled within a second (the metadata request goes elsewhere
        // meanwhile), and the backoff does not grow.
        .containsEntry("reconnect.backoff.ms", "1000")
        .containsEntry("reconnect.backoff.max.ms", "1000")
        .hasSize(3);

    new KafkaClientSettings("k:1", Map.of("reconnect.backoff.ms", "50")).apply(replicated);
    assertThat(replicated).containsEntry("reconnect.backoff.ms", "50");
  }

  @Test
  void anUnreachableClusterCountsAsReplicated() {
    // Nothing listens on port 1: the answer does not come, and the failover tuning is the guess.
    assertThat(KafkaClientTimeouts.replicatedOrUnknown(KafkaClientSettings.of("127.0.0.1:1"), "t", Duration.ofMillis(300))).isTrue();
    assertThatThrownBy(() -> KafkaClientTimeouts.replicatedOrUnknown(KafkaClientSettings.of("k:1"), "t", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
