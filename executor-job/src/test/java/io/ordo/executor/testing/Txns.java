package io.ordo.executor.testing;

import com.google.protobuf.ByteString;
import io.ordo.proto.Append;
import io.ordo.proto.Assert;
import io.ordo.proto.Delete;
import io.ordo.proto.Get;
import io.ordo.proto.Increment;
import io.ordo.proto.Operation;
import io.ordo.proto.Put;
import io.ordo.proto.Transaction;
import io.ordo.proto.Value;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/** Builders of transactions and operations (log.proto), to keep the tests readable. */
public final class Txns {
  private Txns() {}

  public static Transaction txn(String id, Operation... ops) {
    return Transaction.newBuilder().setId(id).addAllOps(List.of(ops)).build();
  }

  /** A bank transfer: {@code [increment(from, -amount, min 0), increment(to, +amount)]}. */
  public static Transaction transfer(String id, String from, String to, long amount) {
    return txn(id, incrementWithMin(from, -amount, 0), increment(to, amount));
  }

  public static Operation get(String key) {
    return Operation.newBuilder().setKey(key).setGet(Get.getDefaultInstance()).build();
  }

  public static Operation put(String key, Value value) {
    return Operation.newBuilder().setKey(key).setPut(Put.newBuilder().setValue(value)).build();
  }

  public static Operation delete(String key) {
    return Operation.newBuilder().setKey(key).setDelete(Delete.getDefaultInstance()).build();
  }

  public static Operation assertAbsent(String key) {
    return Operation.newBuilder().setKey(key).setAssert(Assert.newBuilder().setAbsent(true)).build();
  }

  public static Operation assertEquals(String key, Value expected) {
    return Operation.newBuilder().setKey(key).setAssert(Assert.newBuilder().setEquals(expected)).build();
  }

  public static Operation append(String key, String element) {
    return Operation.newBuilder().setKey(key).setAppend(Append.newBuilder().setElement(utf8(element))).build();
  }

  public static Operation increment(String key, long delta) {
    return Operation.newBuilder().setKey(key).setIncrement(Increment.newBuilder().setDelta(delta)).build();
  }

  public static Operation incrementWithMin(String key, long delta, long min) {
    return Operation.newBuilder().setKey(key).setIncrement(Increment.newBuilder().setDelta(delta).setMin(min)).build();
  }

  public static Operation incrementBounded(String key, long delta, long min, long max) {
    return Operation.newBuilder()
        .setKey(key)
        .setIncrement(Increment.newBuilder().setDelta(delta).setMin(min).setMax(max))
        .build();
  }

  public static Value counter(long n) {
    return Value.newBuilder().setCounter(n).build();
  }

  public static Value bytes(String s) {
    return Value.newBuilder().setBytes(utf8(s)).build();
  }

  public static ByteString utf8(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  /** Keys the transaction writes when it commits (put, delete, append, increment), sorted. */
  public static SortedSet<String> writtenKeys(Transaction txn) {
    SortedSet<String> keys = new TreeSet<>();
    for (Operation op : txn.getOpsList()) {
      switch (op.getOpCase()) {
        case PUT, DELETE, APPEND, INCREMENT -> keys.add(op.getKey());
        default -> {}
      }
    }
    return keys;
  }
}
