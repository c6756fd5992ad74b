package io.ordo.jepsen.workload;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.jepsen.history.OpType;
import io.ordo.proto.Append;
import io.ordo.proto.Get;
import io.ordo.proto.Increment;
import io.ordo.proto.KeyRead;
import io.ordo.proto.ListValue;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Put;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Shared pieces of the workloads: building operations, decoding values and mapping Ordo's answers
 * to completions (committed → ok, aborted → fail, deadline/unavailable → info, duplicate id → info
 * with an error, rejected as invalid → fail).
 */
public final class TxnCalls {
  private TxnCalls() {}

  /** A get of {@code key}. */
  public static Operation get(String key) {
    return Operation.newBuilder().setKey(key).setGet(Get.getDefaultInstance()).build();
  }

  /** A put of the counter {@code v}. */
  public static Operation putCounter(String key, long v) {
    return Operation.newBuilder().setKey(key).setPut(Put.newBuilder().setValue(Value.newBuilder().setCounter(v))).build();
  }

  /** A put of a list holding the decimal forms of {@code elements}. */
  public static Operation putList(String key, List<Long> elements) {
    ListValue.Builder list = ListValue.newBuilder();
    for (Long e : elements) {
      list.addElements(encode(e));
    }
    return Operation.newBuilder().setKey(key).setPut(Put.newBuilder().setValue(Value.newBuilder().setList(list))).build();
  }

  /** An append of the decimal form of {@code element}. */
  public static Operation append(String key, long element) {
    return Operation.newBuilder().setKey(key).setAppend(Append.newBuilder().setElement(encode(element))).build();
  }

  /** An increment by {@code delta}, with the lower bound {@code min} when it is not null. */
  public static Operation increment(String key, long delta, Long min) {
    Increment.Builder inc = Increment.newBuilder().setDelta(delta);
    if (min != null) {
      inc.setMin(min);
    }
    return Operation.newBuilder().setKey(key).setIncrement(inc).build();
  }

  /** The decimal UTF-8 bytes of {@code v}: how workloads store longs in list elements. */
  public static ByteString encode(long v) {
    return ByteString.copyFrom(Long.toString(v), StandardCharsets.UTF_8);
  }

  /**
   * The micro-ops of an Elle transaction ({@code [[:r k nil] [:append k v] ...]}, micro-op i = Ordo
   * operation i) with each read's value filled in from the result: {@code [:r k v]}.
   */
  public static List<Object> withReadValues(List<?> txn, TxnResult result) {
    List<Object> out = new ArrayList<>(txn.size());
    for (int i = 0; i < txn.size(); i++) {
      List<?> micro = (List<?>) txn.get(i);
      out.add(READ.equals(micro.get(0)) ? Arrays.asList(READ, micro.get(1), readValue(result, i)) : micro);
    }
    return out;
  }

  private static final io.ordo.jepsen.history.Keyword READ = io.ordo.jepsen.history.Keyword.of("r");

  /**
   * The read of operation {@code opIndex} in {@code result} as history data: null if the key was
   * absent, a Long for a counter, a List of Longs for a list.
   *
   * @throws IllegalStateException if the result lacks that read or the value has another shape
   */
  public static Object readValue(TxnResult result, int opIndex) {
    for (KeyRead r : result.getReadsList()) {
      if (r.getOpIndex() == opIndex && !r.getPostState()) {
        if (!r.getFound()) {
          return null;
        }
        Value v = r.getValue();
        switch (v.getKindCase()) {
          case COUNTER:
            return v.getCounter();
          case LIST:
            List<Long> out = new ArrayList<>(v.getList().getElementsCount());
            for (ByteString e : v.getList().getElementsList()) {
              out.add(Long.parseLong(e.toString(StandardCharsets.UTF_8)));
            }
            return out;
          default:
            throw new IllegalStateException("op " + opIndex + " of txn " + result.getTxnId() + " read a value of kind "
                + v.getKindCase() + "; the workload writes only counters and lists");
        }
      }
    }
    throw new IllegalStateException("txn " + result.getTxnId() + " committed without the read of op " + opIndex);
  }

  /**
   * Runs an Elle transaction ({@code [[f k v] ...]}, micro-op i becomes Ordo operation i via
   * {@code toOperation}) as one Ordo transaction; the ok value is the micro-ops with read values
   * filled in ({@link #withReadValues}).
   */
  public static Completion callMicroOps(
      TxnClient client, String txnId, List<?> txn, long deadlineMs, Function<List<?>, Operation> toOperation) {
    TxnRequest.Builder request = TxnRequest.newBuilder().setId(txnId);
    for (Object m : txn) {
      request.addOps(toOperation.apply((List<?>) m));
    }
    return call(client, request.build(), deadlineMs, txn, result -> withReadValues(txn, result));
  }

  /**
   * Sends {@code request} and maps the answer to a completion.
   *
   * @param invokeValue the invoke's value, repeated on fail and info completions
   * @param okValue builds the ok completion's value from a committed result
   */
  public static Completion call(
      TxnClient client, TxnRequest request, long deadlineMs, Object invokeValue, Function<TxnResult, Object> okValue) {
    TxnResult result;
    try {
      result = client.txn(request, deadlineMs);
    } catch (StatusRuntimeException e) {
      return fromStatus(e.getStatus(), invokeValue);
    }
    if (result.getOutcome() == Outcome.COMMITTED) {
      return new Completion(OpType.OK, okValue.apply(result), null, result.getPosition());
    }
    if (result.getOutcome() == Outcome.ABORTED) {
      String why = result.getAbortReason().name() + (result.getDetail().isEmpty() ? "" : ": " + result.getDetail());
      return new Completion(OpType.FAIL, invokeValue, why, null);
    }
    // DUPLICATE or an unknown outcome: this entry did not run, but one with the same id may have.
    return new Completion(OpType.INFO, invokeValue, "outcome " + result.getOutcome().name(), null);
  }

  /** The completion for a gRPC error: certain failures are fail, everything else info. */
  static Completion fromStatus(Status status, Object invokeValue) {
    String error = status.getCode().name() + (status.getDescription() == null ? "" : ": " + status.getDescription());
    switch (status.getCode()) {
      case INVALID_ARGUMENT:
        // The gateway validates before sequencing, so the transaction never reached the log.
        return new Completion(OpType.FAIL, invokeValue, error, null);
      default:
        // DEADLINE_EXCEEDED, UNAVAILABLE, ALREADY_EXISTS and anything unexpected: may have happened.
        return new Completion(OpType.INFO, invokeValue, error, null);
    }
  }
}
