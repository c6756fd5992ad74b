package io.ordo.benchmarks;

import io.ordo.proto.Increment;
import io.ordo.proto.Operation;
import io.ordo.proto.Position;
import io.ordo.proto.Put;
import io.ordo.proto.Value;
import io.ordo.proto.state.IndexedOp;
import io.ordo.proto.state.KeyWrite;
import io.ordo.proto.state.RangeRequest;
import io.ordo.proto.state.WriteResult;
import java.util.List;

/** Builders of the operator inputs the benchmarks feed (the shapes the fan-out produces). */
final class Ops {
  private Ops() {}

  /** Account key {@code i}, as the bank demo names them. */
  static String account(int i) {
    return String.format("acct-%05d", i);
  }

  /** Position at {@code ts} on partition 0, offset {@code ts}. */
  static Position position(long ts) {
    return Position.newBuilder().setTs(ts).setPartition(0).setOffset(ts).build();
  }

  static Operation put(String key, long counter) {
    return Operation.newBuilder().setKey(key).setPut(Put.newBuilder().setValue(Value.newBuilder().setCounter(counter))).build();
  }

  /** YCSB-T transfer: op 0 debits {@code from} (min 0), op 1 credits {@code to}. */
  static List<Operation> transfer(String from, String to, long amount) {
    return List.of(
        Operation.newBuilder().setKey(from).setIncrement(Increment.newBuilder().setDelta(-amount).setMin(0)).build(),
        Operation.newBuilder().setKey(to).setIncrement(Increment.newBuilder().setDelta(amount)).build());
  }

  /** A request for key range 0 holding {@code ops}, with {@code participants} ranges in all. */
  static RangeRequest request(String txnId, long ts, int participants, List<Operation> ops) {
    RangeRequest.Builder r = RangeRequest.newBuilder().setTxnId(txnId).setPosition(position(ts)).setKeyRange(0);
    for (int p = 0; p < participants; p++) {
      r.addParticipants(p);
    }
    for (int i = 0; i < ops.size(); i++) {
      r.addOps(IndexedOp.newBuilder().setIndex(i).setOp(ops.get(i)));
    }
    return r.build();
  }

  /** The decision for range 0: commit with these writes (values are ignored for increment locks). */
  static WriteResult committed(String txnId, long ts, List<Operation> ops) {
    WriteResult.Builder w = WriteResult.newBuilder().setTxnId(txnId).setPosition(position(ts)).setKeyRange(0);
    for (Operation op : ops) {
      w.addWrites(KeyWrite.newBuilder().setKey(op.getKey()).setValue(Value.newBuilder().setCounter(0)));
    }
    return w.build();
  }
}
