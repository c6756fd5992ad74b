package io.ordo.sql.pgwire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sql.SqlAccess;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SCRAM-SHA-256 password authentication of PgWireServer, driven by pgjdbc (which supports SCRAM
 * natively) over a {@link FakeEngine}; TLS and per-statement access are covered end to end by
 * the launcher's AuthIT.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PgWireScramTest {
  private static PgWireServer server;

  @BeforeAll
  static void start() throws Exception {
    SecureRandom random = new SecureRandom();
    Map<String, PgSecurity.User> users =
        Map.of(
            "alice",
            new PgSecurity.User(
                "alice", ScramSha256.newVerifier("s3cret-π", random), SqlAccess.ADMIN));
    server =
        PgWireServer.start(
            new FakeEngine(),
            new InetSocketAddress("127.0.0.1", 0),
            8,
            new PgSecurity(Optional.of(name -> Optional.ofNullable(users.get(name))), Optional.empty()));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static Connection connect(String user, String password) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    if (password != null) {
      p.setProperty("password", password);
    }
    p.setProperty("connectTimeout", "10");
    p.setProperty("socketTimeout", "30");
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/db", p);
  }

  @Test
  void rightPasswordConnects() throws Exception {
    try (Connection c = connect("alice", "s3cret-π");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT 1")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(1);
    }
  }

  @Test
  void wrongPasswordAndUnknownUserFailAlike() {
    assertThatThrownBy(() -> connect("alice", "wrong").close())
        .isInstanceOf(SQLException.class)
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"))
        .hasMessageContaining("password authentication failed for user \"alice\"");
    assertThatThrownBy(() -> connect("mallory", "s3cret-π").close())
        .isInstanceOf(SQLException.class)
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"))
        .hasMessageContaining("password authentication failed for user \"mallory\"");
    assertThatThrownBy(() -> connect("alice", null).close()).isInstanceOf(SQLException.class);
  }

  @Test
  void theServerAsksForScramAndRefusesAnotherMechanism() throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(10_000);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      DataInputStream in = new DataInputStream(s.getInputStream());
      byte[] params = "user\0alice\0\0".getBytes(StandardCharsets.UTF_8);
      out.writeInt(8 + params.length);
      out.writeInt(196608);
      out.write(params);
      out.flush();
      assertThat((char) in.readByte()).isEqualTo('R');
      byte[] body = new byte[in.readInt() - 4];
      in.readFully(body);
      assertThat(new String(body, 4, body.length - 4, StandardCharsets.UTF_8))
          .isEqualTo("SCRAM-SHA-256\0\0");
      // SASLInitialResponse naming another mechanism.
      byte[] mech = "PLAIN\0".getBytes(StandardCharsets.UTF_8);
      out.writeByte('p');
      out.writeInt(4 + mech.length + 4);
      out.write(mech);
      out.writeInt(-1);
      out.flush();
      assertThat((char) in.readByte()).isEqualTo('E');
      byte[] error = new byte[in.readInt() - 4];
      in.readFully(error);
      assertThat(new String(error, StandardCharsets.UTF_8)).contains("08P01").contains("PLAIN");
    }
  }
}
