package io.ordo.jepsen.workload;

import io.grpc.Status;
import io.ordo.proto.AbortReason;
import io.ordo.proto.KeyRead;
import io.ordo.proto.ListValue;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * A dumb in-memory reference of Ordo's transaction semantics for the workload and runner tests:
 * transactions run one at a time under a lock (so it is strictly serializable), reads see the
 * transaction's own earlier writes, ids are validated as the gateway does, increments honour their bounds, duplicate ids get
 * ALREADY_EXISTS. Its position is (sequence number, 0, sequence number).
 *
 * <p>With {@code dropLastWriteEvery} = n > 0 it is deliberately broken: every n-th committed
 * transaction that writes loses its last write but still reports success, so the checkers have
 * something to find.
 */
public final class SerialTxnStore implements TxnClient {
  private final int dropLastWriteEvery;
  private final TreeMap<String, Value> data = new TreeMap<>();
  private final Set<String> ids = new HashSet<>();
  private long sequence;
  private long writingTxns;

  public SerialTxnStore(int dropLastWriteEvery) {
    this.dropLastWriteEvery = dropLastWriteEvery;
  }

  @Override
  public synchronized TxnResult txn(TxnRequest request, long deadlineMs) {
    if (!request.getId().matches("[A-Za-z0-9._:-]{1,128}")) {
      // The gateway's rule for transaction ids.
      throw Status.INVALID_ARGUMENT.withDescription("id must match [A-Za-z0-9._:-]{1,128}, got " + request.getId())
          .asRuntimeException();
    }
    if (!ids.add(request.getId())) {
      throw Status.ALREADY_EXISTS.withDescription("txn id " + request.getId() + " was used").asRuntimeException();
    }
    if (request.getOpsCount() == 0) {
      throw Status.INVALID_ARGUMENT.withDescription("no operations").asRuntimeException();
    }
    long seq = ++sequence;
    TxnResult.Builder result = TxnResult.newBuilder().setTxnId(request.getId())
        .setPosition(Position.newBuilder().setTs(seq).setPartition(0).setOffset(seq)).setFailedOpIndex(-1);
    TreeMap<String, Value> next = new TreeMap<>(data);
    List<Operation> ops = request.getOpsList();
    int lastWrite = -1;
    for (int i = 0; i < ops.size(); i++) {
      if (!ops.get(i).hasGet()) {
        lastWrite = i;
      }
    }
    boolean drop = lastWrite >= 0 && dropLastWriteEvery > 0 && ++writingTxns % dropLastWriteEvery == 0;
    for (int i = 0; i < ops.size(); i++) {
      Operation op = ops.get(i);
      Value old = next.get(op.getKey());
      Value written;
      switch (op.getOpCase()) {
        case GET -> {
          KeyRead.Builder r = KeyRead.newBuilder().setOpIndex(i).setKey(op.getKey()).setFound(old != null);
          if (old != null) {
            r.setValue(old);
          }
          result.addReads(r);
          continue;
        }
        case PUT -> written = op.getPut().getValue();
        case APPEND -> {
          if (old != null && !old.hasList()) {
            return result.setOutcome(Outcome.ABORTED).setAbortReason(AbortReason.TYPE_MISMATCH).setFailedOpIndex(i).build();
          }
          ListValue.Builder l = old == null ? ListValue.newBuilder() : old.getList().toBuilder();
          written = Value.newBuilder().setList(l.addElements(op.getAppend().getElement())).build();
        }
        case INCREMENT -> {
          long now = old == null ? 0 : old.getCounter();
          long after = now + op.getIncrement().getDelta();
          if (op.getIncrement().hasMin() && after < op.getIncrement().getMin()) {
            return result.setOutcome(Outcome.ABORTED).setAbortReason(AbortReason.BOUND_VIOLATED).setFailedOpIndex(i).build();
          }
          written = Value.newBuilder().setCounter(after).build();
        }
        default -> throw Status.INVALID_ARGUMENT.withDescription("unsupported op " + op.getOpCase()).asRuntimeException();
      }
      if (!(drop && i == lastWrite)) {
        next.put(op.getKey(), written);
      }
    }
    data.clear();
    data.putAll(next);
    return result.setOutcome(Outcome.COMMITTED).build();
  }
}
