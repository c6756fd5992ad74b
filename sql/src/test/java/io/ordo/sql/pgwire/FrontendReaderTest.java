package io.ordo.sql.pgwire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every frontend message Ordo reads, from bytes written by hand after PostgreSQL protocol §55.7,
 * and the malformed inputs that must be refused as protocol violations.
 */
class FrontendReaderTest {
  private static FrontendReader reader(String hex) {
    return new FrontendReader(
        new ByteArrayInputStream(HexFormat.of().parseHex(hex.replace(" ", ""))));
  }

  private static FrontendMessage one(String hex) throws Exception {
    FrontendReader r = reader(hex);
    FrontendMessage m = r.readMessage();
    assertThat(r.readMessage()).as("nothing after the message").isNull();
    return m;
  }

  @Test
  void startupPackets() throws Exception {
    // length 34, protocol 3.0, user=alice, database=shop, terminator
    FrontendMessage m = reader("00000022 00030000 7573657200 616c69636500"
        + " 646174616261736500 73686f7000 00").readStartup();
    assertThat(m).isEqualTo(new FrontendMessage.Startup(3, 0,
        Map.of("user", "alice", "database", "shop")));
    assertThat(reader("00000008 04d2162f").readStartup())
        .isEqualTo(new FrontendMessage.SslRequest());
    assertThat(reader("00000008 04d21630").readStartup())
        .isEqualTo(new FrontendMessage.GssEncRequest());
    assertThat(reader("00000010 04d2162e 00000007 0000002a").readStartup())
        .isEqualTo(new FrontendMessage.CancelRequest(7, 42));
    assertThat(reader("00000009 00020000 00").readStartup())
        .isEqualTo(new FrontendMessage.Startup(2, 0, Map.of()));
    assertThat(reader("").readStartup()).isNull();
  }

  @Test
  void malformedStartupPackets() {
    assertProtocolError(() -> reader("00000004 00030000").readStartup(),
        "invalid length of startup packet");
    assertProtocolError(() -> reader("00002711 00030000").readStartup(),
        "invalid length of startup packet"); // 10001 bytes
    assertProtocolError(() -> reader("0000000c 04d2162e 00000007").readStartup(),
        "insufficient data left in message");
    assertProtocolError(() -> reader("0000000c 04d2162f 00000000").readStartup(),
        "invalid message format");
    assertProtocolError(() -> reader("0000000d 00030000 7573657200").readStartup(),
        "invalid string in message");
  }

  @Test
  void simpleQuery() throws Exception {
    assertThat(one("51 0000000d 73656c6563742031 00"))
        .isEqualTo(new FrontendMessage.Query("select 1"));
  }

  @Test
  void extendedQueryMessages() throws Exception {
    assertThat(one("50 00000013 733100 7100 0002 00000017 00000000"))
        .isEqualTo(new FrontendMessage.Parse("s1", "q", List.of(23, 0)));
    FrontendMessage.Bind b = (FrontendMessage.Bind) one(
        "42 0000001e 7000 7300 0001 0001 0002 00000004 00000001 ffffffff 0001 0001");
    assertThat(b.portal()).isEqualTo("p");
    assertThat(b.statement()).isEqualTo("s");
    assertThat(b.parameterFormats()).containsExactly((short) 1);
    assertThat(b.parameters()).hasSize(2);
    assertThat(b.parameters().get(0)).containsExactly(0, 0, 0, 1);
    assertThat(b.parameters().get(1)).isNull();
    assertThat(b.resultFormats()).containsExactly((short) 1);
    assertThat(one("44 00000008 53 733100")).isEqualTo(new FrontendMessage.Describe('S', "s1"));
    assertThat(one("44 00000006 50 00")).isEqualTo(new FrontendMessage.Describe('P', ""));
    assertThat(one("45 00000009 00 0000000a")).isEqualTo(new FrontendMessage.Execute("", 10));
    assertThat(one("43 00000007 50 7000")).isEqualTo(new FrontendMessage.Close('P', "p"));
    assertThat(one("53 00000004")).isEqualTo(new FrontendMessage.Sync());
    assertThat(one("48 00000004")).isEqualTo(new FrontendMessage.Flush());
    assertThat(one("58 00000004")).isEqualTo(new FrontendMessage.Terminate());
    assertThat(one("46 00000006 0000")).isEqualTo(new FrontendMessage.Unsupported('F'));
    assertThat(one("64 00000005 00")).isEqualTo(new FrontendMessage.Unsupported('d'));
  }

  @Test
  void messagesInARow() throws Exception {
    FrontendReader r = reader("53 00000004 48 00000004 58 00000004");
    assertThat(r.readMessage()).isEqualTo(new FrontendMessage.Sync());
    assertThat(r.readMessage()).isEqualTo(new FrontendMessage.Flush());
    assertThat(r.readMessage()).isEqualTo(new FrontendMessage.Terminate());
    assertThat(r.readMessage()).isNull();
  }

  @Test
  void malformedMessages() {
    assertProtocolError(() -> one("51 00000003"), "invalid message length 3");
    assertProtocolError(() -> one("7a 00000004"), "invalid frontend message type 122");
    assertProtocolError(() -> one("51 00000005 61"), "invalid string in message");
    assertProtocolError(() -> one("53 00000005 00"), "invalid message format");
    assertProtocolError(() -> one("44 00000006 58 00"), "invalid DESCRIBE/CLOSE message subtype");
    assertProtocolError(() -> one("42 0000000e 00 00 0000 0001 fffffffe 0000"),
        "invalid parameter length -2");
    assertProtocolError(() -> one("50 0000000a 00 00 0001 0000"),
        "insufficient data left in message");
    assertProtocolError(() -> one("51 00000006 ff00"), "invalid UTF-8 in a message string");
    // Over the limit: refused from the length field alone, before any allocation.
    assertProtocolError(() -> one("51 04000001"), "invalid message length 67108865");
    FrontendReader small = new FrontendReader(
        new ByteArrayInputStream(HexFormat.of().parseHex("510000001000")), 15);
    assertProtocolError(small::readMessage, "invalid message length 16 (limit 15 bytes)");
    assertThatThrownBy(() -> one("51 0000000d 7365")).isInstanceOf(EOFException.class);
  }

  private interface Read {
    Object read() throws Exception;
  }

  private static void assertProtocolError(Read read, String messageStart) {
    assertThatThrownBy(read::read)
        .isInstanceOf(PgProtocolException.class)
        .hasMessageStartingWith(messageStart);
  }

  /**
   * A length field that lies (64 MiB claimed, a few bytes sent, then the connection ends) costs
   * no 64 MiB buffer: found by the protocol fuzzing, where concurrent connections with such
   * lengths could each make the server allocate the claimed size before a byte of the body came.
   */
  @Test
  void aLyingLengthAllocatesOnlyWhatArrives() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    String claim = String.format("%08x", FrontendReader.MAX_MESSAGE_LENGTH);
    FrontendReader r = reader("51" + claim + "53454c45435420"); // 'Q', "SELECT "
    long before = threads.getThreadAllocatedBytes(tid);
    assertThatThrownBy(r::readMessage).isInstanceOf(EOFException.class);
    long allocated = threads.getThreadAllocatedBytes(tid) - before;
    assertThat(allocated).as("bytes allocated for a message whose body never came")
        .isLessThan(1L << 20);
  }
}
