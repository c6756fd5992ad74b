package io.ordo.executor.operators;

import com.google.protobuf.ByteString;
import io.ordo.proto.Append;
import io.ordo.proto.Assert;
import io.ordo.proto.Delete;
import io.ordo.proto.Get;
import io.ordo.proto.Increment;
import io.ordo.proto.Operation;
import io.ordo.proto.Position;
import io.ordo.proto.Put;
import io.ordo.proto.Value;
import io.ordo.proto.state.IndexedOp;
import io.ordo.proto.state.KeyWrite;
import io.ordo.proto.state.RangeRequest;
import io.ordo.proto.state.WriteResult;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Builders for operator test inputs. */
final class Fixtures {
  private Fixtures() {}

  static Position pos(long ts, int partition, long offset) {
    return Position.newBuilder().setTs(ts).setPartition(partition).setOffset(offset).build();
  }

  static Value bytes(String s) {
    return Value.newBuilder().setBytes(ByteString.copyFrom(s, StandardCharsets.UTF_8)).build();
  }

  static Value counter(long n) {
    return Value.newBuilder().setCounter(n).build();
  }

  static Operation get(String key) {
    return Operation.newBuilder().setKey(key).setGet(Get.getDefaultInstance()).build();
  }

  static Operation put(String key, Value v) {
    return Operation.newBuilder().setKey(key).setPut(Put.newBuilder().setValue(v)).build();
  }

  static Operation delete(String key) {
    return Operation.newBuilder().setKey(key).setDelete(Delete.getDefaultInstance()).build();
  }

  static Operation append(String key, String element) {
    return Operation.newBuilder()
        .setKey(key)
        .setAppend(Append.newBuilder().setElement(ByteString.copyFrom(element, StandardCharsets.UTF_8)))
        .build();
  }

  static Operation increment(String key, long delta, Long min) {
    return increment(key, delta, min, null);
  }

  static Operation increment(String key, long delta, Long min, Long max) {
    Increment.Builder inc = Increment.newBuilder().setDelta(delta);
    if (min != null) {
      inc.setMin(min);
    }
    if (max != null) {
      inc.setMax(max);
    }
    return Operation.newBuilder().setKey(key).setIncrement(inc).build();
  }

  static Operation streamAppend(String key, String stream, String... payloads) {
    io.ordo.proto.StreamAppend.Builder a = io.ordo.proto.StreamAppend.newBuilder().setStream(stream);
    for (String p : payloads) {
      a.addRecords(io.ordo.proto.StreamRecord.newBuilder().setRaw(com.google.protobuf.ByteString.copyFromUtf8(p)));
    }
    return Operation.newBuilder().setKey(key).setStreamAppend(a).build();
  }

  static Operation assertAbsent(String key) {
    return Operation.newBuilder().setKey(key).setAssert(Assert.newBuilder().setAbsent(true)).build();
  }

  static Operation assertEquals(String key, Value v) {
    return Operation.newBuilder().setKey(key).setAssert(Assert.newBuilder().setEquals(v)).build();
  }

  /** A request of txn {@code id} at ts (partition 0, offset ts) in {@code range}; ops get indices 0.. */
  static RangeRequest request(String id, long ts, int range, List<Integer> participants, Operation... ops) {
    RangeRequest.Builder r =
        RangeRequest.newBuilder().setTxnId(id).setPosition(pos(ts, 0, ts)).setKeyRange(range).addAllParticipants(participants);
    for (int i = 0; i < ops.length; i++) {
      r.addOps(IndexedOp.newBuilder().setIndex(i).setOp(ops[i]));
    }
    return r.build();
  }

  /**
   * The two requests of txn {@code id} at ts spanning ranges 0 and 1: op 0 ({@code onRange0}) in
   * range 0, op 1 ({@code onRange1}) in range 1.
   */
  static List<RangeRequest> twoRanges(String id, long ts, Operation onRange0, Operation onRange1) {
    RangeRequest r0 = request(id, ts, 0, List.of(0, 1), onRange0);
    RangeRequest r1 =
        RangeRequest.newBuilder()
            .setTxnId(id)
            .setPosition(pos(ts, 0, ts))
            .setKeyRange(1)
            .addParticipants(0)
            .addParticipants(1)
            .addOps(IndexedOp.newBuilder().setIndex(1).setOp(onRange1))
            .build();
    return List.of(r0, r1);
  }

  static WriteResult writeResult(String id, long ts, int range, KeyWrite... writes) {
    return WriteResult.newBuilder().setTxnId(id).setPosition(pos(ts, 0, ts)).setKeyRange(range).addAllWrites(List.of(writes)).build();
  }

  static KeyWrite write(String key, Value v) {
    return KeyWrite.newBuilder().setKey(key).setValue(v).build();
  }
}
