package io.ordo.executor.testing;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.executor.evaluation.TransactionEvaluator;
import io.ordo.proto.LogEntry;
import io.ordo.proto.Operation;
import io.ordo.proto.Position;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.IndexedOp;
import io.ordo.sequencer.KeyRanges;
import io.ordo.sequencer.LogPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A single-threaded reference executor (a dumb model to check the real thing against: too
 * simple to share its bugs): applies transactions one after the other in log order to an in-memory map. No key
 * ranges, locks, feedback or watermarks are involved, so if the job's results equal the model's,
 * the job's distributed machinery executed the log serially in log order.
 *
 * <p>The per-transaction semantics come from the job's own {@link TransactionEvaluator}; the model
 * checks the ordering and the data flow around it, not the evaluator's rules (the operator tests
 * pin those).
 */
public final class ReferenceModel {
  private final int keyRangeCount;
  private final SortedMap<String, Value> state = new TreeMap<>();
  private LogPosition last;

  /** @param keyRangeCount the job's key range count (results report how many ranges a txn touched) */
  public ReferenceModel(int keyRangeCount) {
    this.keyRangeCount = keyRangeCount;
  }

  /**
   * Applies {@code txn} at {@code position} and returns its result.
   *
   * @throws IllegalArgumentException if positions do not strictly increase
   */
  public TxnResult apply(Transaction txn, Position position) {
    LogPosition at = LogPosition.of(position);
    if (last != null && at.compareTo(last) <= 0) {
      throw new IllegalArgumentException("position " + at + " is not after " + last);
    }
    last = at;
    List<IndexedOp> ops = new ArrayList<>();
    Map<String, Optional<Value>> current = new TreeMap<>();
    TreeSet<Integer> ranges = new TreeSet<>();
    for (int i = 0; i < txn.getOpsCount(); i++) {
      Operation op = txn.getOps(i);
      ops.add(IndexedOp.newBuilder().setIndex(i).setOp(op).build());
      current.put(op.getKey(), Optional.ofNullable(state.get(op.getKey())));
      ranges.add(KeyRanges.rangeOf(op.getKey(), keyRangeCount));
    }
    TransactionEvaluator.Evaluation eval =
        TransactionEvaluator.evaluate(txn.getId(), position, ops, current, txn.getReturnPostState(), ranges.size());
    for (Map.Entry<String, Optional<Value>> w : eval.writes().entrySet()) {
      if (w.getValue().isPresent()) {
        state.put(w.getKey(), w.getValue().get());
      } else {
        state.remove(w.getKey());
      }
    }
    return eval.result();
  }

  /**
   * The transactions of a log topic with the positions the job gives them (per partition, the
   * broker timestamp made monotonic as the job does), sorted in log order; heartbeats left out.
   *
   * @throws AssertionError if the topic's end is not reached within {@code timeout}
   */
  public static List<Map.Entry<Transaction, Position>> readLog(String bootstrapServers, String logTopic, Duration timeout)
      throws InvalidProtocolBufferException {
    Map<Integer, Long> previousTs = new HashMap<>();
    List<Map.Entry<Transaction, Position>> entries = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : TopicReader.readToEnd(bootstrapServers, logTopic, timeout)) {
      long ts = LogPosition.monotonicTs(previousTs.getOrDefault(r.partition(), Long.MIN_VALUE), r.timestamp());
      previousTs.put(r.partition(), ts);
      LogEntry entry = LogEntry.parseFrom(r.value());
      if (entry.hasTransaction()) {
        entries.add(Map.entry(entry.getTransaction(), new LogPosition(ts, r.partition(), r.offset()).toPosition()));
      }
    }
    entries.sort((a, b) -> LogPosition.of(a.getValue()).compareTo(LogPosition.of(b.getValue())));
    return entries;
  }

  /** The current state, key → value (absent keys are not in the map). */
  public SortedMap<String, Value> state() {
    return new TreeMap<>(state);
  }
}
