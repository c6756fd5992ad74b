package io.ordo.gateway.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ordo.gateway.GatewayConfig;
import io.ordo.proto.Outcome;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.TxnResult;
import io.ordo.sql.SqlException;
import io.ordo.sql.StatementResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka connectors end to end against the test cluster's embedded broker (topics of their own,
 * loopback only): a source appends records produced before and after CREATE once each in
 * partition order, across worker crashes right after a commit and a gateway restart under a
 * producer; a record that is not JSON stops it with the offset in its error; a sink writes a
 * table's inserts, updates and deletes to a topic with their positions, and a read_committed
 * consumer sees each change once across a gateway restart mid-stream; bad definitions are
 * refused and leave no catalog entry.
 */
@Timeout(value = 170, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaConnectorIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  static ConnectorTestCluster cluster;
  static String bootstrap;

  @BeforeAll
  static void start() throws Exception {
    cluster = ConnectorTestCluster.startOrdo(dir, "kafkaconn");
    bootstrap = cluster.broker.bootstrapServers();
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static List<StatementResult> sql(String text) throws SqlException {
    return cluster.sql(text);
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    ConnectorTestCluster.await(what, condition);
  }

  private static void createTopic(String name, int partitions) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin a = Admin.create(p)) {
      a.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all()
          .get(30, TimeUnit.SECONDS);
    }
  }

  private static KafkaProducer<String, String> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return new KafkaProducer<>(p);
  }

  /** Produces events {@code from..to-1}: key {@code k<i % 7>}, value {"id": i, "k": ...}. */
  private static void produce(KafkaProducer<String, String> p, String topic, int from, int to)
      throws Exception {
    for (int i = from; i < to; i++) {
      String k = "k" + (i % 7);
      p.send(new ProducerRecord<>(topic, k, "{\"id\":" + i + ",\"k\":\"" + k + "\"}"));
    }
    p.flush();
  }

  /** The stream's records as parsed JSON, in shard order then offset order. */
  private static List<JsonNode> records(String stream) throws Exception {
    List<ReadResponse> read = cluster.gateway().sqlBackend().readStream(
        ReadStreamRequest.newBuilder().setStream(stream).setMaxRecords(100_000).build());
    List<JsonNode> out = new ArrayList<>();
    for (ReadResponse r : read) {
      for (ReceivedRecord rec : r.getRecordsList()) {
        out.add(JSON.readTree(rec.getRecord().getJson()));
      }
    }
    return out;
  }

  private static int countOf(String stream) {
    try {
      return records(stream).size();
    } catch (Exception e) {
      return -1;
    }
  }

  /** Every id from {@code 0} to {@code n-1} exactly once, and each key's ids in increasing order. */
  private static void assertEachOnceInKeyOrder(List<JsonNode> records, int n) {
    List<Integer> ids = records.stream().map(r -> r.get("id").asInt()).sorted().toList();
    List<Integer> want = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      want.add(i);
    }
    assertThat(ids).containsExactlyElementsOf(want);
    Map<String, List<Integer>> byKey = new TreeMap<>();
    for (JsonNode r : records) {
      byKey.computeIfAbsent(r.get("k").asText(), k -> new ArrayList<>()).add(r.get("id").asInt());
    }
    byKey.forEach((k, list) -> assertThat(list).as("ids of key %s", k).isSorted());
  }

  private static String createSource(String name, String topic, String extra, String stream) {
    return "CREATE SOURCE CONNECTOR " + name + " FROM KAFKA WITH (topic = '" + topic
        + "', bootstrap = '" + bootstrap + "'" + extra + ") INTO STREAM " + stream;
  }

  @Test
  @Order(1)
  void recordsProducedBeforeAndAfterCreateArriveOnceInPartitionOrder() throws Exception {
    createTopic("ext-events", 3);
    sql("CREATE STREAM events (id INT, k TEXT) WITH (shards = 2)");
    try (KafkaProducer<String, String> p = producer()) {
      produce(p, "ext-events", 0, 100);
      sql(createSource("ksrc", "ext-events", ", format = 'json', key = 'k'", "events"));
      produce(p, "ext-events", 100, 200);
    }
    await("the 200 records", () -> countOf("events") == 200);
    assertEachOnceInKeyOrder(records("events"), 200);
    await("lag 0", () -> {
      try {
        return Long.valueOf(0).equals(cluster.connector("ksrc").get("lag_bytes"));
      } catch (SqlException e) {
        return false;
      }
    });
    Map<String, Object> row = cluster.connector("ksrc");
    assertThat(row).containsEntry("state", "streaming").containsEntry("source", "kafka ext-events")
        .containsEntry("target", "stream events");
    assertThat((String) row.get("applied_position")).startsWith("0:").contains("1:", "2:");
  }

  @Test
  @Order(2)
  void workerCrashesAndAGatewayRestartUnderAProducerKeepEveryRecordOnce() throws Exception {
    // The gateway's manager steps aside for one whose log fails every third batch right after
    // its transaction committed: the worker dies where its consumer has not heard of the commit.
    cluster.gateway().sqlBackend().closeConnectors();
    AtomicInteger batches = new AtomicInteger();
    AtomicInteger crashes = new AtomicInteger();
    ConnectorWorker.Log crashing = (txn, waitMs) -> {
      CompletableFuture<TxnResult> result = cluster.gateway().sqlBackend().execute(txn, waitMs);
      if (!txn.getId().startsWith("connector-ksrc-") || batches.incrementAndGet() % 3 != 1) {
        return result;
      }
      return result.thenApply(r -> {
        if (r.getOutcome() == Outcome.COMMITTED) {
          crashes.incrementAndGet();
          throw new ConnectorWorker.Stopped("injected crash after a commit");
        }
        return r;
      });
    };
    ConnectorManager flaky = new ConnectorManager(
        cluster.gateway().sqlBackend().store(), crashing,
        GatewayConfig.defaults("unused:1", cluster.topics()).limits().txnBytesMax(), 300,
        System::currentTimeMillis);
    flaky.attachSql(cluster.gateway().sqlEngine());
    cluster.gateway().sqlBackend().attachConnectors(flaky);
    flaky.start();
    try (KafkaProducer<String, String> p = producer()) {
      for (int i = 200; i < 400; i += 20) {
        produce(p, "ext-events", i, i + 20);
        Thread.sleep(50);
      }
      await("records 200..399", () -> countOf("events") == 400);
      flaky.close();
      assertThat(crashes.get()).isPositive();
      // Now the gateway restarts (its own manager again) while the producer goes on.
      Thread producing = new Thread(() -> {
        try {
          for (int i = 400; i < 800; i += 20) {
            produce(p, "ext-events", i, i + 20);
            Thread.sleep(20);
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      producing.start();
      cluster.restartGateway();
      ConnectorTestCluster.joinWriter(producing);
    }
    await("all 800 records", () -> countOf("events") >= 800);
    Thread.sleep(1_000); // a duplicate would come with the last batches
    assertEachOnceInKeyOrder(records("events"), 800);
  }

  @Test
  @Order(3)
  void aRecordThatIsNotJsonStopsTheSourceWithItsOffset() throws Exception {
    createTopic("ext-bad", 1);
    sql("CREATE STREAM bad_events (id INT) WITH (shards = 1)");
    try (KafkaProducer<String, String> p = producer()) {
      p.send(new ProducerRecord<>("ext-bad", "a", "{\"id\":1}"));
      p.send(new ProducerRecord<>("ext-bad", "a", "{\"id\":2"));
      p.send(new ProducerRecord<>("ext-bad", "a", "{\"id\":3}"));
      p.flush();
    }
    sql(createSource("kbad", "ext-bad", "", "bad_events"));
    await("the source stopped at the bad record", () -> {
      try {
        Object error = cluster.connector("kbad").get("last_error");
        return error != null && error.toString().contains("partition 0 offset 1")
            && error.toString().contains("not valid JSON");
      } catch (SqlException e) {
        return false;
      }
    });
    Thread.sleep(1_000); // restarts from the stored offset append nothing either
    assertThat(records("bad_events")).extracting(r -> r.get("id").asInt()).containsExactly(1);
    sql("DROP CONNECTOR kbad");
  }

  @Test
  @Order(4)
  void badDefinitionsAreRefusedAndLeaveNoCatalogEntry() throws Exception {
    cluster.assertRefused(createSource("r1", "ext-events", ", colour = 'red'", "events"),
        "22023", "unknown option \"colour\"");
    cluster.assertRefused("CREATE SOURCE CONNECTOR r2 FROM KAFKA WITH (bootstrap = '" + bootstrap
        + "') INTO STREAM events", "22023", "option \"topic\" is required");
    cluster.assertRefused(createSource("r3", "ext-events", ", format = 'avro'", "events"),
        "22023", "option \"format\"");
    cluster.assertRefused(createSource("r4", "no-such-topic", "", "events"),
        "08001", "topic \"no-such-topic\" does not exist");
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    cluster.assertRefused("CREATE SOURCE CONNECTOR r5 FROM KAFKA WITH (topic = 'ext-events',"
        + " bootstrap = '127.0.0.1:" + closed + "') INTO STREAM events", "08001",
        "cannot reach Kafka at 127.0.0.1:" + closed);
    cluster.assertRefused("CREATE SOURCE CONNECTOR r6 FROM KAFKA WITH (topic = 'ext-events',"
        + " bootstrap = '" + bootstrap + "') INTO TABLE t6", "0A000", "INTO TABLE");
    cluster.assertRefused("CREATE SINK CONNECTOR r7 TO KAFKA WITH (topic = 'x', bootstrap = '"
        + bootstrap + "', format = 'json', key = 'id') FROM TABLE nope", "42P01",
        "table \"nope\" does not exist");
    sql("CREATE TABLE r8t (id INT PRIMARY KEY)");
    cluster.assertRefused("CREATE SINK CONNECTOR r8 TO KAFKA WITH (topic = 'x', bootstrap = '"
        + bootstrap + "', start_from = 'latest') FROM TABLE r8t", "22023",
        "unknown option \"start_from\"");
    List<Object> names = sql("SHOW CONNECTORS").get(0).rows().stream().map(r -> r.get(0)).toList();
    assertThat(names).doesNotContain("r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8");
  }

  /** The sink's records of {@code topic}, read_committed, from the start. */
  private static List<ConsumerRecord<byte[], byte[]>> sinkRecords(String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> tps = c.partitionsFor(topic).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> ends = c.endOffsets(tps);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (tps.stream().anyMatch(tp -> c.position(tp) < ends.get(tp))
          && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static String text(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  /** Per key, the values of the sink's records, in topic order (one partition per key). */
  private static Map<String, List<String>> valuesByKey(List<ConsumerRecord<byte[], byte[]>> rs) {
    Map<String, List<String>> out = new TreeMap<>();
    for (ConsumerRecord<byte[], byte[]> r : rs) {
      out.computeIfAbsent(text(r.key()), k -> new ArrayList<>()).add(text(r.value()));
    }
    return out;
  }

  @Test
  @Order(5)
  void aSinkWritesTheTablesChangesToATopicOnceAcrossARestart() throws Exception {
    sql("CREATE TABLE items (id INT PRIMARY KEY, name TEXT, qty BIGINT)");
    sql("INSERT INTO items VALUES (1, 'one', 1), (2, 'two', 2)");
    sql("CREATE SINK CONNECTOR ksink TO KAFKA WITH (topic = 'ext-items', bootstrap = '"
        + bootstrap + "', partitions = 3) FROM TABLE items");
    // The first copy reads the table a little in the past: rows written just before CREATE are in
    // the copy or among the changes, once either way; wait for them before changing more.
    await("the first 2 rows", () -> sinkRecords("ext-items").size() == 2);
    sql("INSERT INTO items VALUES (3, 'three', 3)");
    sql("UPDATE items SET qty = 10 WHERE id = 1");
    sql("DELETE FROM items WHERE id = 2");
    await("the copy and the 3 changes", () -> sinkRecords("ext-items").size() == 5);
    Map<String, List<String>> byKey = valuesByKey(sinkRecords("ext-items"));
    assertThat(byKey.get("{\"id\":1}"))
        .containsExactly("{\"id\":1,\"name\":\"one\",\"qty\":1}",
            "{\"id\":1,\"name\":\"one\",\"qty\":10}");
    assertThat(byKey.get("{\"id\":2}"))
        .containsExactly("{\"id\":2,\"name\":\"two\",\"qty\":2}", null); // delete: tombstone
    assertThat(byKey.get("{\"id\":3}")).containsExactly("{\"id\":3,\"name\":\"three\",\"qty\":3}");
    assertThat(sinkRecords("ext-items")).allSatisfy(r -> {
      assertThat(header(r, KafkaSink.POSITION_HEADER)).isNotNull();
      assertThat(header(r, KafkaSink.SINK_HEADER)).startsWith("ksink/");
    });

    // Writes go on while the gateway restarts: each change once in the topic.
    Thread writer = new Thread(() -> {
      for (int i = 100; i < 300; i++) {
        runUntilDone("INSERT INTO items VALUES (" + i + ", 'n', 0)");
        if (i % 2 == 0) {
          runUntilDone("UPDATE items SET qty = 1 WHERE qty = 0 AND id = " + i); // once if retried
        }
      }
    });
    writer.start();
    Thread.sleep(300);
    cluster.restartGateway();
    ConnectorTestCluster.joinWriter(writer);
    int want = 5 + 200 + 100;
    await("every change in the topic", () -> sinkRecords("ext-items").size() >= want);
    Thread.sleep(1_500); // a duplicate would come with the last batches
    List<ConsumerRecord<byte[], byte[]>> all = sinkRecords("ext-items");
    assertThat(all).hasSize(want);
    Set<String> positions = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> r : all) {
      String pos = header(r, KafkaSink.POSITION_HEADER);
      if (pos.split(":").length == 4) { // the copy's rows share the copy's position
        assertThat(positions.add(pos)).as("position %s once", pos).isTrue();
      }
    }
    byKey = valuesByKey(all);
    for (int i = 100; i < 300; i++) {
      String row = "{\"id\":" + i + ",\"name\":\"n\",\"qty\":";
      assertThat(byKey.get("{\"id\":" + i + "}")).as("changes of row %d", i)
          .containsExactlyElementsOf(i % 2 == 0 ? List.of(row + "0}", row + "1}") : List.of(row + "0}"));
    }
  }

  /**
   * Runs {@code statement} until it succeeds, across the gateway's restart (an insert whose
   * earlier attempt committed fails with 23505: done).
   */
  private static void runUntilDone(String statement) {
    for (int attempt = 0; attempt < 300; attempt++) {
      try {
        cluster.sql(statement);
        return;
      } catch (SqlException e) {
        if ("23505".equals(e.sqlState())) {
          return;
        }
      } catch (RuntimeException e) {
        // the gateway is restarting
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    throw new IllegalStateException("could not run " + statement);
  }

  @Test
  @Order(6)
  void aDebeziumFormatSinkWritesEnvelopes() throws Exception {
    sql("CREATE TABLE dz (id INT PRIMARY KEY, v TEXT)");
    sql("INSERT INTO dz VALUES (1, 'a')");
    sql("CREATE SINK CONNECTOR kdz TO KAFKA WITH (topic = 'ext-dz', bootstrap = '" + bootstrap
        + "', format = 'debezium') FROM TABLE dz");
    await("the copy", () -> sinkRecords("ext-dz").size() == 1);
    sql("INSERT INTO dz VALUES (2, 'b')");
    sql("UPDATE dz SET v = 'c' WHERE id = 1");
    sql("DELETE FROM dz WHERE id = 2");
    await("4 envelopes", () -> sinkRecords("ext-dz").size() == 4);
    List<JsonNode> envs = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : sinkRecords("ext-dz")) {
      envs.add(JSON.readTree(r.value()));
    }
    // The row inserted just before CREATE: in the copy (r) or among the changes (c).
    List<String> ops = envs.stream().map(e -> e.get("op").asText()).toList();
    assertThat(ops).isIn(List.of("r", "c", "u", "d"), List.of("c", "c", "u", "d"));
    assertThat(envs.get(2).get("before").toString()).isEqualTo("{\"id\":1,\"v\":\"a\"}");
    assertThat(envs.get(2).get("after").toString()).isEqualTo("{\"id\":1,\"v\":\"c\"}");
    assertThat(envs.get(3).get("after").isNull()).isTrue();
    assertThat(envs).allSatisfy(e -> assertThat(e.get("source").get("position").asText()).isNotEmpty());
    Map<String, Object> row = cluster.connector("kdz");
    assertThat(row).containsEntry("target", "kafka ext-dz").containsEntry("state", "streaming");
    sql("DROP CONNECTOR kdz");
  }

  @Test
  @Order(6)
  void aStreamSinkWritesEachRecordOnceKeyedByShardAndOffset() throws Exception {
    sql("CREATE STREAM kev (id INT, v TEXT) WITH (shards = 2, key = 'id')");
    sql("INSERT INTO kev VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    sql("CREATE SINK CONNECTOR kevs TO KAFKA WITH (topic = 'ext-kev', bootstrap = '" + bootstrap
        + "') FROM STREAM kev");
    sql("INSERT INTO kev VALUES (4, 'd'), (5, 'e')");
    await("5 records in the topic", () -> sinkRecords("ext-kev").size() >= 5);
    sql("INSERT INTO kev VALUES (6, 'f')");
    await("6 records in the topic", () -> sinkRecords("ext-kev").size() >= 6);
    Map<String, String> byKey = new TreeMap<>();
    List<Integer> ids = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : sinkRecords("ext-kev")) {
      JsonNode key = JSON.readTree(r.key());
      JsonNode value = JSON.readTree(r.value());
      assertThat(key.has("_shard") && key.has("_offset")).as("key %s", key).isTrue();
      assertThat(byKey.put(key.toString(), value.toString())).as("key %s twice", key).isNull();
      ids.add(value.get("id").asInt());
    }
    assertThat(ids).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6);
    assertThat(cluster.connector("kevs")).containsEntry("state", "streaming");
    sql("DROP CONNECTOR kevs");
  }

  /** The sum of a Kafka source's applied offsets (records appended, from offset 0). */
  private static long appliedRecords(String connector) {
    try {
      Object applied = cluster.connector(connector).get("applied_position");
      if (applied == null || applied.toString().isEmpty()) {
        return 0;
      }
      long sum = 0;
      for (String part : applied.toString().split(",")) {
        sum += Long.parseLong(part.split(":")[1]);
      }
      return sum;
    } catch (SqlException e) {
      return -1;
    }
  }

  /**
   * Throughput figures for the README (run with {@code -Dordo.kafka.measure=true}; skipped
   * otherwise): 20,000 records through a source, 20,000 inserted rows through a sink. Asserts
   * only that everything arrived once; the times go to the output.
   */
  @Test
  @Order(7)
  @Timeout(value = 400, unit = TimeUnit.SECONDS)
  void measure20000RecordsEachWay() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("ordo.kafka.measure"),
        "set -Dordo.kafka.measure=true to measure");
    int n = 20_000;
    createTopic("ext-bulk", 4);
    sql("CREATE STREAM bulk (id INT, k TEXT) WITH (shards = 4)");
    try (KafkaProducer<String, String> p = producer()) {
      produce(p, "ext-bulk", 0, n);
    }
    long t0 = System.nanoTime();
    sql(createSource("kbulk", "ext-bulk", "", "bulk"));
    // (A stream read returns at most the SQL row limit: count by the applied offsets.)
    await("the 20,000 records", () -> appliedRecords("kbulk") >= n);
    double sourceS = (System.nanoTime() - t0) / 1e9;
    assertThat(appliedRecords("kbulk")).isEqualTo(n);
    System.out.printf("MEASURED source: %d records in %.1f s%n", n, sourceS);

    sql("CREATE TABLE bulk_rows (id INT PRIMARY KEY, name TEXT, qty BIGINT)");
    sql("CREATE SINK CONNECTOR kbulk_out TO KAFKA WITH (topic = 'ext-bulk-out', bootstrap = '"
        + bootstrap + "', partitions = 4) FROM TABLE bulk_rows");
    await("the sink streaming", () -> {
      try {
        return "streaming".equals(cluster.connector("kbulk_out").get("state"));
      } catch (SqlException e) {
        return false;
      }
    });
    String before = io.ordo.sql.engine.Positions.format(
        io.ordo.sql.engine.Positions.endOf(System.currentTimeMillis() - 200));
    // A push query of its own, live during the inserts like the sink's: what it gets tells a
    // loss in the push query from one in the sink.
    java.util.concurrent.atomic.AtomicInteger live = new java.util.concurrent.atomic.AtomicInteger();
    io.ordo.sql.SqlSession liveSession = cluster.gateway().sqlEngine().openSession("test", "ordo");
    Thread liveReader = new Thread(() -> {
      try {
        liveSession.prepare("SELECT * FROM bulk_rows EMIT CHANGES AT POSITION '" + before + "'",
            List.of()).get(0).push(List.of(), new io.ordo.sql.PushSink() {
              @Override
              public void start(List<io.ordo.sql.Column> columns) {}

              @Override
              public void row(List<Object> row) {
                live.incrementAndGet();
              }

              @Override
              public void progress(String position) {}
            });
      } catch (Exception e) {
        System.out.println("MEASURED live push query ended: " + e);
      }
    });
    liveReader.start();
    long t1 = System.nanoTime();
    for (int i = 0; i < n; i += 500) {
      StringBuilder b = new StringBuilder("INSERT INTO bulk_rows VALUES ");
      for (int j = i; j < i + 500; j++) {
        b.append(j == i ? "" : ", ").append("(").append(j).append(", 'row', ").append(j).append(")");
      }
      sql(b.toString());
    }
    double insertS = (System.nanoTime() - t1) / 1e9;
    System.out.printf("MEASURED inserts committed in %.1f s%n", insertS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    int seen;
    while ((seen = sinkRecords("ext-bulk-out").size()) < n && System.nanoTime() < deadline) {
      System.out.printf("MEASURED progress: %d records in the topic after %.1f s; sink %s%n", seen,
          (System.nanoTime() - t1) / 1e9, cluster.connector("kbulk_out"));
      Thread.sleep(5_000);
    }
    double sinkS = (System.nanoTime() - t1) / 1e9;
    if (sinkRecords("ext-bulk-out").size() < n) {
      java.util.concurrent.atomic.AtomicInteger pushed = new java.util.concurrent.atomic.AtomicInteger();
      io.ordo.sql.SqlSession session = cluster.gateway().sqlEngine().openSession("test", "ordo");
      Thread reader = new Thread(() -> {
        try {
          session.prepare("SELECT * FROM bulk_rows EMIT CHANGES AT POSITION '" + before + "'",
              List.of()).get(0).push(List.of(), new io.ordo.sql.PushSink() {
                @Override
                public void start(List<io.ordo.sql.Column> columns) {}

                @Override
                public void row(List<Object> row) {
                  pushed.incrementAndGet();
                }

                @Override
                public void progress(String position) {}
              });
        } catch (Exception e) {
          System.out.println("MEASURED push query ended: " + e);
        }
      });
      reader.start();
      Thread.sleep(20_000);
      System.out.println("MEASURED a push query from before the inserts got " + pushed.get()
          + "; one live during the inserts got " + live.get());
      session.cancel();
      reader.join(5_000);
      session.close();
      java.util.TreeSet<Integer> missing = new java.util.TreeSet<>();
      for (int i = 0; i < n; i++) {
        missing.add(i);
      }
      for (ConsumerRecord<byte[], byte[]> r : sinkRecords("ext-bulk-out")) {
        missing.remove(JSON.readTree(r.key()).get("id").asInt());
      }
      System.out.println("MEASURED missing " + missing.size() + ": first " + missing.first()
          + " last " + missing.last() + "; rows in the table: "
          + sql("SELECT count(*) FROM bulk_rows").get(0).rows());
      Properties p = new Properties();
      p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      try (Admin a = Admin.create(p)) {
        System.out.println("MEASURED transactions: " + a.listTransactions().all().get());
        System.out.println("MEASURED end offsets uncommitted: " + a.listOffsets(Map.of(
            new TopicPartition("ext-bulk-out", 0), org.apache.kafka.clients.admin.OffsetSpec.latest(),
            new TopicPartition("ext-bulk-out", 1), org.apache.kafka.clients.admin.OffsetSpec.latest(),
            new TopicPartition("ext-bulk-out", 2), org.apache.kafka.clients.admin.OffsetSpec.latest(),
            new TopicPartition("ext-bulk-out", 3), org.apache.kafka.clients.admin.OffsetSpec.latest()))
            .all().get());
      }
    }
    liveSession.cancel();
    liveReader.join(5_000);
    liveSession.close();
    assertThat(sinkRecords("ext-bulk-out")).hasSize(n);
    System.out.printf("MEASURED source: %d records in %.1f s (%.0f/s); sink: %d inserts committed"
        + " in %.1f s, all in the topic after %.1f s (%.0f changes/s)%n", n, sourceS, n / sourceS,
        n, insertS, sinkS, n / sinkS);
  }
}
