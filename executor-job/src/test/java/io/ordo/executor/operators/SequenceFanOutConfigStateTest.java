package io.ordo.executor.operators;

import static io.ordo.executor.operators.Fixtures.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.ordo.executor.internal.ProtoSerializer;
import io.ordo.proto.LogEntry;
import io.ordo.proto.Outcome;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.state.LogRecord;
import io.ordo.proto.state.RangeRequest;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.Test;

/**
 * The key range count and the dedup window travel in the fan-out's operator state: a restore with
 * other values is refused once (no restart), the same values or a checkpoint without them (taken
 * before they were stored) are accepted.
 */
class SequenceFanOutConfigStateTest {
  private static final int RANGES = 8;
  private static final long WINDOW_MS = 1_000;

  private static KeyedOneInputStreamOperatorTestHarness<Integer, LogRecord, RangeRequest> harness(int ranges, long windowMs)
      throws Exception {
    var h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new SequenceFanOutFunction(ranges, windowMs)), LogRecord::getPartition, Types.INT);
    h.setup(new ProtoSerializer<>(RangeRequest.class));
    return h;
  }

  private static LogRecord txn(long offset, long brokerTs, String id) {
    return LogRecord.newBuilder()
        .setPartition(0)
        .setOffset(offset)
        .setBrokerTs(brokerTs)
        .setRecordKey(id)
        .setEntry(LogEntry.newBuilder().setTransaction(Transaction.newBuilder().setId(id).addOps(get("k"))))
        .build();
  }

  private static List<Outcome> sideOutcomes(KeyedOneInputStreamOperatorTestHarness<Integer, LogRecord, RangeRequest> h) {
    List<Outcome> out = new ArrayList<>();
    var side = h.getSideOutput(SequenceFanOutFunction.RESULTS);
    if (side != null) {
      for (StreamRecord<TxnResult> r : side) {
        out.add(r.getValue().getOutcome());
      }
    }
    return out;
  }

  /** A snapshot of a fan-out with {@code ranges} and {@code windowMs} that has seen id "a". */
  private static OperatorSubtaskState snapshotWith(int ranges, long windowMs) throws Exception {
    try (var h = harness(ranges, windowMs)) {
      h.open();
      h.processElement(txn(0, 100, "a"), 100);
      return h.snapshot(1, 1);
    }
  }

  /** Restores {@code snapshot} into a fan-out with the given values; returns what it threw, if anything. */
  private static Throwable restore(OperatorSubtaskState snapshot, int ranges, long windowMs) throws Exception {
    var h = harness(ranges, windowMs);
    try {
      return catchThrowable(
          () -> {
            h.initializeState(snapshot);
            h.open();
          });
    } finally {
      h.close();
    }
  }

  @Test
  void aRestoreWithAnotherKeyRangeCountIsRefusedWithoutRestartsNamingBothValues() throws Exception {
    Throwable refused = restore(snapshotWith(RANGES, WINDOW_MS), 16, WINDOW_MS);
    assertThat(ExceptionUtils.findThrowable(refused, SuppressRestartsException.class)).as("suppresses restarts").isPresent();
    assertThat(ExceptionUtils.stringifyException(refused))
        .contains("--key-ranges 8 (given 16)")
        .doesNotContain("--dedup-window-ms")
        .contains("Restart the job with the checkpoint's values, or start a new job over a new log");
  }

  @Test
  void aRestoreWithAnotherDedupWindowIsRefused() throws Exception {
    Throwable refused = restore(snapshotWith(RANGES, WINDOW_MS), RANGES, 2 * WINDOW_MS);
    assertThat(ExceptionUtils.findThrowable(refused, SuppressRestartsException.class)).isPresent();
    assertThat(ExceptionUtils.stringifyException(refused)).contains("--dedup-window-ms 1000 (given 2000)").doesNotContain("--key-ranges");
  }

  @Test
  void aRestoreWithTheSameValuesIsAcceptedAndKeepsTheDedupState() throws Exception {
    OperatorSubtaskState snapshot = snapshotWith(RANGES, WINDOW_MS);
    try (var h = harness(RANGES, WINDOW_MS)) {
      h.initializeState(snapshot);
      h.open();
      h.processElement(txn(1, 200, "a"), 200);
      assertThat(sideOutcomes(h)).as("the restored dedup state applies").containsExactly(Outcome.DUPLICATE);
    }
  }

  @Test
  void aCheckpointWithoutStoredValuesIsAcceptedAndTheNextOneStoresThem() throws Exception {
    OperatorSubtaskState current = snapshotWith(RANGES, WINDOW_MS);
    assertThat(current.getManagedOperatorState()).as("the values are in operator state").isNotEmpty();
    // The shape of a checkpoint taken before the values were stored: the fan-out had keyed state
    // (and timers) only.
    OperatorSubtaskState legacy =
        OperatorSubtaskState.builder()
            .setManagedKeyedState(current.getManagedKeyedState())
            .setRawKeyedState(current.getRawKeyedState())
            .build();

    OperatorSubtaskState next;
    try (var h = harness(16, WINDOW_MS)) {
      h.initializeState(legacy);
      h.open();
      h.processElement(txn(1, 200, "a"), 200);
      assertThat(sideOutcomes(h)).as("keyed state of the legacy checkpoint restored").containsExactly(Outcome.DUPLICATE);
      next = h.snapshot(2, 2);
    }
    // From now on the accepted values are the stored ones.
    assertThat(ExceptionUtils.stringifyException(restore(next, RANGES, WINDOW_MS))).contains("--key-ranges 16 (given 8)");
    assertThat(restore(next, 16, WINDOW_MS)).isNull();
  }

  @Test
  void everyStoredCopyIsChecked() {
    var same = org.apache.flink.api.java.tuple.Tuple2.of(RANGES, WINDOW_MS);
    var other = org.apache.flink.api.java.tuple.Tuple2.of(4, WINDOW_MS);
    assertThat(SequenceFanOutFunction.restoreRefusal(List.of(same, same), RANGES, WINDOW_MS)).isNull();
    assertThat(SequenceFanOutFunction.restoreRefusal(List.of(), RANGES, WINDOW_MS)).isNull();
    assertThat(SequenceFanOutFunction.restoreRefusal(List.of(same, other), RANGES, WINDOW_MS)).contains("--key-ranges 4 (given 8)");
  }
}
