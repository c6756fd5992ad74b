package io.ordo.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.executor.EmbeddedExecutor;
import io.ordo.gateway.sql.GatewaySqlBackend;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.DeleteStreamRequest;
import io.ordo.proto.Get;
import io.ordo.proto.KeyRead;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Put;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.Stream;
import io.ordo.proto.StreamAppend;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.sequencer.TopicLayout;
import io.ordo.sql.engine.SqlConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQL engine's backend on a real gateway (broker, executor job on a MiniCluster, local
 * store): transactions through the log, stream appends routed by partition key as the Txn API
 * routes them, and stream DDL and reads through the Streams logic in process.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class GatewaySqlBackendIT {
  private static final TopicLayout TOPICS = TopicLayout.withPrefix("sqlbackend");
  private static final long WAIT_MS = 60_000;

  @TempDir static Path dataDir;
  static GatewayTestStack stack;
  static EmbeddedKafkaBroker broker;
  static EmbeddedExecutor executor;
  static GatewayServer gateway;
  static GatewaySqlBackend backend;
  /** The defaults with a statement row limit of 50, so that a stream can exceed it cheaply. */
  static final SqlConfig ROW_LIMITED =
      new SqlConfig(
          SqlConfig.DEFAULTS.statementBytesMax(),
          50,
          SqlConfig.DEFAULTS.statementTimeoutMs(),
          SqlConfig.DEFAULTS.historyRetentionMs(),
          SqlConfig.DEFAULTS.retriesMax());

  @BeforeAll
  static void start() throws Exception {
    stack = GatewayTestStack.start(dataDir, TOPICS, e -> e.withKeyRangeCount(4),
        g -> g.withKeyRangeCount(4)
            .withHeartbeatIntervalMs(20)
            .withDataDir(dataDir.resolve("gateway-store"))
            .withSql(ROW_LIMITED));
    broker = stack.broker;
    executor = stack.executor;
    gateway = stack.gateway;
    backend = gateway.sqlBackend();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (stack != null) {
      stack.close();
    }
  }

  private static TxnResult run(Transaction txn) throws Exception {
    return backend.execute(txn, WAIT_MS).get(WAIT_MS + 10_000, TimeUnit.MILLISECONDS);
  }

  private static Value bytes(String s) {
    return Value.newBuilder().setBytes(ByteString.copyFromUtf8(s)).build();
  }

  @Test
  void transactionsRunThroughTheLogAndTheBackendKnowsTheGatewaysParts() throws Exception {
    assertThat(backend.keyRangeCount()).isEqualTo(4);
    assertThat(backend.store()).isNotNull();
    assertThat(backend.materializer()).isNotNull();
    assertThat(gateway.scrapeMetrics()).containsPattern("(?m)^ordo_sql_sessions 0\\.0$");
    assertThat(gateway.pgPort()).isEmpty(); // --pg-port 0
    // An id left empty is generated.
    TxnResult put =
        run(Transaction.newBuilder()
            .addOps(Operation.newBuilder().setKey("sql-k").setPut(Put.newBuilder().setValue(bytes("v1"))))
            .build());
    assertThat(put.getOutcome()).isEqualTo(Outcome.COMMITTED);
    assertThat(put.getTxnId()).isNotEmpty();
    TxnResult get =
        run(Transaction.newBuilder()
            .setId("sql-get-1")
            .addOps(Operation.newBuilder().setKey("sql-k").setGet(Get.getDefaultInstance()))
            .build());
    assertThat(get.getReadsList()).extracting(KeyRead::getValue).containsExactly(bytes("v1"));
  }

  @Test
  void streamsAreCreatedAppendedToByPartitionKeyReadAndDeleted() throws Exception {
    Stream created =
        backend.createStream(CreateStreamRequest.newBuilder().setName("sql-orders").setShardCount(4).build());
    assertThat(created.getShardCount()).isEqualTo(4);
    assertThat(backend.listStreams().getStreamsList()).extracting(Stream::getName).contains("sql-orders");
    assertThatThrownBy(
            () -> backend.createStream(CreateStreamRequest.newBuilder().setName("sql-orders").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS));

    StreamAppend.Builder append = StreamAppend.newBuilder().setStream("sql-orders");
    for (int i = 0; i < 12; i++) {
      append.addRecords(StreamRecord.newBuilder().setPartitionKey("customer-" + i).setJson("{\"n\":" + i + "}"));
    }
    // No shard id: the backend routes the records by partition key, as the Txn API does.
    TxnResult appended = run(Transaction.newBuilder().addOps(Operation.newBuilder().setStreamAppend(append)).build());
    assertThat(appended.getOutcome()).isEqualTo(Outcome.COMMITTED);

    List<ReadResponse> read =
        backend.readStream(ReadStreamRequest.newBuilder().setStream("sql-orders").setFollow(true).build());
    List<ReceivedRecord> records = read.stream().flatMap(r -> r.getRecordsList().stream()).toList();
    assertThat(records).hasSize(12);
    assertThat(records)
        .extracting(r -> r.getRecord().getPartitionKey())
        .containsExactlyInAnyOrderElementsOf(
            java.util.stream.IntStream.range(0, 12).mapToObj(i -> "customer-" + i).toList());
    assertThat(records.stream().map(r -> r.getId().getShardId()).distinct().count()).isGreaterThan(1);
    assertThat(
            backend.readStream(ReadStreamRequest.newBuilder().setStream("sql-orders").setMaxRecords(5).build())
                .stream().mapToInt(ReadResponse::getRecordsCount).sum())
        .isEqualTo(5);

    assertThat(backend.deleteStream(DeleteStreamRequest.newBuilder().setName("sql-orders").build()).getExisted())
        .isTrue();
    assertThat(backend.listStreams().getStreamsList()).extracting(Stream::getName).doesNotContain("sql-orders");
    assertThatThrownBy(() -> backend.readStream(ReadStreamRequest.newBuilder().setStream("sql-orders").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  @Test
  void badTransactionsFailTheFutureWithTheReason() {
    Transaction tooLarge =
        Transaction.newBuilder()
            .setId("sql-too-large")
            .addOps(
                Operation.newBuilder()
                    .setKey("big")
                    .setPut(Put.newBuilder().setValue(Value.newBuilder().setBytes(
                        ByteString.copyFrom(new byte[9 << 20])))))
            .build();
    assertThatThrownBy(() -> backend.execute(tooLarge, WAIT_MS).get())
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("INVALID_ARGUMENT");
    Transaction streamOp =
        Transaction.newBuilder()
            .addOps(Operation.newBuilder().setStreamAppend(StreamAppend.newBuilder().setStream("none")
                .addRecords(StreamRecord.newBuilder().setPartitionKey("k").setRaw(
                    ByteString.copyFrom("x", StandardCharsets.UTF_8)))))
            .build();
    assertThatThrownBy(() -> backend.execute(streamOp, 0).get())
        .hasCauseInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("DEADLINE_EXCEEDED");
    assertThatThrownBy(() -> backend.execute(streamOp, WAIT_MS).get(WAIT_MS, TimeUnit.MILLISECONDS))
        .hasCauseInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("NOT_FOUND");
  }

  @Test
  void aStreamLongerThanTheRowLimitIsRefusedWhenAQueryNeedsAllOfItNotCutSilently() throws Exception {
    try (io.ordo.sql.SqlSession s = gateway.sqlEngine().openSession("test", "ordo")) {
      sql(s, "CREATE STREAM limited (n BIGINT) WITH (shards = 2, key = 'n')");
      sql(s, "INSERT INTO limited VALUES " + values(1, 50));
      // At the limit: every record counts.
      assertThat(sql(s, "SELECT count(*) FROM limited").rows()).containsExactly(List.of(50L));
      sql(s, "INSERT INTO limited VALUES " + values(51, 60));
      // Past it: a query that needs every record is refused (it used to count 51).
      assertThatThrownBy(() -> sql(s, "SELECT count(*) FROM limited"))
          .isInstanceOfSatisfying(
              io.ordo.sql.SqlException.class,
              e -> {
                assertThat(e.sqlState()).isEqualTo("54000");
                assertThat(e.getMessage()).contains("stream 'limited' holds more than 50 records");
              });
      assertThatThrownBy(() -> sql(s, "SELECT n FROM limited WHERE n > 55"))
          .isInstanceOf(io.ordo.sql.SqlException.class)
          .hasMessageContaining("holds more than 50 records");
      // A LIMIT within it reads a prefix, as it may.
      assertThat(sql(s, "SELECT n FROM limited LIMIT 5").rows()).hasSize(5);
    }
  }

  private static io.ordo.sql.StatementResult sql(io.ordo.sql.SqlSession s, String text)
      throws io.ordo.sql.SqlException {
    List<io.ordo.sql.SqlStatement> statements = s.prepare(text, List.of());
    assertThat(statements).hasSize(1);
    return statements.get(0).execute(List.of());
  }

  private static String values(int from, int to) {
    StringBuilder b = new StringBuilder();
    for (int n = from; n <= to; n++) {
      b.append(n == from ? "" : ", ").append('(').append(n).append(')');
    }
    return b.toString();
  }
}
