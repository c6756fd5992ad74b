package io.ordo.jepsen.checker.linearizable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.EdnHistory;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.HistoryRecorder;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LinearizabilityCheckerTest {
  static History load(String name) throws IOException {
    try (Reader r = new InputStreamReader(
        LinearizabilityCheckerTest.class.getResourceAsStream("/histories/linearizable/" + name), StandardCharsets.UTF_8)) {
      return EdnHistory.read(r);
    }
  }

  static CheckResult check(History h) {
    return new LinearizabilityChecker().check(Map.of(), h);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sequential-ok.edn", "concurrent-one-order-ok.edn", "info-write-later-ok.edn", "append-ok.edn",
      "kv-get-put-append-ok.edn", "cas-ok.edn"})
  void okHistoriesAreLinearizable(String file) throws IOException {
    CheckResult r = check(load(file));
    assertThat(r.valid()).as(r.toString()).isEqualTo(Validity.TRUE);
    assertThat(r.anomalies()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"stale-read-bad.edn", "info-write-unhappens-bad.edn", "append-order-bad.edn", "failed-write-read-bad.edn",
      "two-keys-one-bad.edn", "kv-append-twice-bad.edn", "cas-bad.edn"})
  void badHistoriesAreNotLinearizable(String file) throws IOException {
    CheckResult r = check(load(file));
    assertThat(r.valid()).as(r.toString()).isEqualTo(Validity.FALSE);
    assertThat(r.anomalyTypes()).containsExactly("nonlinearizable");
  }

  @Test
  void staleReadReportsTheLongestPrefixAndTheFirstIllegalOp() throws IOException {
    History h = load("stale-read-bad.edn");
    LinearizabilityChecker.Analysis a = new LinearizabilityChecker().analyze(Map.of(), h);
    assertThat(a.failures()).hasSize(1);
    LinearizabilityChecker.KeyFailure f = a.failures().get(0);
    assertThat(f.key()).isEqualTo(1L);
    // w1, then w2 (which the concurrent read of 2 forces before it), then that read.
    assertThat(f.linearizedPrefix()).extracting(Op::index).containsExactly(0L, 2L, 3L);
    assertThat(f.firstUnlinearizable().index()).isEqualTo(6L);
    assertThat(a.result().anomalies().get(0).ops()).extracting(Op::index).containsExactly(6L, 7L);
    assertThat(a.result().extra().get("failures")).isEqualTo(
        List.of(Map.of("key", 1L, "linearized-prefix", List.of(0L, 2L, 3L), "first-unlinearizable", 6L)));
  }

  @Test
  void onlyTheBadKeyIsReported() throws IOException {
    CheckResult r = check(load("two-keys-one-bad.edn"));
    assertThat(r.anomalies()).hasSize(1);
    assertThat(r.anomalies().get(0).explanation()).startsWith("key 2:");
    assertThat(r.extra()).containsEntry("keys", 2L);
  }

  @Test
  void anInfoWriteMayTakeEffectLateButNotUnhappen() throws IOException {
    LinearizabilityChecker.Analysis a = new LinearizabilityChecker().analyze(Map.of(), load("info-write-unhappens-bad.edn"));
    assertThat(a.failures().get(0).firstUnlinearizable().index()).isEqualTo(4L);
    assertThat(a.failures().get(0).linearizedPrefix()).extracting(Op::index).containsExactly(0L, 2L);
  }

  /**
   * Twelve concurrent writes, then a read of a value nobody wrote: refuting it explores every order
   * of the writes up to the cache, far more than the 5 × 1024 steps the fake clock allows.
   */
  static History hardHistory(long observed) {
    HistoryRecorder rec = new HistoryRecorder(new AtomicLong()::get);
    List<Op> invokes = new ArrayList<>();
    for (int p = 0; p < 12; p++) {
      invokes.add(rec.invoke(p, "write", List.of(1L, (long) p)));
    }
    for (Op inv : invokes) {
      rec.complete(inv, OpType.OK, inv.value(), null);
    }
    Op read = rec.invoke(100, "read", java.util.Arrays.asList(1L, null));
    rec.complete(read, OpType.OK, List.of(1L, observed), null);
    return rec.history();
  }

  @Test
  void aSearchOutOfTimeIsUnknownNeverValid() {
    // Each clock read advances 1 ms; the search reads it every 1024 steps.
    AtomicLong fakeNanos = new AtomicLong();
    LinearizabilityChecker slowMachine = new LinearizabilityChecker(() -> fakeNanos.addAndGet(1_000_000));
    CheckResult r = slowMachine.check(Map.of("time-limit-ms", 5L), hardHistory(99));
    assertThat(r.valid()).isEqualTo(Validity.UNKNOWN);
    assertThat(r.extra().get("unknown-reason").toString()).contains("time limit of 5 ms");
    assertThat(r.extra()).containsEntry("unknown-keys", List.of(1L));

    CheckResult bounded = new LinearizabilityChecker().check(Map.of("cache-entries-max", 100L), hardHistory(99));
    assertThat(bounded.valid()).isEqualTo(Validity.UNKNOWN);

    CheckResult decided = new LinearizabilityChecker().check(Map.of(), hardHistory(99));
    assertThat(decided.valid()).isEqualTo(Validity.FALSE);
    assertThat((Long) decided.extra().get("search-steps")).isGreaterThan(5 * 1024L);
    assertThat(new LinearizabilityChecker().check(Map.of(), hardHistory(7)).valid()).isEqualTo(Validity.TRUE);
  }

  @Test
  void resultsAreDeterministic() throws IOException {
    History h = hardHistory(99);
    CheckResult first = check(h);
    for (int i = 0; i < 3; i++) {
      assertThat(check(h)).isEqualTo(first);
    }
    // Reading the same history again (fresh maps and lists) gives the same result too.
    History reread = EdnHistory.read(new StringReader(toEdn(h)));
    assertThat(check(reread)).isEqualTo(first);
  }

  static String toEdn(History h) throws IOException {
    java.io.StringWriter w = new java.io.StringWriter();
    EdnHistory.write(h, w);
    return w.toString();
  }

  @Test
  void badInputIsRejectedNamingTheOp() throws IOException {
    LinearizabilityChecker c = new LinearizabilityChecker();
    assertThatThrownBy(() -> c.check(Map.of("time-limit", 5L), load("sequential-ok.edn")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("time-limit");
    assertThatThrownBy(() -> c.check(Map.of("time-limit-ms", -1L), load("sequential-ok.edn")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(">= 0");
    History inc = EdnHistory.read(new StringReader("{:index 0, :time 0, :process 0, :type :invoke, :f :inc, :value [1 1]}\n"));
    assertThatThrownBy(() -> c.check(Map.of(), inc)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("op 0");
    History cas = EdnHistory.read(new StringReader("{:index 0, :time 0, :process 0, :type :invoke, :f :cas, :value [1 2]}\n"));
    assertThatThrownBy(() -> c.check(Map.of(), cas)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[key [old new]]");
    History shape = EdnHistory.read(new StringReader("{:index 0, :time 0, :process 0, :type :invoke, :f :write, :value 3}\n"));
    assertThatThrownBy(() -> c.check(Map.of(), shape)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[key value]");
    assertThat(c.name()).isEqualTo("linearizable-kv");
  }

  @Test
  void theHtmlTimelineShowsProcessesPrefixAndTheIllegalOp(@TempDir Path dir) throws IOException {
    LinearizabilityChecker.Analysis a = new LinearizabilityChecker().analyze(Map.of(), load("stale-read-bad.edn"));
    Path file = LinearizabilityReport.writeHtml(dir.resolve("report"), a.failures());
    String html = Files.readString(file);
    assertThat(file.getFileName().toString()).isEqualTo(LinearizabilityReport.FILE_NAME);
    assertThat(html).contains("<svg").contains("process 0").contains("process 1").contains("process 2");
    assertThat(html).contains("1: w 1").contains("2: w 2").contains("3: r 2");
    assertThat(html).contains("#f28b82").contains("first illegal point: op 6");
    assertThat(html).doesNotContain("<script");
    // Four ops: four bars.
    assertThat(html.split("<rect", -1)).hasSize(5);
  }

  @Test
  void aLongFailingPartitionIsDrawnAroundItsIllegalOp(@TempDir Path dir) throws IOException {
    History h = SimulatedKvStoreTest.simulate(5, 30, 2_000, 1);
    LinearizabilityChecker.Analysis a = new LinearizabilityChecker().analyze(Map.of(), h);
    assertThat(a.failures()).hasSize(1);
    LinearizabilityChecker.KeyFailure f = a.failures().get(0);
    assertThat(f.ops().size()).isGreaterThan(LinearizabilityReport.OPS_DRAWN_MAX);
    String html = Files.readString(LinearizabilityReport.writeHtml(dir, a.failures()));
    assertThat(html.split("<rect", -1)).hasSize(LinearizabilityReport.OPS_DRAWN_MAX + 1);
    assertThat(html).contains("first illegal point: op " + f.firstUnlinearizable().index());
    assertThat(html).contains("Showing " + LinearizabilityReport.OPS_DRAWN_MAX + " of " + f.ops().size());
  }

  @Test
  void anEmptyFailureListStillWritesAPage(@TempDir Path dir) throws IOException {
    String html = Files.readString(LinearizabilityReport.writeHtml(dir, List.of()));
    assertThat(html).contains("No key failed.").doesNotContain("<svg");
  }

  @Test
  void knossosSingleRegisterHistoriesAreCheckedAsOneKey() throws Exception {
    Map<String, Object> register = Map.of("single-register", true);
    History ok = io.ordo.jepsen.history.JsonHistory.read(
        Path.of(LinearizabilityCheckerTest.class.getResource("/histories/linearizable/knossos-register-ok.json").toURI()));
    History bad = io.ordo.jepsen.history.JsonHistory.read(
        Path.of(LinearizabilityCheckerTest.class.getResource("/histories/linearizable/knossos-register-bad.json").toURI()));
    assertThat(new LinearizabilityChecker().check(register, ok).valid()).isEqualTo(Validity.TRUE);
    LinearizabilityChecker.Analysis a = new LinearizabilityChecker().analyze(register, bad);
    assertThat(a.result().valid()).isEqualTo(Validity.FALSE);
    assertThat(a.failures().get(0).key()).isEqualTo(LinearizabilityChecker.REGISTER_KEY);
    assertThat(a.failures().get(0).firstUnlinearizable().index()).isEqualTo(4L);
    // Without the option the unkeyed values are rejected, not misread.
    assertThatThrownBy(() -> new LinearizabilityChecker().check(Map.of(), ok)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new LinearizabilityChecker().check(Map.of("single-register", "yes"), ok))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("boolean");
  }
}
