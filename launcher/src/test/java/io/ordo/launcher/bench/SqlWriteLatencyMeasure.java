package io.ordo.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.gateway.GatewayConfig;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.PutRequest;
import io.ordo.proto.SqlGrpc;
import io.ordo.proto.SqlRequest;
import io.ordo.proto.Value;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opt-in measurement (not part of any build: run it by name with {@code -Dordo.measure=true}, or
 * as a main on the test classpath, as BENCHMARKS.md "SQL single-row INSERT latency" does):
 * the latency of N sequential single-row autocommit INSERTs on an embedded Ordo, through gRPC
 * Sql/Execute (a session per request, as {@code ordo bench views} sends them), through pgjdbc
 * (a plain statement and a prepared one), and of a single-key Put through the Ordo API for
 * reference; prints p50/p99 per path. {@code -Dordo.measure.n} sets N (default 300), {@code
 * -Dordo.measure.rounds} how many times the paths are alternated (default 2). Asserts that every
 * insert is there afterwards.
 */
@EnabledIfSystemProperty(named = "ordo.measure", matches = "true")
class SqlWriteLatencyMeasure {
  private static final int WARMUP = 20;

  /** Runs the measurement outside JUnit (same properties), in a temporary directory. */
  public static void main(String[] args) throws Exception {
    Path dir = java.nio.file.Files.createTempDirectory("ordo-measure-");
    try {
      new SqlWriteLatencyMeasure().sequentialInserts(dir);
    } finally {
      try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
    System.exit(0);
  }

  @Test
  void sequentialInserts(@TempDir Path dir) throws Exception {
    int n = Integer.getInteger("ordo.measure.n", 300);
    int rounds = Integer.getInteger("ordo.measure.rounds", 2);
    EmbeddedOrdo.Options options = EmbeddedOrdo.Options.defaults(dir).withFreePorts()
        .withPgPort(GatewayConfig.ANY_FREE_PG_PORT);
    try (EmbeddedOrdo ordo = EmbeddedOrdo.start(options)) {
      ordo.awaitServing(Duration.ofSeconds(120));
      ManagedChannel channel = ManagedChannelBuilder.forTarget(ordo.grpcTarget()).usePlaintext().build();
      try (Connection pg = DriverManager.getConnection(
          "jdbc:postgresql://127.0.0.1:" + ordo.pgPort().getAsInt() + "/ordo?sslmode=disable",
          "ordo", "")) {
        SqlGrpc.SqlBlockingStub sql = SqlGrpc.newBlockingStub(channel);
        sql.withDeadlineAfter(60, TimeUnit.SECONDS).execute(SqlRequest.newBuilder().setSql(
            "CREATE TABLE m (id BIGINT PRIMARY KEY, k INT NOT NULL, seq BIGINT NOT NULL)").build());
        OrdoGrpc.OrdoBlockingStub kv = OrdoGrpc.newBlockingStub(channel);
        long[] id = {0};
        long expected = 0;
        for (int round = 0; round < rounds; round++) {
          double[] execute = measure(n, () -> {
            long i = id[0]++;
            sql.withDeadlineAfter(60, TimeUnit.SECONDS).execute(SqlRequest.newBuilder()
                .setSql("INSERT INTO m VALUES (" + i + ", " + (i % 64) + ", " + i + ")").build());
          });
          double[] jdbc = measure(n, () -> {
            long i = id[0]++;
            try (Statement s = pg.createStatement()) {
              s.executeUpdate("INSERT INTO m VALUES (" + i + ", " + (i % 64) + ", " + i + ")");
            }
          });
          double[] prepared;
          try (PreparedStatement ps = pg.prepareStatement("INSERT INTO m VALUES (?, ?, ?)")) {
            prepared = measure(n, () -> {
              long i = id[0]++;
              ps.setLong(1, i);
              ps.setInt(2, (int) (i % 64));
              ps.setLong(3, i);
              ps.executeUpdate();
            });
          }
          double[] put = measure(n, () -> kv.withDeadlineAfter(60, TimeUnit.SECONDS).put(
              PutRequest.newBuilder().setKey("measure/" + id[0]++)
                  .setValue(Value.newBuilder().setBytes(ByteString.copyFromUtf8("x"))).build()));
          expected += 3L * (n + WARMUP);
          System.out.printf(Locale.ROOT, "round %d, %d each: Sql/Execute INSERT p50/p99 %.1f/%.1f ms;"
                  + " pgjdbc INSERT %.1f/%.1f ms; pgjdbc prepared INSERT %.1f/%.1f ms;"
                  + " Ordo Put %.1f/%.1f ms%n", round, n, execute[0], execute[1], jdbc[0], jdbc[1],
              prepared[0], prepared[1], put[0], put[1]);
        }
        try (Statement s = pg.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM m")) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getLong(1)).isEqualTo(expected);
        }
      } finally {
        channel.shutdownNow();
      }
    }
  }

  interface Call {
    void run() throws Exception;
  }

  /** p50 and p99 of {@code n} sequential calls after {@link #WARMUP} unmeasured ones, in ms. */
  private static double[] measure(int n, Call call) throws Exception {
    for (int i = 0; i < WARMUP; i++) {
      call.run();
    }
    long[] ns = new long[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      call.run();
      ns[i] = System.nanoTime() - t0;
    }
    Arrays.sort(ns);
    return new double[] {ns[n / 2] / 1e6, ns[Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)] / 1e6};
  }
}
