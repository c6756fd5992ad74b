package io.ordo.sql.pgwire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every backend message, byte for byte: the expected hex is written by hand from the formats of
 * PostgreSQL protocol §55.7 (type byte, int32 length counting itself, body).
 */
class BackendWriterTest {
  private interface Write {
    void to(BackendWriter w) throws IOException;
  }

  private static void assertBytes(Write write, String expectedHex) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BackendWriter w = new BackendWriter(out);
    write.to(w);
    w.flush();
    assertThat(HexFormat.of().formatHex(out.toByteArray()))
        .isEqualTo(expectedHex.replace(" ", ""));
  }

  @Test
  void startupMessages() throws IOException {
    assertBytes(BackendWriter::refuseEncryption, "4e");
    assertBytes(BackendWriter::authenticationOk, "52 00000008 00000000");
    assertBytes(w -> w.parameterStatus("a", "b"), "53 00000008 6100 6200");
    assertBytes(w -> w.backendKeyData(7, -1), "4b 0000000c 00000007 ffffffff");
    assertBytes(w -> w.negotiateProtocolVersion(0, List.of("_pq_.x")),
        "76 00000013 00000000 00000001 5f70715f2e7800");
    assertBytes(w -> w.negotiateProtocolVersion(0, List.of()), "76 0000000c 00000000 00000000");
    assertBytes(w -> w.readyForQuery('I'), "5a 00000005 49");
    assertBytes(w -> w.readyForQuery('E'), "5a 00000005 45");
  }

  @Test
  void queryResults() throws IOException {
    assertBytes(
        w -> w.rowDescription(List.of(
            new BackendWriter.Field("a", 0, (short) 0, 23, (short) 4, -1, (short) 0))),
        "54 0000001a 0001 6100 00000000 0000 00000017 0004 ffffffff 0000");
    assertBytes(
        w -> w.rowDescription(List.of(
            new BackendWriter.Field("n", 0, (short) 0, 1700, (short) -1, 0x000a0006, (short) 1),
            new BackendWriter.Field("é", 0, (short) 0, 25, (short) -1, -1, (short) 0))),
        "54 0000002f 0002"
            + " 6e00 00000000 0000 000006a4 ffff 000a0006 0001"
            + " c3a900 00000000 0000 00000019 ffff ffffffff 0000");
    assertBytes(w -> w.rowDescription(List.of()), "54 00000006 0000");
    assertBytes(w -> w.dataRow(Arrays.asList("1".getBytes(), null, new byte[0])),
        "44 00000013 0003 00000001 31 ffffffff 00000000");
    assertBytes(w -> w.commandComplete("SELECT 1"), "43 0000000d 53454c4543542031 00");
    assertBytes(BackendWriter::emptyQueryResponse, "49 00000004");
    assertBytes(BackendWriter::portalSuspended, "73 00000004");
    assertBytes(BackendWriter::noData, "6e 00000004");
  }

  @Test
  void extendedProtocolAcknowledgements() throws IOException {
    assertBytes(BackendWriter::parseComplete, "31 00000004");
    assertBytes(BackendWriter::bindComplete, "32 00000004");
    assertBytes(BackendWriter::closeComplete, "33 00000004");
    assertBytes(w -> w.parameterDescription(List.of(23, 25)),
        "74 0000000e 0002 00000017 00000019");
    assertBytes(w -> w.parameterDescription(List.of()), "74 00000006 0000");
  }

  @Test
  void errorResponseFields() throws IOException {
    // S ERROR, V ERROR, C 42601, M bad, P 5, terminator.
    assertBytes(w -> w.errorResponse("ERROR", "42601", "bad", 5),
        "45 00000022"
            + " 53 4552524f5200 56 4552524f5200 43 343236303100 4d 62616400 50 3500 00");
    // No P field without a position.
    assertBytes(w -> w.errorResponse("FATAL", "53300", "x", 0),
        "45 0000001d 53 464154414c00 56 464154414c00 43 353333303000 4d 7800 00");
  }

  @Test
  void messagesFollowEachOtherAndLargeRowsDoNotStick() throws IOException {
    byte[] big = new byte[(1 << 20) + 10];
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BackendWriter w = new BackendWriter(out);
    w.dataRow(List.of(big));
    w.parseComplete();
    w.flush();
    byte[] all = out.toByteArray();
    assertThat(all).hasSize(1 + 4 + 2 + 4 + big.length + 5);
    assertThat(HexFormat.of().formatHex(all, all.length - 5, all.length)).isEqualTo("3100000004");
  }
}
