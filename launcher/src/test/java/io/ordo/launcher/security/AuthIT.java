package io.ordo.launcher.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import io.ordo.gateway.GatewayConfig;
import io.ordo.gateway.auth.Credentials;
import io.ordo.gateway.auth.GatewaySecurity;
import io.ordo.gateway.auth.Permission;
import io.ordo.gateway.auth.TlsMaterial;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.GetRequest;
import io.ordo.proto.GetStreamRequest;
import io.ordo.proto.HealthRequest;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.PutRequest;
import io.ordo.proto.SqlGrpc;
import io.ordo.proto.SqlRequest;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.Value;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authentication and TLS of an embedded Ordo started with a credentials file and a self-signed
 * certificate made in the test: the auth matrix (gRPC, REST and PostgreSQL × no credential,
 * read, write, admin × a read, a write and an administrative operation), each refused write
 * shown to have changed nothing; TLS on every interface, and plain-text clients refused; SCRAM
 * through pgjdbc and psql.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class AuthIT {
  private static final String PASSWORD = "correct horse battery staple";
  /** The matrix's credentials: none, then one per permission. */
  private static final List<String> LEVELS = List.of("none", "read", "write", "admin");

  @TempDir static Path dir;
  private static SelfSignedCertificate cert;
  private static EmbeddedOrdo ordo;
  private static final Map<String, String> TOKENS = new TreeMap<>();
  private static ManagedChannel anonymous;
  private static final Map<String, ManagedChannel> CHANNELS = new TreeMap<>();
  private static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    cert = SelfSignedCertificate.create(dir);
    Path authFile = dir.resolve("ordo-auth");
    SecureRandom random = new SecureRandom();
    for (Permission p : Permission.values()) {
      String token = Credentials.newToken(random);
      TOKENS.put(p.label(), token);
      Credentials.appendEntry(authFile, Credentials.tokenLine(p.label() + "-token", p, token));
      Credentials.appendEntry(authFile, Credentials.userLine(p.label() + "_user", p, PASSWORD, random));
    }
    // The file holds no token in clear.
    String file = Files.readString(authFile);
    for (String token : TOKENS.values()) {
      assertThat(file).doesNotContain(token);
    }
    assertThat(file).doesNotContain(PASSWORD);
    GatewaySecurity security =
        new GatewaySecurity(
            Optional.of(Credentials.load(authFile)),
            Optional.of(TlsMaterial.load(cert.certPem, cert.keyPem)));
    ordo =
        EmbeddedOrdo.start(
            EmbeddedOrdo.Options.defaults(dir.resolve("data"))
                .withFreePorts()
                .withExecutor(OptionalInt.empty(), OptionalInt.empty(), OptionalLong.of(500))
                .withPgPort(GatewayConfig.ANY_FREE_PG_PORT)
                .withSecurity(security));
    ordo.awaitServing(Duration.ofSeconds(120));
    anonymous = tlsChannel(null);
    for (String level : LEVELS.subList(1, 4)) {
      CHANNELS.put(level, tlsChannel(TOKENS.get(level)));
    }
    http = HttpClient.newBuilder().sslContext(cert.clientContext()).connectTimeout(Duration.ofSeconds(10)).build();
    // A table for the SQL matrix, created by the admin.
    try (Connection c = pg("admin_user", PASSWORD, "verify-full");
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT)");
      st.execute("INSERT INTO t VALUES (1, 'one')");
    }
  }

  @AfterAll
  static void stop() {
    if (anonymous != null) {
      anonymous.shutdownNow();
    }
    CHANNELS.values().forEach(ManagedChannel::shutdownNow);
    if (ordo != null) {
      ordo.close();
    }
  }

  private static ManagedChannel tlsChannel(String token) throws IOException {
    var builder =
        Grpc.newChannelBuilderForAddress(
            "localhost",
            ordo.grpcPort(),
            TlsChannelCredentials.newBuilder().trustManager(cert.certPem.toFile()).build());
    if (token != null) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      builder.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    return builder.build();
  }

  private static ManagedChannel channel(String level) {
    return level.equals("none") ? anonymous : CHANNELS.get(level);
  }

  private static boolean allows(String level, Permission needed) {
    return !level.equals("none") && Permission.parse(level).implies(needed);
  }

  private static Value bytes(String s) {
    return Value.newBuilder().setBytes(ByteString.copyFromUtf8(s)).build();
  }

  /** The status of a call: OK, or its error code. */
  private static Status.Code codeOf(Runnable call) {
    try {
      call.run();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  private static Status.Code expected(String level, Permission needed) {
    if (allows(level, needed)) {
      return Status.Code.OK;
    }
    return level.equals("none") ? Status.Code.UNAUTHENTICATED : Status.Code.PERMISSION_DENIED;
  }

  @Test
  void grpcMatrix() {
    var admin = OrdoGrpc.newBlockingStub(CHANNELS.get("admin")).withDeadlineAfter(60, TimeUnit.SECONDS);
    admin.put(PutRequest.newBuilder().setKey("grpc-read").setValue(bytes("x")).build());
    List<String> table = new ArrayList<>();
    for (String level : LEVELS) {
      var kv = OrdoGrpc.newBlockingStub(channel(level)).withDeadlineAfter(60, TimeUnit.SECONDS);
      var streams = StreamsGrpc.newBlockingStub(channel(level)).withDeadlineAfter(60, TimeUnit.SECONDS);
      Status.Code read = codeOf(() -> kv.get(GetRequest.newBuilder().setKey("grpc-read").build()));
      String writeKey = "grpc-write-" + level;
      Status.Code write =
          codeOf(() -> kv.put(PutRequest.newBuilder().setKey(writeKey).setValue(bytes(level)).build()));
      String stream = "grpc-stream-" + level;
      Status.Code create =
          codeOf(() -> streams.createStream(CreateStreamRequest.newBuilder().setName(stream).setShardCount(1).build()));
      Status.Code health = codeOf(() -> kv.health(HealthRequest.getDefaultInstance()));
      table.add(level + ": read=" + read + " write=" + write + " admin=" + create + " health=" + health);
      assertThat(read).as("gRPC Get as %s", level).isEqualTo(expected(level, Permission.READ));
      assertThat(write).as("gRPC Put as %s", level).isEqualTo(expected(level, Permission.WRITE));
      assertThat(create).as("gRPC CreateStream as %s", level).isEqualTo(expected(level, Permission.ADMIN));
      assertThat(health).as("gRPC Health as %s", level).isEqualTo(Status.Code.OK);
      // A refused call changed nothing.
      boolean written = admin.get(GetRequest.newBuilder().setKey(writeKey).build()).getFound();
      assertThat(written).as("key written by %s", level).isEqualTo(write == Status.Code.OK);
      Status.Code exists =
          codeOf(() -> StreamsGrpc.newBlockingStub(CHANNELS.get("admin")).withDeadlineAfter(60, TimeUnit.SECONDS)
              .getStream(GetStreamRequest.newBuilder().setName(stream).build()));
      assertThat(exists).as("stream created by %s", level)
          .isEqualTo(create == Status.Code.OK ? Status.Code.OK : Status.Code.NOT_FOUND);
    }
    System.out.println("gRPC auth matrix:\n  " + String.join("\n  ", table));
  }

  @Test
  void grpcSqlServiceChecksEachStatement() {
    var read = SqlGrpc.newBlockingStub(CHANNELS.get("read")).withDeadlineAfter(60, TimeUnit.SECONDS);
    assertThat(read.execute(SqlRequest.newBuilder().setSql("SELECT v FROM t WHERE id = 1").build()).toString())
        .contains("one");
    assertThat(codeOf(() -> read.execute(SqlRequest.newBuilder().setSql("INSERT INTO t VALUES (50, 'no')").build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    var write = SqlGrpc.newBlockingStub(CHANNELS.get("write")).withDeadlineAfter(60, TimeUnit.SECONDS);
    assertThat(codeOf(() -> write.execute(SqlRequest.newBuilder().setSql("CREATE TABLE t_grpc (id BIGINT PRIMARY KEY)").build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(codeOf(() -> write.execute(SqlRequest.newBuilder().setSql("INSERT INTO t VALUES (51, 'yes')").build())))
        .isEqualTo(Status.Code.OK);
    var admin = SqlGrpc.newBlockingStub(CHANNELS.get("admin")).withDeadlineAfter(60, TimeUnit.SECONDS);
    String rows = admin.execute(SqlRequest.newBuilder().setSql("SELECT id FROM t WHERE id >= 50 ORDER BY id").build()).toString();
    assertThat(rows).contains("51").doesNotContain("50");
  }

  private static HttpResponse<String> rest(String level, String method, String path, String body)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("https://localhost:" + ordo.httpPort() + path))
            .timeout(Duration.ofSeconds(60))
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (!level.equals("none")) {
      request.header("Authorization", "Bearer " + TOKENS.get(level));
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private static int expectedHttp(String level, Permission needed) {
    if (allows(level, needed)) {
      return 200;
    }
    return level.equals("none") ? 401 : 403;
  }

  @Test
  void restMatrix() throws Exception {
    assertThat(rest("admin", "PUT", "/v1/kv/rest-read", "{\"value\": {\"bytes\": \"eA==\"}}").statusCode()).isEqualTo(200);
    List<String> table = new ArrayList<>();
    for (String level : LEVELS) {
      int read = rest(level, "GET", "/v1/kv/rest-read", null).statusCode();
      HttpResponse<String> write = rest(level, "PUT", "/v1/kv/rest-write-" + level, "{\"value\": {\"bytes\": \"eA==\"}}");
      HttpResponse<String> create =
          rest(level, "POST", "/v1/streams", "{\"name\": \"rest-stream-" + level + "\", \"shardCount\": 1}");
      int health = rest(level, "GET", "/v1/health", null).statusCode();
      int metrics = rest(level, "GET", "/metrics", null).statusCode();
      table.add(level + ": read=" + read + " write=" + write.statusCode() + " admin=" + create.statusCode()
          + " health=" + health + " metrics=" + metrics);
      assertThat(read).as("REST GET as %s", level).isEqualTo(expectedHttp(level, Permission.READ));
      assertThat(write.statusCode()).as("REST PUT as %s", level).isEqualTo(expectedHttp(level, Permission.WRITE));
      assertThat(create.statusCode()).as("REST POST /v1/streams as %s", level).isEqualTo(expectedHttp(level, Permission.ADMIN));
      assertThat(health).as("health as %s", level).isEqualTo(200);
      assertThat(metrics).as("metrics as %s", level).isEqualTo(expectedHttp(level, Permission.READ));
      if (level.equals("none")) {
        assertThat(write.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"ordo\"");
        assertThat(write.body()).contains("UNAUTHENTICATED");
      } else if (write.statusCode() == 403) {
        assertThat(write.body()).contains("PERMISSION_DENIED").contains("needs write");
      }
      // Refused calls changed nothing.
      String stored = rest("admin", "GET", "/v1/kv/rest-write-" + level, null).body();
      assertThat(stored.contains("\"found\":true")).as("key written by %s", level).isEqualTo(write.statusCode() == 200);
      int stream = rest("admin", "GET", "/v1/streams/rest-stream-" + level, null).statusCode();
      assertThat(stream).as("stream created by %s", level).isEqualTo(create.statusCode() == 200 ? 200 : 404);
    }
    System.out.println("REST auth matrix:\n  " + String.join("\n  ", table));
  }

  private static Connection pg(String user, String password, String sslmode) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    if (password != null) {
      p.setProperty("password", password);
    }
    p.setProperty("sslmode", sslmode);
    p.setProperty("sslrootcert", cert.certPem.toString());
    p.setProperty("connectTimeout", "20");
    p.setProperty("socketTimeout", "60");
    return DriverManager.getConnection("jdbc:postgresql://localhost:" + ordo.pgPort().getAsInt() + "/ordo", p);
  }

  private static String sqlState(SqlCall call) {
    try {
      call.run();
      return "ok";
    } catch (SQLException e) {
      return e.getSQLState();
    }
  }

  @FunctionalInterface
  private interface SqlCall {
    void run() throws SQLException;
  }

  private static long count(String where) throws SQLException {
    try (Connection c = pg("admin_user", PASSWORD, "verify-full");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM t WHERE " + where)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void pgwireMatrix() throws Exception {
    List<String> table = new ArrayList<>();
    long id = 100;
    for (String level : LEVELS) {
      if (level.equals("none")) {
        // No password, a wrong one, an unknown user: 28P01, like PostgreSQL.
        assertThat(sqlState(() -> pg("read_user", null, "verify-full").close())).isNotEqualTo("ok");
        assertThat(sqlState(() -> pg("read_user", "wrong", "verify-full").close())).isEqualTo("28P01");
        assertThat(sqlState(() -> pg("nobody", PASSWORD, "verify-full").close())).isEqualTo("28P01");
        table.add("none: connect refused (28P01)");
        continue;
      }
      long rowId = id++;
      String read;
      String write;
      String ddl;
      try (Connection c = pg(level + "_user", PASSWORD, "verify-full"); Statement st = c.createStatement()) {
        read = sqlState(() -> st.executeQuery("SELECT v FROM t WHERE id = 1").close());
        write = sqlState(() -> st.executeUpdate("INSERT INTO t VALUES (" + rowId + ", 'w')"));
        ddl = sqlState(() -> st.execute("CREATE TABLE t_" + level + " (id BIGINT PRIMARY KEY)"));
      }
      table.add(level + ": read=" + read + " write=" + write + " admin=" + ddl);
      Permission p = Permission.parse(level);
      assertThat(read).as("SELECT as %s", level).isEqualTo("ok");
      assertThat(write).as("INSERT as %s", level).isEqualTo(p.implies(Permission.WRITE) ? "ok" : "42501");
      assertThat(ddl).as("CREATE TABLE as %s", level).isEqualTo(p.implies(Permission.ADMIN) ? "ok" : "42501");
      assertThat(count("id = " + rowId)).as("row inserted by %s", level).isEqualTo(write.equals("ok") ? 1 : 0);
      try (Connection c = pg("admin_user", PASSWORD, "verify-full"); Statement st = c.createStatement()) {
        String exists = sqlState(() -> st.executeQuery("SELECT count(*) FROM t_" + level).close());
        assertThat(exists).as("table created by %s", level).isEqualTo(ddl.equals("ok") ? "ok" : "42P01");
      }
    }
    System.out.println("PostgreSQL auth matrix:\n  " + String.join("\n  ", table));
  }

  @Test
  void plainTextClientsAreRefused() throws Exception {
    ManagedChannel plain =
        Grpc.newChannelBuilderForAddress("127.0.0.1", ordo.grpcPort(), InsecureChannelCredentials.create()).build();
    try {
      Status.Code code =
          codeOf(() -> OrdoGrpc.newBlockingStub(plain).withDeadlineAfter(20, TimeUnit.SECONDS)
              .health(HealthRequest.getDefaultInstance()));
      assertThat(code).isEqualTo(Status.Code.UNAVAILABLE);
    } finally {
      plain.shutdownNow();
    }
    HttpClient plainHttp = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    assertThatThrownBy(
            () -> plainHttp.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ordo.httpPort() + "/v1/health"))
                    .timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(IOException.class);
    // pgjdbc without TLS: the server requires it (28000).
    assertThat(sqlState(() -> pg("admin_user", PASSWORD, "disable").close())).isEqualTo("28000");
    // A client that does not trust the certificate fails the handshake.
    SSLContext trustNothing = SSLContext.getInstance("TLS");
    trustNothing.init(null, null, null);
    HttpClient untrusting = HttpClient.newBuilder().sslContext(trustNothing).build();
    assertThatThrownBy(
            () -> untrusting.send(
                HttpRequest.newBuilder(URI.create("https://localhost:" + ordo.httpPort() + "/v1/health")).build(),
                HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(IOException.class);
  }

  private static ProcessResult psql(String user, String password, String sslmode, String sql)
      throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
            "psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", "localhost", "-p", String.valueOf(ordo.pgPort().getAsInt()),
            "-U", user, "-d", "ordo", "-c", sql);
    pb.environment().put("PGPASSWORD", password);
    pb.environment().put("PGSSLMODE", sslmode);
    pb.environment().put("PGSSLROOTCERT", cert.certPem.toString());
    pb.environment().put("PGCONNECT_TIMEOUT", "20");
    pb.redirectErrorStream(true);
    Process process = pb.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new ProcessResult(process.exitValue(), output);
  }

  private record ProcessResult(int exitCode, String output) {}

  @Test
  void psqlAuthenticatesWithScramOverTls() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/psql")) || System.getenv("CI") != null,
        "psql is not installed");
    ProcessResult ok = psql("read_user", PASSWORD, "verify-full", "SELECT v FROM t WHERE id = 1");
    assertThat(ok.exitCode()).as(ok.output()).isEqualTo(0);
    assertThat(ok.output().strip()).isEqualTo("one");
    ProcessResult denied = psql("read_user", PASSWORD, "verify-full", "INSERT INTO t VALUES (60, 'no')");
    assertThat(denied.exitCode()).isNotEqualTo(0);
    assertThat(denied.output()).contains("permission denied");
    ProcessResult wrong = psql("read_user", "wrong", "verify-full", "SELECT 1");
    assertThat(wrong.exitCode()).isEqualTo(2);
    assertThat(wrong.output()).contains("password authentication failed for user \"read_user\"");
    ProcessResult plain = psql("read_user", PASSWORD, "disable", "SELECT 1");
    assertThat(plain.exitCode()).isEqualTo(2);
    assertThat(plain.output()).contains("requires TLS");
    assertThat(count("id = 60")).isZero();
  }
}
