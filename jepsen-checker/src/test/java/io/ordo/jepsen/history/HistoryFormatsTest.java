package io.ordo.jepsen.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryFormatsTest {
  static Path resource(String name) {
    try {
      return Path.of(HistoryFormatsTest.class.getResource("/histories/formats/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static String edn(History h) throws IOException {
    StringWriter w = new StringWriter();
    EdnHistory.write(h, w);
    return w.toString();
  }

  static String json(History h) throws IOException {
    StringWriter w = new StringWriter();
    JsonHistory.write(h, w);
    return w.toString();
  }

  @Test
  void ednReadsJepsenValuesIntoHistoryValues() throws IOException {
    History h = EdnHistory.read(resource("mixed-ok.edn"));
    assertThat(h.size()).isEqualTo(11);
    Op first = h.ops().get(0);
    assertThat(first.type()).isEqualTo(OpType.INVOKE);
    assertThat(first.f()).isEqualTo("txn");
    assertThat(first.value()).isEqualTo(List.of(List.of(Keyword.of("append"), 1L, 2L), java.util.Arrays.asList(Keyword.of("r"), 1L, null)));
    assertThat(h.ops().get(1).value()).isEqualTo(Map.of(Keyword.of("from"), 0L, Keyword.of("to"), 1L, Keyword.of("amount"), 5L));
    assertThat(h.ops().get(2).isNemesis()).isTrue();
    assertThat(h.ops().get(4).error()).isEqualTo(List.of(Keyword.of("timeout"), "no reply in 5 s"));
    assertThat(h.ops().get(6).value()).isEqualTo(Map.of(0L, 95L, 1L, 105L));
    assertThat(h.ops().get(9).error()).isEqualTo("aborted: \"quoted\"\n");
    assertThat(h.completion(h.ops().get(10))).isEmpty();
  }

  @Test
  void ednRoundTripReproducesTheCanonicalFileExactly() throws IOException {
    String text = Files.readString(resource("mixed-ok.edn"), StandardCharsets.UTF_8);
    History h = EdnHistory.read(new StringReader(text));
    assertThat(edn(h)).isEqualTo(text);
    assertThat(EdnHistory.read(new StringReader(edn(h))).ops()).isEqualTo(h.ops());
  }

  @Test
  void jsonReadsElleCliStyleAndRoundTripsThroughEdn() throws IOException {
    History h = JsonHistory.read(resource("elle-style.json"));
    assertThat(h.ops().get(1).value()).isEqualTo(List.of(List.of(Keyword.of("append"), 1L, 2L), List.of(Keyword.of("r"), 1L, List.of(2L))));
    assertThat(h.ops().get(2).process()).isEqualTo(Op.NEMESIS);
    assertThat(h.ops().get(4).value()).isEqualTo(Map.of(0L, 10L, 1L, -10L));

    History viaEdn = EdnHistory.read(new StringReader(edn(h)));
    assertThat(viaEdn.ops()).isEqualTo(h.ops());
    History viaJson = JsonHistory.read(new StringReader(json(viaEdn)));
    assertThat(viaJson.ops()).isEqualTo(h.ops());
    assertThat(json(viaJson)).isEqualTo(json(h));
  }

  @Test
  void ednHistoryGoesThroughJsonWithKeywordMapKeysAndMicroOps() throws IOException {
    History h = EdnHistory.read(resource("mixed-ok.edn"));
    String j = json(h);
    assertThat(j).contains("{\"index\":0,\"time\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"txn\",\"value\":[[\"append\",1,2],[\"r\",1,null]]}");
    assertThat(j).contains("\"process\":\"nemesis\"");
    History back = JsonHistory.read(new StringReader(j));
    // Transactions, keyword-keyed and number-keyed maps survive; keyword errors become strings
    // and sets become lists (JSON has neither).
    for (int i : new int[] {0, 1, 3, 5, 6, 8, 10}) {
      assertThat(back.ops().get(i)).as("op %d", i).isEqualTo(h.ops().get(i));
    }
    assertThat(back.ops().get(4).error()).isEqualTo(List.of("timeout", "no reply in 5 s"));
  }

  @Test
  void missingIndexIsPositionMissingTimeIsZeroUnknownKeysIgnored() throws IOException {
    History h = EdnHistory.read(resource("unindexed.edn"));
    assertThat(h.ops()).containsExactly(
        new Op(0, 0, 0, OpType.INVOKE, "read", null, null),
        new Op(1, 0, 0, OpType.OK, "read", 3L, null));
  }

  @Test
  void aTopLevelVectorAndTaggedRecordsAreAccepted() throws IOException {
    History h = EdnHistory.read(new StringReader(
        "[#jepsen.history.Op{:index 0, :time 1, :process 0, :type :invoke, :f :read, :value nil}\n"
            + " {:index 1, :time 2, :process 0, :type :ok, :f :read, :value 5}]"));
    assertThat(h.ops()).containsExactly(
        new Op(0, 1, 0, OpType.INVOKE, "read", null, null),
        new Op(1, 2, 0, OpType.OK, "read", 5L, null));
  }

  @Test
  void malformedInputNamesTheLine() {
    assertThatThrownBy(() -> EdnHistory.read(resource("syntax-bad.edn")))
        .isInstanceOf(IOException.class).hasMessageContaining("line 2");
    assertThatThrownBy(() -> EdnHistory.read(resource("type-bad.edn")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 3").hasMessageContaining("done");
    assertThatThrownBy(() -> EdnHistory.read(resource("pairing-bad.edn")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("op 1");
    assertThatThrownBy(() -> JsonHistory.read(resource("process-bad.json")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("op 1 (line 2)").hasMessageContaining("process");
    assertThatThrownBy(() -> JsonHistory.read(resource("syntax-bad.json")))
        .isInstanceOf(IOException.class).hasMessageContaining("line 2");
    assertThatThrownBy(() -> EdnHistory.read(new StringReader("{:index 0 :process 0 :f :read}")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 1").hasMessageContaining(":type");
    assertThatThrownBy(() -> JsonHistory.read(new StringReader("{\"index\":0}")))
        .isInstanceOf(IOException.class).hasMessageContaining("array");
  }

  @Test
  void historyFilesChoosesTheFormatByExtension(@TempDir Path dir) throws IOException {
    History h = EdnHistory.read(resource("mixed-ok.edn"));
    History j = HistoryFiles.read(resource("elle-style.json"));
    assertThat(HistoryFiles.read(resource("mixed-ok.edn")).ops()).isEqualTo(h.ops());
    HistoryFiles.write(j, dir.resolve("h.json"));
    HistoryFiles.write(j, dir.resolve("h.EDN"));
    assertThat(HistoryFiles.read(dir.resolve("h.json")).ops()).isEqualTo(j.ops());
    assertThat(HistoryFiles.read(dir.resolve("h.EDN")).ops()).isEqualTo(j.ops());
    assertThat(Files.readString(dir.resolve("h.EDN"))).startsWith("{:index 0, :time 0, :process 0, :type :invoke, :f :txn");
    assertThatThrownBy(() -> HistoryFiles.read(dir.resolve("h.txt")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(".edn or .json");
  }

  @Test
  void elleCliFilesWithoutFAreTransactions() throws IOException {
    History h = JsonHistory.read(resource("elle-cli-no-f.json"));
    assertThat(h.ops()).allSatisfy(op -> assertThat(op.f()).isEqualTo("txn"));
    assertThat(h.ops().get(1).value()).isEqualTo(List.of(List.of(Keyword.of("append"), 10L, 1L), List.of(Keyword.of("r"), 11L, List.of(3L))));
    assertThat(h.ops().get(0).timeNanos()).isZero();
    assertThat(EdnHistory.read(new StringReader("{:index 0, :process 0, :type :invoke, :value [[:r 1 nil]]}\n")).ops().get(0).f())
        .isEqualTo("txn");
  }

  @Test
  void oldStyleNemesisInfoPairsReadAsInvokeAndInfo() throws IOException {
    History h = JsonHistory.read(resource("old-style-nemesis.json"));
    assertThat(h.ops()).extracting(Op::type).containsExactly(
        OpType.INVOKE, OpType.INVOKE, OpType.OK, OpType.INFO, OpType.INVOKE, OpType.INVOKE, OpType.OK, OpType.INFO);
    assertThat(h.completion(h.ops().get(1))).contains(h.ops().get(3));
    assertThat(h.ops().get(0).value()).isNull();
    assertThat(h.ops().get(2).value()).isEqualTo(Map.of(0L, 60L, 1L, 40L));
    assertThat(h.ops().get(4).value()).isEqualTo(Map.of(Keyword.of("from"), 0L, Keyword.of("to"), 1L, Keyword.of("amount"), 5L));
    History viaEdn = EdnHistory.read(new StringReader(edn(h)));
    assertThat(viaEdn.ops()).isEqualTo(h.ops());
  }
}
