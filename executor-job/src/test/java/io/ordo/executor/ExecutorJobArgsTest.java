package io.ordo.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The options of {@code flink run ... ExecutorJob} reach the job's configuration. */
class ExecutorJobArgsTest {

  @Test
  void defaultsFollowTheTopicPrefix() {
    ExecutorConfig c = ExecutorJob.fromArgs(new String[] {"--bootstrap-servers", "k:9092", "--topic-prefix", "prod"});
    assertThat(c.bootstrapServers()).isEqualTo("k:9092");
    assertThat(c.topics().logTopic()).isEqualTo("prod-log");
    assertThat(c.topics().resultsTopic()).isEqualTo("prod-results");
    assertThat(c.keyRangeCount()).isEqualTo(ExecutorConfig.DEFAULT_KEY_RANGE_COUNT);
    assertThat(c.checkpointDir()).isNull();
    assertThat(c.stateBackend()).isEqualTo(ExecutorConfig.StateBackend.HASHMAP);
    assertThat(c.topics().replicationFactor()).isEqualTo((short) 1);
    assertThat(c.stallWarningMs()).isEqualTo(10_000);
    assertThat(ExecutorJob.flinkConfiguration(c).toMap()).containsEntry("state.backend.type", "hashmap");
  }

  @Test
  void everyOptionIsApplied() {
    ExecutorConfig c =
        ExecutorJob.fromArgs(
            new String[] {
              "--bootstrap-servers", "a:1,b:2", "--log-topic", "L", "--results-topic", "R", "--changelog-topic", "C",
              "--feedback-topic", "F", "--log-partitions", "8", "--output-partitions", "3", "--key-ranges", "32",
              "--parallelism", "4", "--checkpoint-interval-ms", "5000", "--checkpoint-dir", "file:///tmp/ckpt",
              "--dedup-window-ms", "1000", "--state-backend", "RocksDB",
              "--watermark-interval-ms", "3", "--buffer-timeout-ms", "0", "--replication-factor", "3",
              "--stall-warning-ms", "2500", "--create-topics"
            });
    assertThat(c.topics().logTopic()).isEqualTo("L");
    assertThat(c.topics().resultsTopic()).isEqualTo("R");
    assertThat(c.topics().changelogTopic()).isEqualTo("C");
    assertThat(c.topics().feedbackTopic()).isEqualTo("F");
    assertThat(c.topics().logPartitions()).isEqualTo(8);
    assertThat(c.topics().outputPartitions()).isEqualTo(3);
    assertThat(c.topics().replicationFactor()).isEqualTo((short) 3);
    assertThat(c.keyRangeCount()).isEqualTo(32);
    assertThat(c.parallelism()).isEqualTo(4);
    assertThat(c.checkpointIntervalMs()).isEqualTo(5000);
    assertThat(c.checkpointDir()).isEqualTo("file:///tmp/ckpt");
    assertThat(c.dedupWindowMs()).isEqualTo(1000);
    assertThat(c.stateBackend()).isEqualTo(ExecutorConfig.StateBackend.ROCKSDB);
    assertThat(c.watermarkIntervalMs()).isEqualTo(3);
    assertThat(c.bufferTimeoutMs()).isZero();
    assertThat(c.stallWarningMs()).isEqualTo(2_500);
    assertThat(ExecutorJob.flinkConfiguration(c).toMap())
        .containsEntry("state.backend.type", "rocksdb")
        .containsEntry("execution.checkpointing.incremental", "true")
        .containsEntry("execution.buffer-timeout.interval", "0 ms");
  }

  @Test
  void missingOrBadOptionsAreRejectedWithTheReason() {
    assertThatThrownBy(() -> ExecutorJob.fromArgs(new String[] {})).hasMessageContaining("--bootstrap-servers");
    assertThatThrownBy(() -> ExecutorJob.fromArgs(new String[] {"--bootstrap-servers", "k:1", "--key-ranges", "0"}))
        .hasMessageContaining("keyRangeCount");
    assertThatThrownBy(() -> ExecutorJob.fromArgs(new String[] {"--bootstrap-servers", "k:1", "--state-backend", "memory"}))
        .hasMessageContaining("hashmap or rocksdb");
    assertThatThrownBy(() -> ExecutorJob.fromArgs(new String[] {"--bootstrap-servers", "k:1", "--replication-factor", "0"}))
        .hasMessageContaining("replicationFactor");
    assertThatThrownBy(() -> ExecutorJob.fromArgs(new String[] {"--bootstrap-servers", "k:1", "--stall-warning-ms", "0"}))
        .hasMessageContaining("stallWarningMs must be >= 1, got 0");
  }

  @Test
  void unknownOptionsAreRejectedRatherThanIgnored() {
    assertThatThrownBy(
            () -> ExecutorJob.fromArgs(
                new String[] {"--bootstrap-servers", "k:1", "--checkpoint-directory", "file:///x", "--paralelism", "3"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown option(s) [--checkpoint-directory, --paralelism]");
  }
}
