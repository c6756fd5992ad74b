package io.ordo.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sequencer.KafkaClientSettings;
import io.ordo.sequencer.KafkaClientTimeouts;
import io.ordo.sequencer.TopicLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
  void kafkaClientSettingsComeFromTheFileAndRepeatedProperties(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(
        file,
        "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-256\nbootstrap.servers=k:1\n",
        StandardCharsets.ISO_8859_1);
    ExecutorConfig c =
        ExecutorJob.fromArgs(
            new String[] {
              "--bootstrap-servers", "k:1", "--kafka-config", file.toString(),
              "--kafka-property", "sasl.mechanism=SCRAM-SHA-512",
              "--kafka-property", "sasl.jaas.config=x required username=\"u\" password=\"p=1\";"
            });
    assertThat(c.kafka().bootstrapServers()).isEqualTo("k:1");
    assertThat(c.kafka().properties())
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("sasl.jaas.config", "x required username=\"u\" password=\"p=1\";")
        .hasSize(3);
    assertThat(ExecutorJob.fromArgs(new String[] {"--bootstrap-servers", "k:1"}).kafka())
        .isEqualTo(KafkaClientSettings.of("k:1"));
  }

  @Test
  void badKafkaOptionsAndRepeatedOptionsAreRejected(@TempDir Path dir) {
    assertThatThrownBy(
            () -> ExecutorJob.fromArgs(
                new String[] {"--bootstrap-servers", "k:1", "--kafka-property", "acks=1"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("acks cannot be set");
    assertThatThrownBy(
            () -> ExecutorJob.fromArgs(
                new String[] {"--bootstrap-servers", "k:1", "--kafka-property", "a=1", "--kafka-property", "a=2"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--kafka-property a is given twice");
    assertThatThrownBy(
            () -> ExecutorJob.fromArgs(
                new String[] {"--bootstrap-servers", "k:1", "--kafka-config", dir.resolve("nope").toString()}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not exist");
    assertThatThrownBy(
            () -> ExecutorJob.fromArgs(new String[] {"--bootstrap-servers", "k:1", "--kafka-property"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--kafka-property needs NAME=VALUE");
    assertThatThrownBy(
            () -> ExecutorJob.fromArgs(
                new String[] {"--bootstrap-servers", "k:1", "--parallelism", "2", "--parallelism", "3"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("option --parallelism is given 2 times");
  }

  @Test
  void sourcesAndSinksGiveUpOnASilentBrokerWithinTheFailoverTimeoutsUnlessOverridden() {
    ExecutorConfig config = ExecutorConfig.defaults(KafkaClientSettings.of("k:1"), TopicLayout.withPrefix("t"));
    assertThat(ExecutorJob.consumerProperties(config))
        .containsEntry("request.timeout.ms",
            Integer.toString(KafkaClientTimeouts.consumerRequestTimeoutMs(ExecutorJob.IDLE_FETCH_WAIT_MS)));
    assertThat(ExecutorJob.producerProperties(config))
        .containsEntry("request.timeout.ms", Integer.toString(KafkaClientTimeouts.PRODUCER_REQUEST_TIMEOUT_MS));

    ExecutorConfig overridden = ExecutorConfig.defaults(
        new KafkaClientSettings("k:1", Map.of("request.timeout.ms", "45000")), TopicLayout.withPrefix("t"));
    assertThat(ExecutorJob.consumerProperties(overridden)).containsEntry("request.timeout.ms", "45000");
    assertThat(ExecutorJob.producerProperties(overridden)).containsEntry("request.timeout.ms", "45000");
  }

  @Test
  void onlyReplicatedTopicsMakeSourcesAndSinksRefreshMetadataEverySecond() {
    ExecutorConfig single = ExecutorConfig.defaults(KafkaClientSettings.of("k:1"), TopicLayout.withPrefix("t"));
    assertThat(ExecutorJob.consumerProperties(single)).doesNotContainKey("metadata.max.age.ms");
    assertThat(ExecutorJob.producerProperties(single)).doesNotContainKey("metadata.max.age.ms");

    ExecutorConfig replicated =
        ExecutorConfig.defaults(KafkaClientSettings.of("k:1"), TopicLayout.withPrefix("t").withReplicationFactor((short) 3));
    String age = Integer.toString(KafkaClientTimeouts.REPLICATED_METADATA_MAX_AGE_MS);
    String backoff = Integer.toString(KafkaClientTimeouts.REPLICATED_RECONNECT_BACKOFF_MS);
    assertThat(ExecutorJob.consumerProperties(replicated))
        .containsEntry("metadata.max.age.ms", age)
        .containsEntry("reconnect.backoff.ms", backoff)
        // The shorter idle wait of a replicated topic, so the request timeout is 2 s.
        .containsEntry("fetch.max.wait.ms", Integer.toString(KafkaClientTimeouts.REPLICATED_FETCH_WAIT_MS))
        .containsEntry("request.timeout.ms", "2000");
    assertThat(ExecutorJob.producerProperties(replicated))
        .containsEntry("metadata.max.age.ms", age)
        .containsEntry("reconnect.backoff.ms", backoff);
    assertThat(ExecutorJob.consumerProperties(single))
        .doesNotContainKey("reconnect.backoff.ms")
        .containsEntry("fetch.max.wait.ms", Integer.toString(ExecutorJob.IDLE_FETCH_WAIT_MS));
  }

  @Test
  void theSettingsReachEverySourceAndSinkAndTravelInTheJobGraph() throws Exception {
    String marker = "marker-value-of-a-secured-cluster";
    KafkaClientSettings kafka =
        new KafkaClientSettings(
            "k:1", Map.of("security.protocol", "SASL_SSL", "sasl.kerberos.service.name", marker));
    ExecutorConfig config = ExecutorConfig.defaults(kafka, TopicLayout.withPrefix("sec"));

    Properties consumer = ExecutorJob.consumerProperties(config);
    assertThat(consumer)
        .containsEntry("bootstrap.servers", "k:1")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("fetch.max.wait.ms", Integer.toString(ExecutorJob.IDLE_FETCH_WAIT_MS));
    Properties producer = ExecutorJob.producerProperties(config);
    assertThat(producer)
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("acks", "all")
        .containsEntry("enable.idempotence", "true");

    // Flink serializes each source and sink (with its Properties) into the job graph that the
    // client sends to the JobManager and the TaskManagers deserialize.
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    ExecutorJob.build(env, config);
    JobGraph graph = env.getStreamGraph().getJobGraph();
    byte[] serialized = InstantiationUtil.serializeObject(graph);
    assertThat(occurrences(serialized, marker))
        .as("the marker in the 2 sources and 3 sinks")
        .isGreaterThanOrEqualTo(5);
    JobGraph back =
        InstantiationUtil.deserializeObject(serialized, getClass().getClassLoader());
    assertThat(back.getNumberOfVertices()).isEqualTo(graph.getNumberOfVertices());
  }

  private static int occurrences(byte[] haystack, String needle) {
    byte[] n = needle.getBytes(StandardCharsets.UTF_8);
    int count = 0;
    outer:
    for (int i = 0; i + n.length <= haystack.length; i++) {
      for (int j = 0; j < n.length; j++) {
        if (haystack[i + j] != n[j]) {
          continue outer;
        }
      }
      count++;
    }
    return count;
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
