package io.ordo.executor.operators;

import static io.ordo.executor.operators.Fixtures.*;
import static io.ordo.executor.operators.KeyTransactionProcessorFunctionTest.IDLE_STATE_ENTRIES;
import static io.ordo.executor.operators.KeyTransactionProcessorFunctionTest.changelog;
import static io.ordo.executor.operators.KeyTransactionProcessorFunctionTest.harness;
import static io.ordo.executor.operators.KeyTransactionProcessorFunctionTest.results;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.state.ReadResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Write results that the feedback topic, read from its earliest record, delivers although they
 * belong to no request of this run (an earlier instance of a reused id, another log): they match
 * a request only by id and log position, and the ones that can no longer match leave the state.
 */
class KeyTransactionProcessorEarlyResultsTest {
  private static final List<Integer> RANGES_0_1 = List.of(0, 1);
  private static final List<Integer> ONLY_0 = List.of(0);

  @Test
  void aResultOfAnotherLogWithTheSameIdIsNotAppliedToTheRequest() throws Exception {
    try (var h = harness()) {
      h.open();
      // A fresh job reads an old feedback topic: t1 at log time 5 belongs to another log.
      h.processElement2(writeResult("t1", 5, 0, write("k", bytes("old"))), 1);
      h.processElement1(request("t1", 10, 0, RANGES_0_1, put("k", bytes("new"))), 2);
      assertThat(h.extractOutputValues()).extracting(ReadResult::getTxnId).containsExactly("t1");
      assertThat(changelog(h)).as("nothing applied before t1's own result").isEmpty();

      // Delivered again while t1 waits for its result: still not t1's.
      h.processElement2(writeResult("t1", 5, 0, write("k", bytes("old"))), 3);
      assertThat(changelog(h)).isEmpty();

      h.processElement2(writeResult("t1", 10, 0, write("k", bytes("new"))), 4);
      assertThat(changelog(h)).extracting(c -> c.getAfter()).containsExactly(bytes("new"));
      h.processElement1(request("r", 11, 0, ONLY_0, get("k")), 5);
      assertThat(results(h).get(0).getReads(0).getValue()).isEqualTo(bytes("new"));
      assertThat(h.numKeyedStateEntries()).as("no early entry left").isEqualTo(IDLE_STATE_ENTRIES);
    }
  }

  @Test
  void aResultOfALaterInstanceOfAReusedIdWaitsForThatInstance() throws Exception {
    try (var h = harness()) {
      h.open();
      // The id runs at 10 and again at 20 (after its dedup window); both results arrive first.
      h.processElement2(writeResult("t", 20, 0, write("k", bytes("second"))), 1);
      h.processElement2(writeResult("t", 10, 0, write("k", bytes("first"))), 2);
      h.processElement1(request("t", 10, 0, RANGES_0_1, put("k", bytes("first"))), 3);
      assertThat(changelog(h)).extracting(c -> c.getAfter()).as("the earlier instance's result was kept for it").containsExactly(bytes("first"));

      h.processElement1(request("t", 20, 0, RANGES_0_1, put("k", bytes("second"))), 4);
      // Its result was replaced by the earlier one's; the live run computes it again.
      h.processElement2(writeResult("t", 20, 0, write("k", bytes("second"))), 5);
      List<ChangelogRecord> changes = changelog(h);
      assertThat(changes).extracting(c -> c.getAfter()).containsExactly(bytes("first"), bytes("second"));
      assertThat(changes.get(1).getBefore()).isEqualTo(bytes("first"));
      assertThat(h.numKeyedStateEntries()).isEqualTo(IDLE_STATE_ENTRIES);
    }
  }

  @Test
  void aResultForALaterInstanceIsKeptWhenTheEarlierOneRunsWithoutIt() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement2(writeResult("t", 20, 0, write("k", bytes("second"))), 1);
      h.processElement1(request("t", 10, 0, RANGES_0_1, put("k", bytes("first"))), 2);
      h.processElement2(writeResult("t", 10, 0, write("k", bytes("first"))), 3);
      h.processElement1(request("t", 20, 0, RANGES_0_1, put("k", bytes("second"))), 4);
      assertThat(changelog(h)).extracting(c -> c.getAfter()).containsExactly(bytes("first"), bytes("second"));
      assertThat(h.numKeyedStateEntries()).isEqualTo(IDLE_STATE_ENTRIES);
    }
  }

  @Test
  void resultsOfTransactionsThatNeverArriveArePruned() throws Exception {
    try (var h = harness()) {
      h.open();
      // An old feedback topic over a new log: 100 results before the new log's first request.
      for (int i = 0; i < 100; i++) {
        h.processElement2(writeResult("old-" + i, 1 + i, 0, write("k" + i, bytes("x"))), i);
      }
      assertThat(h.numKeyedStateEntries()).as("one map state holds them").isEqualTo(1);

      h.processElement1(request("n-0", 1_000, 0, ONLY_0, put("k", bytes("n"))), 101);
      assertThat(h.numKeyedStateEntries()).as("every result before the first request is gone").isEqualTo(IDLE_STATE_ENTRIES);

      // One positioned after the requests so far may still match: kept until they pass it.
      h.processElement2(writeResult("old-future", 5_000, 0, write("k", bytes("x"))), 102);
      assertThat(h.numKeyedStateEntries()).isEqualTo(IDLE_STATE_ENTRIES + 1);
      long ts = 5_001;
      for (int i = 1; i <= KeyTransactionProcessorFunction.EARLY_PRUNE_INTERVAL; i++) {
        h.processElement1(request("n-" + i, ts++, 0, ONLY_0, get("k")), 101 + i);
      }
      assertThat(h.numKeyedStateEntries()).as("pruned once the requests passed it").isEqualTo(IDLE_STATE_ENTRIES);
      assertThat(changelog(h)).extracting(ChangelogRecord::getTxnId).containsExactly("n-0");
    }
  }

  @Test
  void anEarlyResultOfATransactionWaitingForLocksSurvivesPruning() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement1(request("holder", 1, 0, RANGES_0_1, put("k", bytes("1"))), 1);
      h.processElement1(request("waiter", 2, 0, RANGES_0_1, put("k", bytes("2"))), 2);
      h.processElement2(writeResult("waiter", 2, 0, write("k", bytes("2"))), 3);
      long ts = 3;
      for (int i = 0; i < KeyTransactionProcessorFunction.EARLY_PRUNE_INTERVAL; i++) {
        h.processElement1(request("g-" + i, ts++, 0, ONLY_0, get("other")), 4 + i);
      }
      h.processElement2(writeResult("holder", 1, 0, write("k", bytes("1"))), 1_000);
      assertThat(changelog(h)).extracting(ChangelogRecord::getTxnId).containsExactly("holder", "waiter");
      assertThat(h.numKeyedStateEntries()).isEqualTo(IDLE_STATE_ENTRIES);
    }
  }
}
