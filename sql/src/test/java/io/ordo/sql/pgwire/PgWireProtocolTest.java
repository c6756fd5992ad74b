package io.ordo.sql.pgwire;

import static io.ordo.sql.pgwire.RawClient.body;
import static io.ordo.sql.pgwire.RawClient.types;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.sql.SqlType;
import io.ordo.sql.pgwire.RawClient.Msg;
import io.ordo.sql.types.PgBinary;
import io.ordo.sql.types.PgText;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * PgWireServer's message flow (PostgreSQL protocol §55.2) seen on the wire by a bare client:
 * startup, simple query, extended query with portals and errors, limits and malformed input.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PgWireProtocolTest {
  private static FakeEngine engine;
  private static PgWireServer server;

  @BeforeAll
  static void start() throws Exception {
    engine = new FakeEngine();
    server = PgWireServer.start(engine, new InetSocketAddress("127.0.0.1", 0), 16);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** A client past startup, with the BackendKeyData it got in {@code key}. */
  private static RawClient connected(int port, int[] key) throws Exception {
    RawClient c = new RawClient(port);
    c.startup(3, 0, "bob", "db");
    for (Msg m : c.untilReady()) {
      if (m.type() == 'K' && key != null) {
        key[0] = m.buffer().getInt();
        key[1] = m.buffer().getInt(4);
      }
    }
    return c;
  }

  private static RawClient connected() throws Exception {
    return connected(server.port(), null);
  }

  private static void query(RawClient c, String sql) throws Exception {
    c.send('Q', body().str(sql));
  }

  private static Map<Character, String> onlyError(List<Msg> msgs) {
    for (Msg m : msgs) {
      if (m.type() == 'E') {
        return m.errorFields();
      }
    }
    throw new AssertionError("no ErrorResponse in " + types(msgs));
  }

  @Test
  void startupSendsParametersKeyAndReady() throws Exception {
    try (RawClient c = new RawClient(server.port())) {
      c.startup(3, 0, "bob", "db");
      List<Msg> msgs = c.untilReady();
      assertThat(types(msgs)).isEqualTo("RSSSSSSSSSSSKZ");
      assertThat(msgs.get(0).body()).containsExactly(0, 0, 0, 0);
      Map<String, String> params = new HashMap<>();
      for (Msg m : msgs) {
        if (m.type() == 'S') {
          String[] kv = new String(m.body(), StandardCharsets.UTF_8).split("\0");
          params.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
      }
      assertThat(params).containsEntry("server_version", "15.0")
          .containsEntry("server_encoding", "UTF8")
          .containsEntry("client_encoding", "UTF8")
          .containsEntry("DateStyle", "ISO, MDY")
          .containsEntry("IntervalStyle", "postgres")
          .containsEntry("integer_datetimes", "on")
          .containsEntry("standard_conforming_strings", "on")
          .containsEntry("TimeZone", "UTC")
          .containsEntry("application_name", "")
          .containsEntry("is_superuser", "off")
          .containsEntry("session_authorization", "bob");
      assertThat(msgs.get(12).body()).hasSize(8);
      assertThat(msgs.get(12).buffer().getInt()).isPositive();
      assertThat(msgs.get(13).body()).containsExactly('I');
      assertThat(engine.lastUser).isEqualTo("bob");
    }
  }

  @Test
  void sslAndGssRequestsAreRefusedWithN() throws Exception {
    try (RawClient c = new RawClient(server.port())) {
      c.sendUntyped(body().i32(80877103));
      assertThat(c.readByte()).isEqualTo('N');
      c.sendUntyped(body().i32(80877104));
      assertThat(c.readByte()).isEqualTo('N');
      c.startup(3, 0, "bob", "db");
      assertThat(types(c.untilReady())).endsWith("KZ");
    }
  }

  @Test
  void otherProtocolVersions() throws Exception {
    try (RawClient c = new RawClient(server.port())) {
      c.startup(2, 0, "bob", "db");
      Map<Character, String> e = c.read().errorFields();
      assertThat(e).containsEntry('S', "FATAL").containsEntry('V', "FATAL")
          .containsEntry('C', "08P01")
          .containsEntry('M', "unsupported frontend protocol 2.0: server supports 3.0 to 3.0");
      assertThat(c.closedByServer()).isTrue();
    }
    // 3.2 with a protocol option: NegotiateProtocolVersion, then the session goes on in 3.0.
    try (RawClient c = new RawClient(server.port())) {
      c.sendUntyped(body().i32((3 << 16) | 2).str("user").str("bob").str("_pq_.future")
          .str("x").i8(0));
      List<Msg> msgs = c.untilReady();
      assertThat(types(msgs)).startsWith("vR").endsWith("KZ");
      ByteBuffer v = msgs.get(0).buffer();
      assertThat(v.getInt()).isEqualTo(0);
      assertThat(v.getInt()).isEqualTo(1);
      assertThat(new String(msgs.get(0).body(), 8, 11, StandardCharsets.UTF_8))
          .isEqualTo("_pq_.future");
    }
    try (RawClient c = new RawClient(server.port())) {
      c.sendUntyped(body().i32(3 << 16).str("database").str("db").i8(0));
      assertThat(c.read().errorFields()).containsEntry('C', "28000");
      assertThat(c.closedByServer()).isTrue();
    }
  }

  @Test
  void simpleQueryRunsStatementsUntilAnError() throws Exception {
    try (RawClient c = connected()) {
      query(c, "select 1; select 1/0; select 1");
      List<Msg> msgs = c.untilReady();
      assertThat(types(msgs)).isEqualTo("TDCEZ");
      assertThat(msgs.get(1).columns().get(0)).isEqualTo("1".getBytes(StandardCharsets.UTF_8));
      assertThat(msgs.get(2).text()).isEqualTo("SELECT 1");
      assertThat(msgs.get(3).errorFields()).containsEntry('S', "ERROR")
          .containsEntry('C', "22012").containsEntry('M', "division by zero")
          .doesNotContainKey('P');
      query(c, "");
      assertThat(types(c.untilReady())).isEqualTo("IZ");
      query(c, " ; ");
      assertThat(types(c.untilReady())).isEqualTo("IZ");
      query(c, "select bad");
      assertThat(onlyError(c.untilReady())).containsEntry('C', "42703").containsEntry('P', "8");
      query(c, "select boom");
      assertThat(onlyError(c.untilReady())).containsEntry('C', "XX000")
          .containsEntry('M', "boom");
      query(c, "insert into t values (1)");
      List<Msg> insert = c.untilReady();
      assertThat(types(insert)).isEqualTo("CZ");
      assertThat(insert.get(0).text()).isEqualTo("INSERT 0 1");
    }
  }

  @Test
  void readyForQueryCarriesTheTransactionState() throws Exception {
    try (RawClient c = connected()) {
      query(c, "begin");
      List<Msg> begin = c.untilReady();
      assertThat(begin.get(begin.size() - 1).body()).containsExactly('T');
      query(c, "select 1/0");
      List<Msg> failed = c.untilReady();
      assertThat(failed.get(failed.size() - 1).body()).containsExactly('E');
      query(c, "rollback");
      List<Msg> rolledBack = c.untilReady();
      assertThat(rolledBack.get(rolledBack.size() - 1).body()).containsExactly('I');
    }
  }

  @Test
  void executeWithRowLimitSuspendsAndResumesThePortal() throws Exception {
    try (RawClient c = connected()) {
      c.send('P', body().str("s1").str("select n from series(5)").i16(0));
      c.send('B', body().str("p1").str("s1").i16(0).i16(0).i16(1).i16(1));
      c.send('D', body().i8('P').str("p1"));
      for (int i = 0; i < 3; i++) {
        c.send('E', body().str("p1").i32(2));
      }
      c.send('S', body());
      List<Msg> msgs = c.untilReady();
      assertThat(types(msgs)).isEqualTo("12TDDsDDsDCZ");
      ByteBuffer t = msgs.get(2).buffer();
      assertThat(t.getShort()).isEqualTo((short) 1);
      assertThat(t.get()).isEqualTo((byte) 'n');
      t.get(); // name terminator
      t.getInt();
      t.getShort();
      assertThat(t.getInt()).isEqualTo(20); // int8
      assertThat(t.getShort()).isEqualTo((short) 8);
      t.getInt();
      assertThat(t.getShort()).as("binary format").isEqualTo((short) 1);
      long expected = 1;
      for (Msg m : msgs) {
        if (m.type() == 'D') {
          assertThat(ByteBuffer.wrap(m.columns().get(0)).getLong()).isEqualTo(expected++);
        }
      }
      assertThat(expected).isEqualTo(6);
      assertThat(msgs.get(10).text()).isEqualTo("SELECT 1");
      // The portal ended with the implicit transaction at Sync.
      c.send('E', body().str("p1").i32(0));
      c.send('S', body());
      assertThat(onlyError(c.untilReady())).containsEntry('C', "34000")
          .containsEntry('M', "portal \"p1\" does not exist");
    }
  }

  @Test
  void portalsOutliveSyncInsideATransactionBlock() throws Exception {
    try (RawClient c = connected()) {
      query(c, "begin");
      c.untilReady();
      c.send('P', body().str("").str("select n from series(5)").i16(0));
      c.send('B', body().str("c").str("").i16(0).i16(0).i16(0));
      c.send('E', body().str("c").i32(2));
      c.send('S', body());
      List<Msg> first = c.untilReady();
      assertThat(types(first)).isEqualTo("12DDsZ");
      assertThat(first.get(first.size() - 1).body()).containsExactly('T');
      c.send('E', body().str("c").i32(2));
      c.send('S', body());
      List<Msg> second = c.untilReady();
      assertThat(types(second)).isEqualTo("DDsZ");
      assertThat(second.get(0).columns().get(0)).isEqualTo("3".getBytes(StandardCharsets.UTF_8));
      query(c, "commit");
      c.untilReady();
      c.send('E', body().str("c").i32(2));
      c.send('S', body());
      assertThat(onlyError(c.untilReady())).containsEntry('C', "34000");
    }
  }

  @Test
  void afterAnErrorMessagesAreSkippedUntilSync() throws Exception {
    try (RawClient c = connected()) {
      c.send('P', body().str("").str("select bad").i16(0));
      c.send('B', body().str("").str("").i16(0).i16(0).i16(0));
      c.send('D', body().i8('P').str(""));
      c.send('E', body().str("").i32(0));
      c.send('Q', body().str("select 1")); // skipped too, as PostgreSQL does
      c.send('S', body());
      List<Msg> msgs = c.untilReady();
      assertThat(types(msgs)).isEqualTo("EZ");
      assertThat(msgs.get(0).errorFields()).containsEntry('C', "42703").containsEntry('P', "8");
      c.send('P', body().str("").str("select 1").i16(0));
      c.send('B', body().str("").str("").i16(0).i16(0).i16(0));
      c.send('E', body().str("").i32(0));
      c.send('S', body());
      assertThat(types(c.untilReady())).isEqualTo("12DCZ");
    }
  }

  @Test
  void describeStatementsAndPortals() throws Exception {
    try (RawClient c = connected()) {
      c.send('P', body().str("ins").str("insert into t values ($1)").i16(0));
      c.send('D', body().i8('S').str("ins"));
      c.send('P', body().str("echo").str("select $1").i16(1).i32(23));
      c.send('D', body().i8('S').str("echo"));
      c.send('P', body().str("empty").str("").i16(0));
      c.send('D', body().i8('S').str("empty"));
      c.send('B', body().str("pe").str("empty").i16(0).i16(0).i16(0));
      c.send('D', body().i8('P').str("pe"));
      c.send('E', body().str("pe").i32(0));
      c.send('S', body());
      List<Msg> msgs = c.untilReady();
      assertThat(types(msgs)).isEqualTo("1tn1tT1tn2nIZ");
      ByteBuffer insParams = msgs.get(1).buffer();
      assertThat(insParams.getShort()).isEqualTo((short) 1);
      assertThat(insParams.getInt()).isEqualTo(25); // text, the fake's inference
      ByteBuffer echoParams = msgs.get(4).buffer();
      assertThat(echoParams.getShort()).isEqualTo((short) 1);
      assertThat(echoParams.getInt()).isEqualTo(23);
      assertThat(msgs.get(7).body()).containsExactly(0, 0); // no parameters
    }
  }

  @Test
  void bindChecksParametersAndFormats() throws Exception {
    try (RawClient c = connected()) {
      // int2vector parameters have no binary input.
      c.send('P', body().str("v").str("select $1").i16(1).i32(22));
      c.send('B', body().str("").str("v").i16(1).i16(1).i16(1).i32(2).i16(1).i16(0));
      c.send('S', body());
      assertThat(onlyError(c.untilReady())).containsEntry('C', "0A000");
      c.send('P', body().str("i").str("select $1").i16(1).i32(23));
      c.send('B', body().str("").str("i").i16(1).i16(2).i16(1).i32(1).i8('1').i16(0));
      c.send('S', body());
      assertThat(onlyError(c.untilReady())).containsEntry('C', "22023")
          .containsEntry('M', "unsupported format code: 2");
      c.send('B', body().str("").str("i").i16(0).i16(0).i16(0));
      c.send('S', body());
      assertThat(onlyError(c.untilReady())).containsEntry('C', "08P01")
          .containsEntry('M', "bind message supplies 0 parameters, but prepared statement \"i\""
              + " requires 1");
      c.send('B', body().str("").str("i").i16(0).i16(1).i32(1).i8('1').i16(2).i16(0).i16(0));
      c.send('S', body());
      assertThat(onlyError(c.untilReady())).containsEntry('C', "08P01");
      c.send('B', body().str("").str("i").i16(0).i16(1).i32(1).i8('x').i16(0));
      c.send('S', body());
      assertThat(onlyError(c.untilReady())).containsEntry('C', "22P02")
          .containsEntry('M', "invalid input syntax for type integer: \"x\"");
      c.send('P', body().str("t").str("select $1").i16(1).i32(25));
      c.send('B', body().str("").str("t").i16(0).i16(1).i32(1).i8(0xC3).i16(0));
      c.send('S', body());
      assertThat(onlyError(c.untilReady())).containsEntry('C', "22021");
      c.send('B', body().str("").str("t").i16(0).i16(1).i32(1).i8(0).i16(0));
      c.send('S', body());
      assertThat(onlyError(c.untilReady())).containsEntry('C', "22021");
      c.send('B', body().str("").str("i").i16(1).i16(1).i16(1).i32(3).bytes(new byte[3])
          .i16(0));
      c.send('S', body());
      assertThat(onlyError(c.untilReady())).containsEntry('C', "22P03");
      // A good one: binary in, binary out.
      c.send('B', body().str("").str("i").i16(1).i16(1).i16(1).i32(4).i32(-7).i16(1).i16(1));
      c.send('E', body().str("").i32(0));
      c.send('S', body());
      List<Msg> ok = c.untilReady();
      assertThat(types(ok)).isEqualTo("2DCZ");
      assertThat(ByteBuffer.wrap(ok.get(1).columns().get(0)).getInt()).isEqualTo(-7);
      // Names: duplicates, unknown ones, closing.
      c.send('P', body().str("i").str("select 1").i16(0));
      c.send('S', body());
      assertThat(onlyError(c.untilReady())).containsEntry('C', "42P05");
      c.send('B', body().str("").str("nope").i16(0).i16(0).i16(0));
      c.send('S', body());
      assertThat(onlyError(c.untilReady())).containsEntry('C', "26000");
      c.send('C', body().i8('S').str("i"));
      c.send('C', body().i8('P').str("never"));
      c.send('B', body().str("").str("i").i16(0).i16(0).i16(0));
      c.send('S', body());
      assertThat(types(c.untilReady())).isEqualTo("33EZ");
      c.send('P', body().str("").str("select 1; select 1").i16(0));
      c.send('S', body());
      assertThat(onlyError(c.untilReady())).containsEntry('C', "42601")
          .containsEntry('M', "cannot insert multiple commands into a prepared statement");
    }
  }

  @Test
  void everyTypeInAndOutInBothFormats() throws Exception {
    try (RawClient c = connected()) {
      for (int i = 0; i < FakeEngine.SAMPLE_COLUMNS.size(); i++) {
        SqlType type = FakeEngine.SAMPLE_COLUMNS.get(i).type();
        Object value = FakeEngine.SAMPLE_ROW.get(i);
        byte[] binary = PgBinary.encode(type, value);
        byte[] text = PgText.format(type, value).getBytes(StandardCharsets.UTF_8);
        c.send('P', body().str("").str("select $1").i16(1).i32(type.oid()));
        // binary in, binary out; text in, text out; binary in, text out
        c.send('B', body().str("").str("").i16(1).i16(1).i16(1).i32(binary.length).bytes(binary)
            .i16(1).i16(1));
        c.send('E', body().str("").i32(0));
        c.send('B', body().str("").str("").i16(0).i16(1).i32(text.length).bytes(text).i16(0));
        c.send('E', body().str("").i32(0));
        c.send('B', body().str("").str("").i16(1).i16(1).i16(1).i32(binary.length).bytes(binary)
            .i16(0));
        c.send('E', body().str("").i32(0));
        c.send('S', body());
        List<Msg> msgs = c.untilReady();
        assertThat(types(msgs)).as(type.toString()).isEqualTo("12DC2DC2DCZ");
        assertThat(msgs.get(2).columns().get(0)).as(type.toString()).isEqualTo(binary);
        assertThat(msgs.get(5).columns().get(0)).as(type.toString()).isEqualTo(text);
        assertThat(msgs.get(8).columns().get(0)).as(type.toString()).isEqualTo(text);
      }
      // jsonb parameters are normalized on the way in.
      byte[] json = "{\"b\":1,\"a\":2,\"a\":3}".getBytes(StandardCharsets.UTF_8);
      c.send('P', body().str("").str("select $1").i16(1).i32(SqlType.JSONB.oid()));
      c.send('B', body().str("").str("").i16(0).i16(1).i32(json.length).bytes(json).i16(0));
      c.send('E', body().str("").i32(0));
      c.send('S', body());
      assertThat(new String(c.untilReady().get(2).columns().get(0), StandardCharsets.UTF_8))
          .isEqualTo("{\"a\": 3, \"b\": 1}");
    }
  }

  @Test
  void statementAndPortalCountsAreBounded() throws Exception {
    try (RawClient c = connected()) {
      for (int i = 0; i < PgConnection.MAX_STATEMENTS; i++) {
        c.send('P', body().str("s" + i).str("select 1").i16(0));
      }
      c.send('S', body());
      assertThat(types(c.untilReady())).isEqualTo("1".repeat(PgConnection.MAX_STATEMENTS) + "Z");
      c.send('P', body().str("one-too-many").str("select 1").i16(0));
      c.send('S', body());
      assertThat(onlyError(c.untilReady())).containsEntry('C', "54000");
      // The unnamed statement is not counted; closing one makes room.
      c.send('P', body().str("").str("select 1").i16(0));
      c.send('C', body().i8('S').str("s0"));
      c.send('P', body().str("again").str("select 1").i16(0));
      c.send('S', body());
      assertThat(types(c.untilReady())).isEqualTo("131Z");

      query(c, "begin"); // portals outlive Sync only inside a block
      c.untilReady();
      for (int i = 0; i < PgConnection.MAX_PORTALS; i++) {
        c.send('B', body().str("p" + i).str("s1").i16(0).i16(0).i16(0));
      }
      c.send('S', body());
      assertThat(types(c.untilReady())).isEqualTo("2".repeat(PgConnection.MAX_PORTALS) + "Z");
      c.send('B', body().str("one-too-many").str("s1").i16(0).i16(0).i16(0));
      c.send('S', body());
      assertThat(onlyError(c.untilReady())).containsEntry('C', "54000");
      query(c, "commit");
      c.untilReady();
      // The block ended: so did its portals, and there is room again.
      c.send('B', body().str("p0").str("s1").i16(0).i16(0).i16(0));
      c.send('S', body());
      assertThat(types(c.untilReady())).isEqualTo("2Z");
    }
  }

  @Test
  void flushSendsWithoutSync() throws Exception {
    try (RawClient c = connected()) {
      c.send('P', body().str("").str("select 1").i16(0));
      c.send('H', body());
      assertThat(c.read().type()).isEqualTo('1');
      c.send('F', body().i32(0).i16(0).i16(0).i16(0));
      assertThat(types(c.untilReady())).isEqualTo("EZ");
    }
  }

  @Test
  void malformedInputClosesOnlyThatConnection() throws Exception {
    try (RawClient bystander = connected()) {
      try (RawClient c = connected()) {
        c.sendRaw(new byte[] {'Q', 0, 0, 0, 3});
        Map<Character, String> e = c.read().errorFields();
        assertThat(e).containsEntry('S', "FATAL").containsEntry('C', "08P01");
        assertThat(c.closedByServer()).isTrue();
      }
      try (RawClient c = connected()) {
        c.send('z', body());
        assertThat(c.read().errorFields()).containsEntry('C', "08P01")
            .containsEntry('M', "invalid frontend message type 122");
        assertThat(c.closedByServer()).isTrue();
      }
      try (RawClient c = connected()) {
        // 1 GiB announced: refused from the length, nothing read or allocated.
        c.sendRaw(new byte[] {'Q', 0x40, 0, 0, 0});
        assertThat(c.read().errorFields()).containsEntry('C', "08P01");
        assertThat(c.closedByServer()).isTrue();
      }
      query(bystander, "select 1");
      assertThat(types(bystander.untilReady())).isEqualTo("TDCZ");
    }
  }

  @Test
  void fullServerRefusesClientsButServesCancelRequests() throws Exception {
    try (PgWireServer small =
        PgWireServer.start(engine, new InetSocketAddress("127.0.0.1", 0), 1)) {
      int[] key = new int[2];
      try (RawClient first = connected(small.port(), key)) {
        try (RawClient second = new RawClient(small.port())) {
          second.startup(3, 0, "bob", "db");
          assertThat(second.read().errorFields()).containsEntry('S', "FATAL")
              .containsEntry('C', "53300")
              .containsEntry('M', "sorry, too many clients already");
          assertThat(second.closedByServer()).isTrue();
        }
        // A wrong key cancels nothing: the one-second sleep completes.
        engine.sleeping = new CountDownLatch(1);
        query(first, "select pg_sleep(1)");
        assertThat(engine.sleeping.await(10, TimeUnit.SECONDS)).isTrue();
        try (RawClient cancel = new RawClient(small.port())) {
          cancel.sendUntyped(body().i32(80877102).i32(key[0]).i32(key[1] + 1));
          assertThat(cancel.closedByServer()).isTrue();
        }
        assertThat(types(first.untilReady())).isEqualTo("TDCZ");
        // The right key cancels the running statement, even while the server is full.
        engine.sleeping = new CountDownLatch(1);
        query(first, "select pg_sleep(30)");
        assertThat(engine.sleeping.await(10, TimeUnit.SECONDS)).isTrue();
        try (RawClient cancel = new RawClient(small.port())) {
          cancel.sendUntyped(body().i32(80877102).i32(key[0]).i32(key[1]));
          assertThat(cancel.closedByServer()).isTrue();
        }
        assertThat(onlyError(first.untilReady())).containsEntry('C', "57014");
      }
    }
  }

  @Test
  void closeEndsOpenConnections() throws Exception {
    PgWireServer s = PgWireServer.start(engine, new InetSocketAddress("127.0.0.1", 0), 4);
    try (RawClient c = connected(s.port(), null)) {
      assertThat(s.openSessions()).isEqualTo(1);
      long start = System.nanoTime();
      s.close();
      assertThat(c.closedByServer()).isTrue();
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
          .isLessThan(PgWireServer.CLOSE_WAIT_MS);
      assertThat(s.openSessions()).isZero();
    } finally {
      s.close();
    }
  }
}
