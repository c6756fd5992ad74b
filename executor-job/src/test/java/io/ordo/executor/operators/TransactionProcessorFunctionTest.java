package io.ordo.executor.operators;

import static io.ordo.executor.operators.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.executor.internal.ProtoSerializer;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Outcome;
import io.ordo.proto.TxnResult;
import io.ordo.proto.state.IndexedOp;
import io.ordo.proto.state.KeyValue;
import io.ordo.proto.state.ReadResult;
import io.ordo.proto.state.WriteResult;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class TransactionProcessorFunctionTest {

  static KeyedOneInputStreamOperatorTestHarness<String, ReadResult, WriteResult> harness() throws Exception {
    var h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new TransactionProcessorFunction()), ReadResult::getTxnId, Types.STRING);
    h.setup(new ProtoSerializer<>(WriteResult.class));
    return h;
  }

  private static List<TxnResult> results(KeyedOneInputStreamOperatorTestHarness<String, ReadResult, WriteResult> h) {
    List<TxnResult> out = new ArrayList<>();
    var side = h.getSideOutput(TransactionProcessorFunction.RESULTS);
    if (side != null) {
      for (StreamRecord<TxnResult> r : side) {
        out.add(r.getValue());
      }
    }
    return out;
  }

  /** Transfer t: op 0 increment(from, -amt, min 0) in range 0, op 1 increment(to, +amt) in range 1. */
  private static ReadResult part(int range, long balance, long amount) {
    boolean debit = range == 0;
    String key = debit ? "from" : "to";
    return ReadResult.newBuilder()
        .setTxnId("t")
        .setPosition(pos(7, 0, 7))
        .setKeyRange(range)
        .setParticipantCount(2)
        .addOps(
            IndexedOp.newBuilder()
                .setIndex(debit ? 0 : 1)
                .setOp(debit ? increment(key, -amount, 0L) : increment(key, amount, null)))
        .addValues(KeyValue.newBuilder().setKey(key).setFound(true).setValue(counter(balance)))
        .build();
  }

  @Test
  void decidesOnceEveryParticipantHasSentItsReadsAndSendsEachRangeItsWrites() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement(part(1, 10, 30), 1);
      assertThat(h.extractOutputValues()).isEmpty();
      assertThat(results(h)).isEmpty();
      h.processElement(part(0, 50, 30), 2);

      TxnResult result = results(h).get(0);
      assertThat(result.getOutcome()).isEqualTo(Outcome.COMMITTED);
      assertThat(result.getKeyRanges()).isEqualTo(2);
      List<WriteResult> writes = h.extractOutputValues();
      assertThat(writes).extracting(WriteResult::getKeyRange).containsExactly(0, 1);
      assertThat(writes.get(0).getWritesList()).containsExactly(write("from", counter(20)));
      assertThat(writes.get(1).getWritesList()).containsExactly(write("to", counter(40)));
      assertThat(h.numKeyedStateEntries()).as("gathered reads removed").isZero();
    }
  }

  @Test
  void anAbortReleasesEveryParticipantWithoutWrites() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement(part(0, 5, 30), 1);
      h.processElement(part(1, 10, 30), 2);
      TxnResult result = results(h).get(0);
      assertThat(result.getOutcome()).isEqualTo(Outcome.ABORTED);
      assertThat(result.getAbortReason()).isEqualTo(AbortReason.BOUND_VIOLATED);
      assertThat(result.getFailedOpIndex()).isZero();
      assertThat(h.extractOutputValues()).hasSize(2).allSatisfy(w -> assertThat(w.getWritesList()).isEmpty());
    }
  }

  @Test
  void snapshotBetweenPartsRestoresAndCompletes() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = harness()) {
      h.open();
      h.processElement(part(0, 50, 30), 1);
      snapshot = h.snapshot(1, 1);
    }
    try (var h = harness()) {
      h.initializeState(snapshot);
      h.open();
      h.processElement(part(1, 10, 30), 2);
      assertThat(results(h)).extracting(TxnResult::getOutcome).containsExactly(Outcome.COMMITTED);
      assertThat(h.extractOutputValues()).hasSize(2);
      assertThat(h.numKeyedStateEntries()).isZero();
    }
  }
}
