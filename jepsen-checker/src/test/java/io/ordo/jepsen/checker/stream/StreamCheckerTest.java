package io.ordo.jepsen.checker.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.jepsen.checker.Anomaly;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.EdnHistory;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Keyword;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Options, value shapes, and what the result reports, on small histories built in place. */
class StreamCheckerTest {
  private final StreamChecker checker = new StreamChecker();

  private static History edn(String... lines) {
    try {
      return EdnHistory.read(new StringReader(String.join("\n", lines)));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Process 0 sends values 1..n to key 0 at offsets 0..n-1; process 1 reads only the last. */
  private static History lostWrites(int n) {
    List<Op> ops = new ArrayList<>();
    for (long v = 1; v <= n; v++) {
      ops.add(new Op(ops.size(), 0, 0, OpType.INVOKE, "send", List.of(0L, v), null));
      ops.add(new Op(ops.size(), 0, 0, OpType.OK, "send", List.of(0L, List.of(v - 1, v)), null));
    }
    ops.add(new Op(ops.size(), 0, 1, OpType.INVOKE, "poll", null, null));
    ops.add(new Op(ops.size(), 0, 1, OpType.OK, "poll", Map.of(0L, List.of(List.of((long) n - 1, (long) n))), null));
    return History.of(ops);
  }

  @Test
  void nameIsStream() {
    assertThat(checker.name()).isEqualTo("stream");
  }

  @Test
  void emptyHistoryIsValidInEveryMode() {
    for (String mode : StreamChecker.MODES.keySet()) {
      CheckResult r = checker.check(Map.of("mode", mode), History.of(List.of()));
      assertThat(r.valid()).isEqualTo(Validity.TRUE);
      assertThat(r.extra()).containsEntry("mode", mode).containsEntry("unseen-count", 0L).containsEntry("key-count", 0L);
    }
    assertThat(checker.check(null, History.of(List.of())).extra()).containsEntry("mode", "exactly-once");
  }

  @Test
  void lostWriteNamesTheWriterAndTheReaderThatGotFurther() {
    CheckResult r = checker.check(Map.of(), lostWrites(3));
    assertThat(r.valid()).isEqualTo(Validity.FALSE);
    List<Anomaly> lost = r.anomalies().stream().filter(a -> a.type().equals("lost-write")).toList();
    assertThat(lost).hasSize(2);
    assertThat(lost.get(0).explanation()).contains("key 0 value 1 (index 0)", "acknowledged by op 1", "value 3 at index 2 was read by op 7");
    assertThat(lost.get(0).ops()).extracting(Op::index).containsExactly(1L, 7L);
    assertThat(r.extra()).containsEntry("unseen-count", 2L).containsEntry("unseen-by-key", Map.of(0L, 2L));
    assertThat(r.extra().get("disallowed-anomaly-types")).isEqualTo(List.of("lost-write"));
    assertThat(r.extra().get("allowed-anomaly-types")).isEqualTo(List.of("unseen"));
    assertThat(r.extra().get("anomaly-counts")).isEqualTo(Map.of("lost-write", 2L, "unseen", 1L));
  }

  @Test
  void anomaliesPerTypeAreCappedButCountedInFull() {
    CheckResult r = checker.check(Map.of("anomalies-per-type-max", 5L), lostWrites(50));
    assertThat(r.anomalies().stream().filter(a -> a.type().equals("lost-write"))).hasSize(5);
    assertThat(r.extra().get("anomaly-counts")).isEqualTo(Map.of("lost-write", 49L, "unseen", 1L));
    assertThat(r.extra()).containsEntry("unseen-count", 49L);
  }

  @Test
  void allowedTypesMakeTheVerdictValidButAreStillListed() {
    CheckResult r = checker.check(Map.of("allowed", "lost-write, unseen", "mode", "strict"), lostWrites(3));
    assertThat(r.valid()).isEqualTo(Validity.TRUE);
    assertThat(r.anomalyTypes()).containsExactly("lost-write", "unseen");
    assertThat(r.extra().get("disallowed-anomaly-types")).isEqualTo(List.of());
    CheckResult k = checker.check(Map.of("allowed", List.of(Keyword.of("lost-write")), "mode", Keyword.of("strict")), lostWrites(3));
    assertThat(k.valid()).isEqualTo(Validity.FALSE);
    assertThat(k.extra().get("disallowed-anomaly-types")).isEqualTo(List.of("unseen"));
  }

  @Test
  void resultIsDeterministic() {
    History h = new SimulatedStream(7, new SimulatedStream.Workload(4, 3, 20, 5), SimulatedStream.Fault.DROP_WRITE, 10).run(6, 800);
    assertThat(checker.check(Map.of(), h)).isEqualTo(checker.check(Map.of(), h));
  }

  @Test
  void badOptionsAreRejectedWithTheReason() {
    History h = History.of(List.of());
    assertThatThrownBy(() -> checker.check(Map.of("modee", "strict"), h))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown option 'modee'");
    assertThatThrownBy(() -> checker.check(Map.of("mode", "at-most-once"), h))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mode must be one of");
    assertThatThrownBy(() -> checker.check(Map.of("allowed", List.of("G2")), h))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown anomaly type G2");
    assertThatThrownBy(() -> checker.check(Map.of("allowed", 3L), h))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be a list");
    assertThatThrownBy(() -> checker.check(Map.of("anomalies-per-type-max", 0L), h))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1..100000");
    assertThatThrownBy(() -> checker.check(Map.of("anomalies-per-type-max", "5"), h))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be an integer");
  }

  @Test
  void valuesOfTheWrongShapeAreRejectedNamingTheOp() {
    assertThatThrownBy(() -> checker.check(Map.of(), edn(
        "{:index 0, :process 0, :type :invoke, :f :send, :value [0 1]}",
        "{:index 1, :process 0, :type :ok, :f :send, :value [0 [1 2 3]]}")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("op 1: send result must be [offset value]");
    assertThatThrownBy(() -> checker.check(Map.of(), edn(
        "{:index 0, :process 0, :type :invoke, :f :poll, :value nil}",
        "{:index 1, :process 0, :type :ok, :f :poll, :value {0 [[0 :a]]}}")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("op 1: poll value must be an integer");
    assertThatThrownBy(() -> checker.check(Map.of(), edn(
        "{:index 0, :process 0, :type :invoke, :f :txn, :value [[:append 0 1]]}",
        "{:index 1, :process 0, :type :ok, :f :txn, :value [[:append 0 1]]}")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("op 1: micro-op function must be :send or :poll");
    assertThatThrownBy(() -> checker.check(Map.of(), edn(
        "{:index 0, :process 0, :type :invoke, :f :read, :value nil}",
        "{:index 1, :process 0, :type :ok, :f :read, :value 3}")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("op 0: f 'read' is not a stream op");
  }

  @Test
  void sendsWithUnknownOffsetsAndOpenInvokesAreIndeterminate() {
    // The send of 1 has no known offset, the send of 3 never completed; both were read, so neither
    // is unseen nor lost, and the reads are contiguous.
    CheckResult r = checker.check(Map.of("mode", "strict"), edn(
        "{:index 0, :process 0, :type :invoke, :f :send, :value [[:send 0 1]]}",
        "{:index 1, :process 0, :type :info, :f :send, :value [[:send 0 [nil 1]]]}",
        "{:index 2, :process 1, :type :invoke, :f :send, :value [0 2]}",
        "{:index 3, :process 1, :type :ok, :f :send, :value [0 [1 2]]}",
        "{:index 4, :process 1, :type :invoke, :f :send, :value [0 3]}",
        "{:index 5, :process 2, :type :invoke, :f :poll, :value nil}",
        "{:index 6, :process 2, :type :ok, :f :poll, :value {0 [[0 1] [1 2] [2 3]]}}"));
    assertThat(r.anomalies()).isEmpty();
    assertThat(r.valid()).isEqualTo(Validity.TRUE);
  }

  @Test
  void pollsOfFailedOperationsStillFixTheVersionOrder() {
    // Only a failed poll saw offset 1; the ok poll that jumps from offset 0 to 2 skipped it.
    CheckResult r = checker.check(Map.of(), edn(
        "{:index 0, :process 1, :type :invoke, :f :poll, :value [[:poll]]}",
        "{:index 1, :process 1, :type :fail, :f :poll, :value [[:poll {0 [[1 7]]}]]}",
        "{:index 2, :process 2, :type :invoke, :f :poll, :value nil}",
        "{:index 3, :process 2, :type :ok, :f :poll, :value {0 [[0 6] [2 8]]}}"));
    assertThat(r.anomalyTypes()).containsExactly("int-poll-skip");
    assertThat(r.anomalies().get(0).explanation()).contains("skipping 1 observed records [7]");
    assertThat(r.anomalies().get(0).ops()).extracting(Op::index).containsExactly(3L);
  }

  @Test
  void aFailedPollDoesNotMoveTheConsumer() {
    CheckResult r = checker.check(Map.of(), edn(
        "{:index 0, :process 1, :type :invoke, :f :poll, :value nil}",
        "{:index 1, :process 1, :type :ok, :f :poll, :value {0 [[0 6]]}}",
        "{:index 2, :process 1, :type :invoke, :f :poll, :value nil}",
        "{:index 3, :process 1, :type :fail, :f :poll, :value nil}",
        "{:index 4, :process 1, :type :invoke, :f :poll, :value nil}",
        "{:index 5, :process 1, :type :ok, :f :poll, :value {0 [[0 6] [1 7]]}}"));
    assertThat(r.anomalyTypes()).containsExactly("nonmonotonic-poll");
    assertThat(r.anomalies().get(0).ops()).extracting(Op::index).containsExactly(1L, 5L);
  }
}
