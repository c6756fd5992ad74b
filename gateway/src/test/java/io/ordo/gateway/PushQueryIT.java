package io.ordo.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.ordo.executor.EmbeddedExecutor;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import io.ordo.proto.SqlGrpc;
import io.ordo.proto.SqlPushResponse;
import io.ordo.proto.SqlRequest;
import io.ordo.proto.SqlResponse;
import io.ordo.proto.SqlRow;
import io.ordo.sequencer.TopicLayout;
import io.ordo.sql.engine.SqlConfig;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Push queries ({@code SELECT ... EMIT CHANGES}) on a real gateway (broker, executor job on a
 * MiniCluster, local store), over gRPC ({@code Sql/Push}), REST (NDJSON and SSE) and the
 * PostgreSQL port (refused with 0A000).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PushQueryIT {
  private static final TopicLayout TOPICS = TopicLayout.withPrefix("pushq");
  private static final int PUSH_QUERIES_MAX = 3;
  private static final long WAIT_S = 60;

  @TempDir static Path dataDir;
  static GatewayTestStack stack;
  static EmbeddedKafkaBroker broker;
  static EmbeddedExecutor executor;
  static GatewayServer gateway;
  static ManagedChannel channel;
  static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    int pgPort = freePort();
    stack = GatewayTestStack.start(dataDir, TOPICS, e -> e.withKeyRangeCount(4),
        g -> g.withPgPort(pgPort)
            .withKeyRangeCount(4)
            .withHeartbeatIntervalMs(20)
            .withSql(SqlConfig.DEFAULTS.withPushQueriesMax(PUSH_QUERIES_MAX))
            .withDataDir(dataDir.resolve("gateway-store")));
    broker = stack.broker;
    executor = stack.executor;
    gateway = stack.gateway;
    channel = stack.channel;
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (stack != null) {
      stack.close();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static SqlResponse sql(String text) {
    return SqlGrpc.newBlockingStub(channel)
        .withDeadlineAfter(WAIT_S, TimeUnit.SECONDS)
        .execute(SqlRequest.newBuilder().setSql(text).build());
  }

  /** A running Push call: its messages land in a queue; cancel() ends it. */
  static final class PushCall {
    final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
    final Context.CancellableContext context = Context.current().withCancellation();
    List<String> columns;

    PushCall(String text, com.google.protobuf.Value... params) {
      CALLS.add(this);
      context.run(
          () ->
              SqlGrpc.newStub(channel)
                  .push(
                      SqlRequest.newBuilder().setSql(text).addAllParams(List.of(params)).build(),
                      new StreamObserver<>() {
                        @Override
                        public void onNext(SqlPushResponse value) {
                          messages.add(value);
                        }

                        @Override
                        public void onError(Throwable t) {
                          messages.add(t);
                        }

                        @Override
                        public void onCompleted() {
                          messages.add("completed");
                        }
                      }));
    }

    /** The next message; fails on an error or the end. */
    SqlPushResponse next() throws InterruptedException {
      Object m = messages.poll(WAIT_S, TimeUnit.SECONDS);
      if (m instanceof SqlPushResponse r) {
        if (r.getColumnsCount() > 0) {
          columns = r.getColumnsList().stream().map(c -> c.getName()).toList();
        }
        return r;
      }
      if (m instanceof Throwable t) {
        throw Status.fromThrowable(t).asRuntimeException();
      }
      throw new AssertionError("push call ended or nothing came in time: " + m);
    }

    /** The error the call ends with. */
    StatusRuntimeException error() throws InterruptedException {
      while (true) {
        Object m = messages.poll(WAIT_S, TimeUnit.SECONDS);
        if (m instanceof Throwable t) {
          return Status.fromThrowable(t).asRuntimeException();
        }
        if (!(m instanceof SqlPushResponse)) {
          throw new AssertionError("no error came: " + m);
        }
      }
    }

    /** The first progress mark (where the query starts reading). */
    String firstProgress() throws InterruptedException {
      while (true) {
        SqlPushResponse r = next();
        if (!r.getPosition().isEmpty()) {
          return r.getPosition();
        }
      }
    }

    /** The next n rows as text ({@link #text}), skipping progress marks. */
    List<String> rows(int n) throws InterruptedException {
      List<String> out = new ArrayList<>();
      while (out.size() < n) {
        SqlPushResponse r = next();
        if (r.hasRow()) {
          out.add(text(r.getRow()));
        }
      }
      return out;
    }

    void cancel() {
      context.cancel(null);
    }
  }

  /** A row as "v1|v2|...", each value as its JSON text. */
  static String text(SqlRow row) {
    return row.getValuesList().stream()
        .map(v -> switch (v.getKindCase()) {
          case NULL_VALUE -> "null";
          case NUMBER_VALUE -> String.valueOf((long) v.getNumberValue());
          case STRING_VALUE -> v.getStringValue();
          case BOOL_VALUE -> String.valueOf(v.getBoolValue());
          default -> v.toString();
        })
        .collect(Collectors.joining("|"));
  }

  /** The position part of a row text ("ts:p:o:n|...") as comparable numbers. */
  static long[] position(String rowText) {
    String[] parts = rowText.substring(0, rowText.indexOf('|')).split(":");
    return new long[] {
      Long.parseLong(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2]), Long.parseLong(parts[3])
    };
  }

  static List<String> withoutPositions(List<String> rows) {
    return rows.stream().map(r -> r.substring(r.indexOf('|') + 1)).toList();
  }

  static void assertStrictlyIncreasing(List<String> rows) {
    for (int i = 1; i < rows.size(); i++) {
      long[] a = position(rows.get(i - 1));
      long[] b = position(rows.get(i));
      int c = 0;
      for (int k = 0; k < 4 && c == 0; k++) {
        c = Long.compare(a[k], b[k]);
      }
      assertThat(c).as("%s before %s", rows.get(i - 1), rows.get(i)).isNegative();
    }
  }

  /** Every call a test made: cancelled after it, so a failed test leaves none running. */
  private static final List<PushCall> CALLS = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Every test starts with no push query running (the limit is shared). */
  @BeforeEach
  void noPushQueryRuns() throws InterruptedException {
    awaitPushQueries(0);
  }

  @AfterEach
  void cancelLeftovers() {
    CALLS.forEach(PushCall::cancel);
    CALLS.clear();
  }

  private static void awaitPushQueries(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    while (!gateway.scrapeMetrics().contains("ordo_sql_push_queries " + n + ".0")) {
      assertThat(System.nanoTime()).as("%s push queries running", n).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  @Test
  void everyChangeComesOnceInCommitOrderWithUpdatesAsBeforeAndAfterAndDeletes() throws Exception {
    sql("CREATE TABLE accounts (id INT PRIMARY KEY, owner TEXT, balance INT)");
    PushCall push = new PushCall("SELECT id, owner, balance FROM accounts EMIT CHANGES");
    assertThat(push.next().getColumnsList()).extracting(c -> c.getName())
        .containsExactly("_position", "_op", "id", "owner", "balance");
    push.firstProgress();
    // Rows over many keys, so over every key range; each statement commits after the previous.
    List<String> expected = new ArrayList<>();
    sql("INSERT INTO accounts VALUES (1, 'ann', 10), (2, 'bob', 20), (3, 'cy', 30), (4, 'di', 40),"
        + " (5, 'ed', 50), (6, 'flo', 60)");
    // Within one transaction, rows come in key order.
    for (String r : List.of("1|ann|10", "2|bob|20", "3|cy|30", "4|di|40", "5|ed|50", "6|flo|60")) {
      expected.add("insert|" + r);
    }
    for (int i = 7; i <= 16; i++) {
      sql("INSERT INTO accounts VALUES (" + i + ", 'u" + i + "', " + i + ")");
      expected.add("insert|" + i + "|u" + i + "|" + i);
    }
    sql("UPDATE accounts SET balance = balance + 1 WHERE id = 3");
    expected.add("update_before|3|cy|30");
    expected.add("update_after|3|cy|31");
    sql("DELETE FROM accounts WHERE id = 5");
    expected.add("delete|5|ed|50");
    sql("UPDATE accounts SET owner = 'zed' WHERE id IN (1, 16)");
    expected.add("update_before|1|ann|10");
    expected.add("update_after|1|zed|10");
    expected.add("update_before|16|u16|16");
    expected.add("update_after|16|zed|16");

    List<String> rows = push.rows(expected.size());
    assertThat(withoutPositions(rows)).containsExactlyElementsOf(expected);
    assertStrictlyIncreasing(rows);
    // A second query over the same history sees the same rows with the same positions.
    PushCall again = new PushCall("SELECT * FROM accounts EMIT CHANGES AT POSITION '"
        + rows.get(0).substring(0, rows.get(0).indexOf('|')).replaceAll(":[0-9]+$", "") + "'");
    again.next();
    // AT POSITION '<ts:p:o>' starts after every change at that position: the first insert's six.
    assertThat(again.rows(expected.size() - 6)).containsExactlyElementsOf(rows.subList(6, rows.size()));
    push.cancel();
    again.cancel();
  }

  /**
   * Transactions that write hundreds of keys per key range: the store applies the changelog in
   * bounded batches, so a batch can end inside one transaction's changes of a range. The push
   * query must still deliver every change exactly once (a key range's frontier may reach a
   * transaction's position only with its last change there).
   */
  @Test
  void largeTransactionsAreDeliveredWholeWhileTheStoreAppliesThemInBatches() throws Exception {
    sql("CREATE TABLE bulk (id INT PRIMARY KEY, v INT)");
    PushCall push = new PushCall("SELECT id, v FROM bulk EMIT CHANGES");
    push.firstProgress();
    int transactions = 40;
    int rowsPerTransaction = 500;
    for (int t = 0; t < transactions; t++) {
      StringBuilder insert = new StringBuilder("INSERT INTO bulk VALUES ");
      for (int i = 0; i < rowsPerTransaction; i++) {
        int id = t * rowsPerTransaction + i + 1;
        insert.append(i == 0 ? "" : ", ").append('(').append(id).append(", ").append(t).append(')');
      }
      sql(insert.toString());
    }
    // A last transaction of its own: changes come in commit order, so once its row came every
    // earlier change has come or was skipped.
    sql("INSERT INTO bulk VALUES (0, -1)");
    List<String> rows = new ArrayList<>();
    List<Integer> ids = new ArrayList<>();
    while (true) {
      String row = push.rows(1).get(0);
      rows.add(row);
      int id = Integer.parseInt(row.split("\\|")[2]);
      if (id == 0) {
        break;
      }
      ids.add(id);
    }
    push.cancel();
    int total = transactions * rowsPerTransaction;
    assertThat(ids).as("ids delivered").hasSize(total).doesNotHaveDuplicates();
    assertThat(ids).allSatisfy(id -> assertThat(id).isBetween(1, total));
    // A frontier just before a transaction's position can be a progress mark such as
    // <ts>:<p>:9223372036854775807: a query started at one (here: just before the first row's
    // partition) reads the same rows.
    long[] first = position(rows.get(0));
    String before = first[1] > 0
        ? first[0] + ":" + (first[1] - 1) + ":" + Long.MAX_VALUE
        : (first[0] - 1) + ":" + Integer.MAX_VALUE + ":" + Long.MAX_VALUE;
    PushCall again = new PushCall("SELECT id, v FROM bulk EMIT CHANGES AT POSITION '" + before + "'");
    assertThat(again.rows(rows.size())).containsExactlyElementsOf(rows);
    again.cancel();
  }

  @Test
  void whereKeepsAChangeWhenEitherImageMatchesWithBothImages() throws Exception {
    sql("CREATE TABLE levels (id INT PRIMARY KEY, n INT)");
    PushCall push = new PushCall("SELECT id, n * 2 AS twice FROM levels WHERE n > 10 EMIT CHANGES");
    push.next();
    String start = push.firstProgress();
    sql("INSERT INTO levels VALUES (1, 5)"); // no image matches
    sql("UPDATE levels SET n = 20 WHERE id = 1"); // into the filter
    sql("UPDATE levels SET n = 30 WHERE id = 1"); // inside
    sql("UPDATE levels SET n = 1 WHERE id = 1"); // out of it
    sql("DELETE FROM levels WHERE id = 1"); // no image matches
    sql("INSERT INTO levels VALUES (2, 11)");
    assertThat(withoutPositions(push.rows(7)))
        .containsExactly(
            "update_before|1|10", "update_after|1|40",
            "update_before|1|40", "update_after|1|60",
            "update_before|1|60", "update_after|1|2",
            "insert|2|22");
    push.cancel();
    // Parameters work as in any statement ($1 in the select list and in WHERE).
    PushCall withParams =
        new PushCall(
            "SELECT id, n + $1 AS shifted FROM levels WHERE n > $2 EMIT CHANGES AT POSITION '" + start + "'",
            com.google.protobuf.Value.newBuilder().setNumberValue(100).build(),
            com.google.protobuf.Value.newBuilder().setNumberValue(25).build());
    withParams.next();
    assertThat(withoutPositions(withParams.rows(4)))
        .containsExactly(
            "update_before|1|120", "update_after|1|130", "update_before|1|130", "update_after|1|101");
    withParams.cancel();
  }

  @Test
  void aClientThatDisconnectsMidStreamAndResumesAtTheLastPositionMissesNothingAndSeesNothingTwice()
      throws Exception {
    sql("CREATE TABLE events (id INT PRIMARY KEY, v TEXT)");
    PushCall first = new PushCall("SELECT id, v FROM events EMIT CHANGES");
    first.next();
    String start = first.firstProgress();
    StringBuilder many = new StringBuilder("INSERT INTO events VALUES ");
    for (int i = 1; i <= 10; i++) {
      many.append(i == 1 ? "" : ", ").append("(").append(i).append(", 'x").append(i).append("')");
    }
    sql(many.toString()); // ten rows at one position
    for (int i = 11; i <= 20; i++) {
      sql("INSERT INTO events VALUES (" + i + ", 'x" + i + "')");
    }
    // The client reads 4 rows, in the middle of the first transaction's ten, and goes away.
    List<String> seen = new ArrayList<>(first.rows(4));
    first.cancel();
    String last = seen.get(3).substring(0, seen.get(3).indexOf('|'));
    PushCall resumed = new PushCall("SELECT id, v FROM events EMIT CHANGES AT POSITION '" + last + "'");
    resumed.next();
    seen.addAll(resumed.rows(16));
    resumed.cancel();
    PushCall whole = new PushCall("SELECT id, v FROM events EMIT CHANGES AT POSITION '" + start + "'");
    whole.next();
    List<String> all = whole.rows(20);
    whole.cancel();
    assertThat(seen).containsExactlyElementsOf(all);
    List<String> ids = all.stream().map(r -> r.split("\\|")[2]).toList();
    List<String> expectedIds = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      expectedIds.add(String.valueOf(i));
    }
    assertThat(ids).containsExactlyInAnyOrderElementsOf(expectedIds).doesNotHaveDuplicates();
  }

  @Test
  void streamRecordsComeAsInsertsWithTheirShardOffsetAndLogTime() throws Exception {
    sql("CREATE STREAM clicks (page TEXT, n INT) WITH (shards = 2)");
    PushCall push = new PushCall("SELECT page, n, _offset >= 0 AS has_offset FROM clicks WHERE n <> 2 EMIT CHANGES");
    push.next();
    push.firstProgress();
    sql("INSERT INTO clicks VALUES ('a', 1)");
    sql("INSERT INTO clicks VALUES ('b', 2)");
    sql("INSERT INTO clicks VALUES ('c', 3)");
    assertThat(withoutPositions(push.rows(2))).containsExactly("insert|a|1|true", "insert|c|3|true");
    push.cancel();
  }

  @Test
  void restAnswersAPushQueryAsNdjsonOrServerSentEvents() throws Exception {
    sql("CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)");
    PushCall marker = new PushCall("SELECT id FROM notes EMIT CHANGES");
    marker.next();
    String start = marker.firstProgress();
    marker.cancel();
    sql("INSERT INTO notes VALUES (1, 'one')");
    sql("INSERT INTO notes VALUES (2, 'two')");
    String body = "{\"sql\":\"SELECT id, body FROM notes EMIT CHANGES AT POSITION '" + start + "'\"}";

    List<String> ndjson = restLines("/v1/sql", body, "application/x-ndjson", 3);
    assertThat(ndjson.get(0)).contains("\"columns\"").contains("\"_position\"").contains("\"body\"");
    assertThat(ndjson.get(1)).contains("\"insert\"").contains("\"one\"");
    assertThat(ndjson.get(2)).contains("\"insert\"").contains("\"two\"");

    List<String> sse = restLines("/v1/sql/push", body, "text/event-stream", 3);
    assertThat(sse.get(0)).startsWith("data: ").contains("\"columns\"");
    assertThat(sse.get(1)).startsWith("data: ").contains("\"one\"");
    assertThat(sse.get(2)).startsWith("data: ").contains("\"two\"");

    // A push query that cannot run is an ordinary error response.
    HttpResponse<String> bad =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.httpPort() + "/v1/sql"))
                .POST(HttpRequest.BodyPublishers.ofString(
                    "{\"sql\":\"SELECT * FROM nowhere EMIT CHANGES\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("42P01").contains("nowhere");
  }

  /** The first {@code n} non-empty lines (SSE: data lines) of a streamed REST answer. */
  private static List<String> restLines(String path, String body, String accept, int n)
      throws Exception {
    HttpResponse<InputStream> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.httpPort() + path))
                .header("Accept", accept)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    List<String> lines = new ArrayList<>();
    try (InputStream in = response.body();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while (lines.size() < n && (line = reader.readLine()) != null) {
        if (line.isBlank() || line.startsWith(":") || line.startsWith("event:")) {
          continue;
        }
        if (line.contains("\"position\"") && !line.contains("\"row\"")) {
          continue; // a progress mark
        }
        lines.add(line);
      }
    }
    return lines;
  }

  @Test
  void theGatewayRunsAtMostPushQueriesMaxAndACancelledOneFreesItsSlot() throws Exception {
    sql("CREATE TABLE slots (id INT PRIMARY KEY)");
    List<PushCall> running = new ArrayList<>();
    for (int i = 0; i < PUSH_QUERIES_MAX; i++) {
      PushCall call = new PushCall("SELECT id FROM slots EMIT CHANGES");
      call.next();
      running.add(call);
    }
    PushCall refused = new PushCall("SELECT id FROM slots EMIT CHANGES");
    StatusRuntimeException error = refused.error();
    assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(error.getStatus().getDescription()).contains("pushQueriesMax");
    assertThat(gateway.scrapeMetrics()).contains("ordo_sql_push_queries " + PUSH_QUERIES_MAX + ".0");

    running.remove(0).cancel();
    awaitPushQueries(PUSH_QUERIES_MAX - 1); // the cancelled query's slot is freed
    PushCall admitted = new PushCall("SELECT id FROM slots EMIT CHANGES");
    assertThat(admitted.next().getColumnsCount()).isEqualTo(3);
    admitted.cancel();
    running.forEach(PushCall::cancel);
  }

  /** Runs one statement in a new engine session of {@code user} with {@code access}. */
  private static io.ordo.sql.StatementResult engineSql(String user, io.ordo.sql.SqlAccess access, String text)
      throws io.ordo.sql.SqlException {
    try (io.ordo.sql.SqlSession s = gateway.sqlEngine().openSession(user, "ordo", access)) {
      return s.prepare(text, List.of()).get(0).execute(List.of());
    }
  }

  /** SHOW QUERIES' row of the push query whose text contains {@code text}, column to value. */
  private static Optional<Map<String, Object>> shownQuery(String text) throws io.ordo.sql.SqlException {
    io.ordo.sql.StatementResult r = engineSql("ordo", io.ordo.sql.SqlAccess.READ, "SHOW QUERIES");
    for (List<Object> row : r.rows()) {
      Map<String, Object> m = new HashMap<>();
      for (int c = 0; c < r.columns().size(); c++) {
        m.put(r.columns().get(c).name(), row.get(c));
      }
      if (String.valueOf(m.get("query")).contains(text)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }

  @Test
  void showQueriesListsARunningPushQueryAndTerminateQueryEndsIt() throws Exception {
    sql("CREATE TABLE listed (id INT PRIMARY KEY, v INT)");
    PushCall call = new PushCall("SELECT id, v FROM listed WHERE v > 0 EMIT CHANGES");
    call.firstProgress();
    sql("INSERT INTO listed VALUES (1, 10), (2, 0)");
    assertThat(withoutPositions(call.rows(1))).containsExactly("insert|1|10");
    // The row count and the progress position follow the query.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    Map<String, Object> shown = shownQuery("FROM listed WHERE v > 0 EMIT CHANGES").orElseThrow();
    while (!Long.valueOf(1).equals(shown.get("rows_sent")) && System.nanoTime() < deadline) {
      Thread.sleep(20);
      shown = shownQuery("FROM listed WHERE v > 0 EMIT CHANGES").orElseThrow();
    }
    assertThat(shown).containsEntry("rows_sent", 1L);
    assertThat(shown.get("user")).isNotNull();
    assertThat(shown.get("started_at")).isNotNull();
    assertThat(String.valueOf(shown.get("position"))).matches("\\d+:\\d+:\\d+");
    long id = (Long) shown.get("query_id");

    // Another user without admin access may not end it; an unknown id is named.
    assertThatThrownBy(() -> engineSql("mallory", io.ordo.sql.SqlAccess.WRITE, "TERMINATE QUERY " + id))
        .isInstanceOfSatisfying(io.ordo.sql.SqlException.class, e -> {
          assertThat(e.sqlState()).isEqualTo("42501");
          assertThat(e.getMessage()).contains("belongs to user");
        });
    assertThatThrownBy(() -> engineSql("ordo", io.ordo.sql.SqlAccess.ADMIN, "TERMINATE QUERY 987654321"))
        .isInstanceOfSatisfying(io.ordo.sql.SqlException.class, e -> {
          assertThat(e.sqlState()).isEqualTo("42704");
          assertThat(e.getMessage()).contains("no push query 987654321");
        });
    assertThat(shownQuery("FROM listed WHERE v > 0 EMIT CHANGES")).isPresent();

    assertThat(engineSql("admin-user", io.ordo.sql.SqlAccess.ADMIN, "TERMINATE QUERY " + id).commandTag())
        .isEqualTo("TERMINATE QUERY");
    StatusRuntimeException ended = call.error();
    assertThat(ended.getStatus().getDescription())
        .contains("push query " + id + " ended by TERMINATE QUERY").contains("admin-user");
    awaitPushQueries(0);
    assertThat(shownQuery("FROM listed WHERE v > 0 EMIT CHANGES")).isEmpty();
  }

  @Test
  void badPushQueriesAreRefusedWithTheirReason() throws Exception {
    sql("CREATE TABLE refs (id INT PRIMARY KEY, k INT)");
    Map<String, String> cases = new HashMap<>();
    cases.put("SELECT * FROM missing EMIT CHANGES", "relation \"missing\" does not exist");
    cases.put("SELECT * FROM refs a JOIN refs b ON a.id = b.k EMIT CHANGES", "do not support joins");
    cases.put("SELECT COUNT(*) FROM refs EMIT CHANGES", "aggregate function COUNT");
    cases.put("SELECT k FROM refs GROUP BY k EMIT CHANGES", "GROUP BY");
    cases.put("SELECT id FROM refs ORDER BY id EMIT CHANGES", "ORDER BY");
    cases.put("SELECT id FROM refs WHERE k IN (SELECT id FROM refs) EMIT CHANGES", "subqueries");
    cases.put("SELECT id FROM refs EMIT CHANGES AT POSITION 'soon'", "invalid position");
    cases.put("SELECT id FROM refs EMIT CHANGES AT POSITION '1:2:3:0'", "invalid position");
    cases.put("SELECT id FROM refs EMIT CHANGES AT POSITION '99999999999999:0:0'", "is in the future");
    cases.put("SELECT id FROM refs EMIT CHANGES AT TIME '2001-01-01 00:00:00'", "older than the history retention");
    cases.put("SELECT id FROM refs EMIT CHANGES AT TIME 'yesterday'", "invalid input syntax");
    cases.put("SELECT 1; SELECT id FROM refs EMIT CHANGES", "exactly one push query");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      StatusRuntimeException error = new PushCall(c.getKey()).error();
      assertThat(error.getStatus().getDescription()).as(c.getKey()).contains(c.getValue());
      assertThat(error.getStatus().getCode())
          .as(c.getKey())
          .isIn(Status.Code.INVALID_ARGUMENT, Status.Code.OUT_OF_RANGE);
    }
    // Execute (and so every front end that expects a statement to end) refuses a push query.
    assertThatThrownBy(() -> sql("SELECT id FROM refs EMIT CHANGES"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getDescription())
                .contains("0A000").contains("push queries are served over gRPC/REST"));
  }

  @Test
  void thePostgresPortRefusesAPushQueryWith0A000() throws Exception {
    sql("CREATE TABLE pgrefs (id INT PRIMARY KEY)");
    Map<Character, String> error = simpleQueryError("SELECT id FROM pgrefs EMIT CHANGES");
    assertThat(error.get('C')).isEqualTo("0A000");
    assertThat(error.get('M')).contains("push queries are served over gRPC/REST");
  }

  /**
   * Runs {@code sql} with PostgreSQL's simple query protocol on the gateway's PostgreSQL port (no
   * authentication in this gateway) and returns the fields of its ErrorResponse.
   */
  private static Map<Character, String> simpleQueryError(String sql) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", gateway.pgPort().orElseThrow())) {
      socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_S));
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] params = "user\0ordo\0database\0ordo\0\0".getBytes(StandardCharsets.UTF_8);
      out.writeInt(8 + params.length);
      out.writeInt(196608);
      out.write(params);
      out.flush();
      readUntil(in, 'Z');
      byte[] query = (sql + "\0").getBytes(StandardCharsets.UTF_8);
      out.writeByte('Q');
      out.writeInt(4 + query.length);
      out.write(query);
      out.flush();
      byte[] body = readUntil(in, 'E');
      Map<Character, String> fields = new HashMap<>();
      int i = 0;
      while (i < body.length && body[i] != 0) {
        char type = (char) body[i++];
        int end = i;
        while (body[end] != 0) {
          end++;
        }
        fields.put(type, new String(body, i, end - i, StandardCharsets.UTF_8));
        i = end + 1;
      }
      return fields;
    }
  }

  /** Reads backend messages until one of type {@code type}; returns its body. */
  private static byte[] readUntil(DataInputStream in, char type) throws IOException {
    while (true) {
      char t = (char) in.readByte();
      byte[] body = new byte[in.readInt() - 4];
      in.readFully(body);
      if (t == type) {
        return body;
      }
    }
  }
}
