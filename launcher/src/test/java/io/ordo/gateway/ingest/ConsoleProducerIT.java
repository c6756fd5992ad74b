package io.ordo.gateway.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.gateway.streams.IngestTopics;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.Header;
import io.ordo.proto.ListShardsRequest;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadShardRequest;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.Shard;
import io.ordo.proto.Stream;
import io.ordo.proto.StreamsGrpc;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka-compatible ingest with the console producer of the Kafka distribution ({@code
 * kafka-console-producer.sh}, i.e. {@code org.apache.kafka.tools.ConsoleProducer} from
 * kafka-tools) as a child process: lines {@code headers<TAB>key:value} on its stdin go to a
 * stream's ingest topic on the embedded Ordo's broker, the ingest bridge appends them through the
 * log, and the stream, read back through the Streams API, holds every record once, with its Kafka
 * key as partition key, its headers, and the order of each key.
 *
 * <p>The bridge is the embedded gateway's own: it starts one for every stream in its catalog
 * (and creates the ingest topic), so the test only creates the stream, waits for the topic and
 * produces, as a user would.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ConsoleProducerIT {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final long WAIT_MS = 60_000;

  /** How long the console producer may take to start, send and exit. */
  private static final long PRODUCER_TIMEOUT_MS = 90_000;

  /** Main class of {@code kafka-console-producer.sh} in Kafka 4.x (kafka-tools). */
  static final String CONSOLE_PRODUCER = "org.apache.kafka.tools.ConsoleProducer";

  @TempDir static Path dir;
  static EmbeddedOrdo ordo;
  static ManagedChannel channel;
  static Admin admin;

  @BeforeAll
  static void start() throws Exception {
    ordo =
        EmbeddedOrdo.start(
            EmbeddedOrdo.Options.defaults(dir.resolve("ordo"))
                .withFreePorts()
                .withExecutor(OptionalInt.empty(), OptionalInt.empty(), OptionalLong.of(1_000)));
    ordo.awaitServing(READY_TIMEOUT);
    channel = ManagedChannelBuilder.forTarget(ordo.grpcTarget()).usePlaintext().build();
    admin =
        Admin.create(
            Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, ordo.bootstrapServers()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (admin != null) {
      admin.close();
    }
    if (channel != null) {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (ordo != null) {
      ordo.close();
    }
  }

  static StreamsGrpc.StreamsBlockingStub streams() {
    return StreamsGrpc.newBlockingStub(channel).withDeadlineAfter(WAIT_MS, TimeUnit.MILLISECONDS);
  }

  @Test
  void consoleProducerLinesArriveOnceWithKeysAsPartitionKeysInOrderPerKey() throws Exception {
    String name = "console-in";
    Stream stream =
        streams().createStream(CreateStreamRequest.newBuilder().setName(name).setShardCount(2).build());
    String topic = stream.getIngestTopic();
    assertThat(topic).isEqualTo(IngestTopics.topic(ordo.topics(), name)).endsWith("-ingest-" + name);

    int keys = 9;
    int count = 300;
    awaitTopic(topic);
    // Two runs of the producer: the bridge keeps consuming, and each key's order spans both.
    runConsoleProducer(topic, lines(0, 200, keys));
    awaitStreamRecords(name, 200);
    runConsoleProducer(topic, lines(200, count, keys));

    List<ReceivedRecord> read = awaitStreamRecords(name, count);
    // Nothing more arrives later: a late duplicate would show up in a second read.
    Thread.sleep(1_000);
    read = readStream(name);
    assertThat(read).hasSize(count);

    List<String> payloads = new ArrayList<>();
    Map<String, List<Integer>> seqByKey = new TreeMap<>();
    for (ReceivedRecord r : read) {
      String payload = r.getRecord().getRaw().toStringUtf8();
      payloads.add(payload);
      assertThat(r.getRecord().getHeadersList())
          .extracting(Header::getKey)
          .as("headers of %s", payload)
          .containsExactly("seq", "src");
      int seq = Integer.parseInt(r.getRecord().getHeaders(0).getValue().toStringUtf8());
      assertThat(r.getRecord().getHeaders(1).getValue().toStringUtf8()).isEqualTo("console");
      assertThat(payload).isEqualTo("event-" + seq);
      assertThat(r.getRecord().getPartitionKey()).as("key of %s", payload).isEqualTo("user-" + (seq % keys));
      seqByKey.computeIfAbsent(r.getRecord().getPartitionKey(), k -> new ArrayList<>()).add(seq);
    }
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      expected.add("event-" + i);
    }
    assertThat(payloads).as("every line once").containsExactlyInAnyOrderElementsOf(expected);
    assertThat(seqByKey).hasSize(keys);
    // One key goes to one Kafka partition and one shard: the producer's order is kept.
    seqByKey.forEach((key, seqs) -> assertThat(seqs).as("order of %s", key).isSorted());

    // Per shard (ReadShard): gapless offsets from 0, and every key in one shard only.
    List<Shard> shards =
        streams().listShards(ListShardsRequest.newBuilder().setStream(name).build()).getShardsList();
    Map<String, Long> shardOfKey = new TreeMap<>();
    long total = 0;
    for (Shard shard : shards) {
      List<ReceivedRecord> records = new ArrayList<>();
      streams()
          .readShard(ReadShardRequest.newBuilder().setStream(name).setShardId(shard.getId()).build())
          .forEachRemaining((ReadResponse response) -> records.addAll(response.getRecordsList()));
      for (int i = 0; i < records.size(); i++) {
        ReceivedRecord r = records.get(i);
        assertThat(r.getId().getOffset()).isEqualTo(i);
        Long before = shardOfKey.put(r.getRecord().getPartitionKey(), shard.getId());
        assertThat(before == null || before == shard.getId())
            .as("key %s in one shard", r.getRecord().getPartitionKey())
            .isTrue();
      }
      total += records.size();
    }
    assertThat(total).isEqualTo(count);
  }

  /**
   * Console producer input for records {@code from..to-1}: {@code headers<TAB>key:value}, where
   * header {@code seq} carries the record's number (the order checks use it) and the key is
   * {@code user-<seq % keys>}.
   */
  static String lines(int from, int to, int keys) {
    StringBuilder out = new StringBuilder();
    for (int i = from; i < to; i++) {
      out.append("seq:").append(i).append(",src:console\t")
          .append("user-").append(i % keys).append(':')
          .append("event-").append(i).append('\n');
    }
    return out.toString();
  }

  /**
   * Runs the console producer as a child JVM on the test classpath with {@code lines} on its
   * stdin; it sends every line and exits when stdin ends. Fails unless it exits with 0 within
   * {@link #PRODUCER_TIMEOUT_MS}.
   */
  static void runConsoleProducer(String topic, String lines) throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // Failsafe puts the test classpath here (java.class.path may be its booter jar only).
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path log = dir.resolve("console-producer.log");
    List<String> command =
        List.of(
            java,
            "-Xmx256m",
            "-Dlog4j2.configurationFile=log4j2-test.xml",
            "-cp",
            classpath,
            CONSOLE_PRODUCER,
            "--bootstrap-server",
            ordo.bootstrapServers(),
            "--topic",
            topic,
            "--reader-property",
            "parse.key=true",
            "--reader-property",
            "key.separator=:",
            "--reader-property",
            "parse.headers=true",
            "--command-property",
            "acks=all");
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      try (OutputStream in = process.getOutputStream()) {
        in.write(lines.getBytes(StandardCharsets.UTF_8));
      }
      boolean exited = process.waitFor(PRODUCER_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      assertThat(exited).as("the console producer exited; its output:%n%s", read(log)).isTrue();
      assertThat(process.exitValue()).as("exit code; its output:%n%s", read(log)).isZero();
    } finally {
      if (process.isAlive()) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static String read(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file) : "(no output)";
  }

  /** Every record of the stream (all shards, commit order), read without following. */
  static List<ReceivedRecord> readStream(String stream) {
    List<ReceivedRecord> out = new ArrayList<>();
    streams()
        .readStream(ReadStreamRequest.newBuilder().setStream(stream).build())
        .forEachRemaining(response -> out.addAll(response.getRecordsList()));
    return out;
  }

  /** Reads the stream until it holds at least {@code count} records, within {@link #WAIT_MS}. */
  static List<ReceivedRecord> awaitStreamRecords(String stream, int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    List<ReceivedRecord> read = readStream(stream);
    while (read.size() < count) {
      assertThat(System.nanoTime() - deadline)
          .as("%d of %d records arrived within %d ms", read.size(), count, WAIT_MS)
          .isNegative();
      Thread.sleep(200);
      read = readStream(stream);
    }
    return read;
  }

  /** Waits until the ingest topic exists and every partition has a leader (the bridge creates it). */
  static void awaitTopic(String topic) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (true) {
      try {
        TopicDescription description =
            admin.describeTopics(List.of(topic)).allTopicNames().get(WAIT_MS, TimeUnit.MILLISECONDS).get(topic);
        if (!description.partitions().isEmpty()
            && description.partitions().stream().allMatch(p -> p.leader() != null)) {
          return;
        }
      } catch (java.util.concurrent.ExecutionException e) {
        // Not created yet (UnknownTopicOrPartitionException): wait.
      }
      assertThat(System.nanoTime() - deadline).as("topic %s created within %d ms", topic, WAIT_MS).isNegative();
      Thread.sleep(100);
    }
  }
}
