package io.ordo.executor.operators;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.executor.serialization.ProtoTypeInfo;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.GatheredReads;
import io.ordo.proto.state.HeldChanges;
import io.ordo.proto.state.LockQueue;
import io.ordo.proto.state.PendingTxn;
import io.ordo.proto.state.RangeRequest;
import io.ordo.proto.state.ReadResult;
import io.ordo.proto.state.WriteResult;
import io.ordo.sequencer.LogPosition;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;

/**
 * The KeyTransactionProcessor and the TransactionProcessor in test harnesses, wired by hand as
 * the job wires them: the reads go to the decider over an in-job channel, the write results come
 * back through the feedback topic. Messages stay in flight until the test delivers them, in the
 * order it chooses.
 *
 * <p>The feedback topic is modelled as the job sees it: a list of records that the decider wrote,
 * each read by the key processor at most once per run. With {@link FeedbackFaults} the topic also
 * holds the extra copies an at-least-once producer writes (some readable at once, some only many
 * steps later). {@link #checkpoint} and {@link #restore} model an aligned checkpoint and a crash:
 * the key processor's snapshot remembers which topic records it had consumed; every read it had
 * sent reaches the decider before the decider's snapshot (barrier alignment); what the decider
 * wrote until then is in the topic for good (the sink flushes at the barrier). A crash loses the
 * in-job channel and, each with probability 1/2, the topic records written after the checkpoint
 * that nobody read; the restored run reads every other record it had not consumed at the
 * checkpoint again, including those the crashed run wrote after it (feedback before its request).
 *
 * <p>Outputs are collected as their consumers see them: results by txn id and the changelog by
 * (key range, LSN), each at most once per run and, when a later run emits one again, identical
 * to the first emission (asserted).
 */
final class OperatorPair implements AutoCloseable {
  /** Extra copies of feedback records; {@code null} in {@link OperatorPair#OperatorPair()}: none. */
  record FeedbackFaults(Random random, int copyOneIn, int lateCopyOneIn, int maxLateSteps) {}

  /** An aligned checkpoint of both operators, with the test's log cursor at the barrier. */
  record Checkpoint(
      OperatorSubtaskState keyProcessor, OperatorSubtaskState txnProcessor, BitSet consumed, int durableRecords, int logCursor) {}

  /** What a run exercised, for tests that must prove they reached their subject. */
  static final class Counts {
    /** Feedback records read before their request reached the key processor in that run. */
    int early;
    /** Feedback records of a (txn, range) whose write result the key processor had read before. */
    int duplicates;
    /** Duplicates read at least {@link #LATE_STEPS} steps after the first copy. */
    int lateDuplicates;
    int checkpoints;
    int restores;
    /** Multi-range transactions waiting for feedback when a checkpoint was taken, summed. */
    int pendingAtCheckpoints;
  }

  /** How many steps after the first copy a duplicate counts as late. */
  static final int LATE_STEPS = 100;

  KeyedTwoInputStreamOperatorTestHarness<Integer, RangeRequest, WriteResult, ReadResult> ktp;
  KeyedOneInputStreamOperatorTestHarness<String, ReadResult, WriteResult> tp;
  private final FeedbackFaults faults;
  /** In flight, oldest first: a ReadResult (to the decider) or an Integer (a feedback topic index). */
  private final List<Object> inFlight = new ArrayList<>();
  /** The feedback topic: every record written, in write order, lost ones included. */
  private final List<WriteResult> topic = new ArrayList<>();
  /** Per topic record, the first step at which it can be read. */
  private final List<Long> readableFrom = new ArrayList<>();
  /** Topic records that never became durable (written after the checkpoint, lost in a crash). */
  private final BitSet lost = new BitSet();
  /** Topic records the key processor of this run has read. */
  private BitSet consumed = new BitSet();
  /** Topic records written but not readable yet, by index. */
  private final List<Integer> delayed = new ArrayList<>();
  /** Results by "txn id@position", in the order they were first emitted. */
  private final Map<String, TxnResult> results = new LinkedHashMap<>();
  private final Set<String> resultsThisRun = new HashSet<>();
  /** The changelog by "range/lsn", in the order records were first emitted. */
  private final Map<String, ChangelogRecord> changes = new LinkedHashMap<>();
  private final Set<String> changesThisRun = new HashSet<>();
  /** "txn@range" of every ReadResult the key processor sent: its locks there were granted. */
  private final Set<String> readsSent = new HashSet<>();
  /** "txn@range@position" of every request the key processor of this run has processed. */
  private final Set<String> requestsThisRun = new HashSet<>();
  /** "txn@range@position" → step at which the key processor of this run first read its write result. */
  private final Map<String, Long> feedbackReadAt = new HashMap<>();
  private final Counts counts = new Counts();
  private long step;
  private long checkpointId;

  OperatorPair() throws Exception {
    this(null);
  }

  OperatorPair(FeedbackFaults faults) throws Exception {
    this.faults = faults;
    ktp = KeyTransactionProcessorFunctionTest.harness();
    tp = TransactionProcessorFunctionTest.harness();
    ktp.open();
    tp.open();
  }

  /** Feeds requests (input 1 of the key processor), in this order. */
  void submit(List<RangeRequest> requests) throws Exception {
    for (RangeRequest r : requests) {
      requestsThisRun.add(r.getTxnId() + "@" + r.getKeyRange() + "@" + LogPosition.of(r.getPosition()));
      ktp.processElement1(r, ++step);
      collect();
    }
    release();
  }

  /** Messages between the operators that can be delivered now. */
  int inFlight() {
    return inFlight.size();
  }

  /** Feedback copies written but not readable yet. */
  int delayed() {
    return delayed.size();
  }

  /**
   * Delivers one in-flight message: the oldest, or a random one when {@code random} is given.
   *
   * @throws IllegalStateException if none is in flight
   */
  void deliverOne(Random random) throws Exception {
    if (inFlight.isEmpty()) {
      throw new IllegalStateException("nothing in flight");
    }
    deliver(inFlight.remove(random == null ? 0 : random.nextInt(inFlight.size())));
    release();
  }

  /**
   * Delivers in-flight messages, and those they cause, until none is left: the oldest first, or
   * a random one each time when {@code random} is given. Delayed copies stay delayed.
   */
  void deliverAll(Random random) throws Exception {
    while (!inFlight.isEmpty()) {
      deliverOne(random);
    }
  }

  /** Makes every delayed feedback copy readable now (the test has nothing else left to do). */
  void releaseDelayed() {
    for (int i : delayed) {
      inFlight.add(i);
    }
    delayed.clear();
  }

  private void deliver(Object msg) throws Exception {
    step++;
    if (msg instanceof ReadResult rr) {
      tp.processElement(rr, step);
    } else {
      int index = (Integer) msg;
      consumed.set(index);
      WriteResult w = topic.get(index);
      String id = w.getTxnId() + "@" + w.getKeyRange() + "@" + LogPosition.of(w.getPosition());
      if (!requestsThisRun.contains(id)) {
        counts.early++;
      }
      Long first = feedbackReadAt.putIfAbsent(id, step);
      if (first != null) {
        counts.duplicates++;
        if (step - first >= LATE_STEPS) {
          counts.lateDuplicates++;
        }
      }
      ktp.processElement2(w, step);
    }
    collect();
  }

  private void release() {
    for (var it = delayed.iterator(); it.hasNext(); ) {
      int i = it.next();
      if (readableFrom.get(i) <= step) {
        it.remove();
        inFlight.add(i);
      }
    }
  }

  private void write(WriteResult w, long from) {
    int index = topic.size();
    topic.add(w);
    readableFrom.add(from);
    if (from <= step) {
      inFlight.add(index);
    } else {
      delayed.add(index);
    }
  }

  /**
   * Takes an aligned checkpoint: snapshots the key processor, delivers to the decider every read
   * sent so far (they are ahead of the barrier on its input channel), snapshots the decider.
   *
   * @param logCursor the test's position in the log at the barrier, returned by {@link #restore}
   */
  Checkpoint checkpoint(Random random, int logCursor) throws Exception {
    long id = ++checkpointId;
    counts.checkpoints++;
    counts.pendingAtCheckpoints += countEntries(ktp, "pending");
    OperatorSubtaskState keyProcessor = ktp.snapshot(id, step);
    BitSet consumedAtBarrier = (BitSet) consumed.clone();
    List<ReadResult> ahead = new ArrayList<>();
    for (var it = inFlight.iterator(); it.hasNext(); ) {
      if (it.next() instanceof ReadResult rr) {
        ahead.add(rr);
        it.remove();
      }
    }
    while (!ahead.isEmpty()) {
      deliver(ahead.remove(random.nextInt(ahead.size())));
    }
    OperatorSubtaskState txnProcessor = tp.snapshot(id, step);
    return new Checkpoint(keyProcessor, txnProcessor, consumedAtBarrier, topic.size(), logCursor);
  }

  /**
   * Crashes both operators and restores them from {@code checkpoint} in new harnesses; returns
   * the log cursor to replay from. Reads in flight are lost; feedback written after the
   * checkpoint that the crashed run did not read is lost with probability 1/2 each; every other
   * topic record not consumed at the checkpoint is read again.
   */
  int restore(Checkpoint checkpoint, Random random) throws Exception {
    counts.restores++;
    for (int i = checkpoint.durableRecords(); i < topic.size(); i++) {
      if (!consumed.get(i) && random.nextBoolean()) {
        lost.set(i);
      }
    }
    close();
    ktp = KeyTransactionProcessorFunctionTest.harness();
    tp = TransactionProcessorFunctionTest.harness();
    ktp.initializeState(checkpoint.keyProcessor());
    tp.initializeState(checkpoint.txnProcessor());
    ktp.open();
    tp.open();
    consumed = (BitSet) checkpoint.consumed().clone();
    inFlight.clear();
    delayed.clear();
    for (int i = 0; i < topic.size(); i++) {
      if (!lost.get(i) && !consumed.get(i)) {
        if (readableFrom.get(i) <= step) {
          inFlight.add(i);
        } else {
          delayed.add(i);
        }
      }
    }
    resultsThisRun.clear();
    changesThisRun.clear();
    requestsThisRun.clear();
    feedbackReadAt.clear();
    return checkpoint.logCursor();
  }

  /** Results by txn id (for tests whose ids do not repeat), in the order they were first emitted. */
  Map<String, TxnResult> results() {
    Map<String, TxnResult> byId = new LinkedHashMap<>();
    for (TxnResult r : results.values()) {
      byId.put(r.getTxnId(), r);
    }
    return byId;
  }

  /** Results by "txn id@position" ({@link LogPosition#toString}), in the order they were first emitted. */
  Map<String, TxnResult> resultsByPosition() {
    return results;
  }

  /** The changelog as its consumers keep it: one record per (key range, LSN), first emission order. */
  List<ChangelogRecord> changelog() {
    return new ArrayList<>(changes.values());
  }

  /** Whether the key processor of {@code range} sent the reads of {@code txnId}. */
  boolean readsSent(String txnId, int range) {
    return readsSent.contains(txnId + "@" + range);
  }

  Counts counts() {
    return counts;
  }

  /** The key processor's {@code values} state: key range → key → value. */
  Map<Integer, Map<String, Value>> values() throws Exception {
    Map<Integer, Map<String, Value>> out = new TreeMap<>();
    KeyedStateBackend<Integer> backend = ktp.getOperator().getKeyedStateBackend();
    MapStateDescriptor<String, Value> descriptor =
        new MapStateDescriptor<>("values", Types.STRING, ProtoTypeInfo.forMessage(Value.class));
    for (int range : keys(backend, "values")) {
      backend.setCurrentKey(range);
      MapState<String, Value> state = backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, descriptor);
      Map<String, Value> values = new TreeMap<>();
      for (Map.Entry<String, Value> e : state.entries()) {
        values.put(e.getKey(), e.getValue());
      }
      if (!values.isEmpty()) {
        out.put(range, values);
      }
    }
    return out;
  }

  /**
   * The key processor's per-transaction state left: "state name/range" → number of map entries,
   * for the pending transactions, early write results, lock queues and held changes (empty when
   * every transaction has finished).
   */
  Map<String, Integer> perTransactionState() throws Exception {
    Map<String, Integer> out = new TreeMap<>();
    perTransaction(out, "pending", ProtoTypeInfo.forMessage(PendingTxn.class), Types.STRING);
    perTransaction(out, "early-writes", ProtoTypeInfo.forMessage(WriteResult.class), Types.STRING);
    perTransaction(out, "locks", ProtoTypeInfo.forMessage(LockQueue.class), Types.STRING);
    perTransaction(out, "held-changes", ProtoTypeInfo.forMessage(HeldChanges.class), Types.LONG);
    return out;
  }

  private <K, V> void perTransaction(
      Map<String, Integer> out, String name, org.apache.flink.api.common.typeinfo.TypeInformation<V> valueType,
      org.apache.flink.api.common.typeinfo.TypeInformation<K> keyType) throws Exception {
    KeyedStateBackend<Integer> backend = ktp.getOperator().getKeyedStateBackend();
    MapStateDescriptor<K, V> descriptor = new MapStateDescriptor<>(name, keyType, valueType);
    for (int range : keys(backend, name)) {
      backend.setCurrentKey(range);
      int n = 0;
      for (K ignored : backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, descriptor).keys()) {
        n++;
      }
      if (n > 0) {
        out.put(name + "/" + range, n);
      }
    }
  }

  /**
   * Whether a transaction with this id is still running in either operator: pending in some key
   * range of the key processor, or with reads gathered in the decider.
   */
  boolean running(String txnId) throws Exception {
    KeyedStateBackend<Integer> backend = ktp.getOperator().getKeyedStateBackend();
    MapStateDescriptor<String, PendingTxn> pendingDescriptor =
        new MapStateDescriptor<>("pending", Types.STRING, ProtoTypeInfo.forMessage(PendingTxn.class));
    for (int range : keys(backend, "pending")) {
      backend.setCurrentKey(range);
      if (backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, pendingDescriptor).contains(txnId)) {
        return true;
      }
    }
    KeyedStateBackend<String> decider = tp.getOperator().getKeyedStateBackend();
    decider.setCurrentKey(txnId);
    return decider.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
        new org.apache.flink.api.common.state.ValueStateDescriptor<>("gathered-reads", ProtoTypeInfo.forMessage(GatheredReads.class)))
        .value() != null;
  }

  private static int countEntries(KeyedTwoInputStreamOperatorTestHarness<Integer, RangeRequest, WriteResult, ReadResult> h, String name)
      throws Exception {
    KeyedStateBackend<Integer> backend = h.getOperator().getKeyedStateBackend();
    MapStateDescriptor<String, PendingTxn> descriptor =
        new MapStateDescriptor<>(name, Types.STRING, ProtoTypeInfo.forMessage(PendingTxn.class));
    Object before = backend.getCurrentKey();
    int n = 0;
    for (int range : keys(backend, name)) {
      backend.setCurrentKey(range);
      for (String ignored : backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, descriptor).keys()) {
        n++;
      }
    }
    if (before != null) {
      backend.setCurrentKey((Integer) before);
    }
    return n;
  }

  private static List<Integer> keys(KeyedStateBackend<Integer> backend, String state) {
    try (var keys = backend.getKeys(state, VoidNamespace.INSTANCE)) {
      return keys.sorted().toList();
    }
  }

  private void collect() {
    for (Object o; (o = ktp.getOutput().poll()) != null; ) {
      if (o instanceof StreamRecord<?> record) {
        ReadResult r = (ReadResult) record.getValue();
        readsSent.add(r.getTxnId() + "@" + r.getKeyRange());
        inFlight.add(r);
      }
    }
    for (Object o; (o = tp.getOutput().poll()) != null; ) {
      if (o instanceof StreamRecord<?> record) {
        WriteResult w = (WriteResult) record.getValue();
        write(w, step);
        if (faults != null && faults.random().nextInt(faults.copyOneIn()) == 0) {
          write(w, step); // a producer retry: a second copy, readable at once
        }
        if (faults != null && faults.random().nextInt(faults.lateCopyOneIn()) == 0) {
          write(w, step + 1 + faults.random().nextInt(faults.maxLateSteps())); // a copy long after
        }
      }
    }
    drainResults(ktp.getSideOutput(KeyTransactionProcessorFunction.RESULTS));
    drainResults(tp.getSideOutput(TransactionProcessorFunction.RESULTS));
    Queue<StreamRecord<ChangelogRecord>> side = ktp.getSideOutput(KeyTransactionProcessorFunction.CHANGELOG);
    if (side != null) { // the harness creates a side output queue on first use
      for (StreamRecord<ChangelogRecord> r; (r = side.poll()) != null; ) {
        ChangelogRecord c = r.getValue();
        String id = c.getKeyRange() + "/" + c.getLsn();
        assertThat(changesThisRun.add(id)).as("one changelog record per (range, lsn) per run: %s", id).isTrue();
        ChangelogRecord earlier = changes.putIfAbsent(id, c);
        if (earlier != null) {
          assertThat(c).as("changelog record %s emitted again after a restore", id).isEqualTo(earlier);
        }
      }
    }
  }

  private void drainResults(Queue<StreamRecord<TxnResult>> side) {
    if (side == null) {
      return;
    }
    for (StreamRecord<TxnResult> record; (record = side.poll()) != null; ) {
      TxnResult r = record.getValue();
      String id = r.getTxnId() + "@" + LogPosition.of(r.getPosition());
      assertThat(resultsThisRun.add(id)).as("one result per txn per run: %s", id).isTrue();
      TxnResult earlier = results.putIfAbsent(id, r);
      if (earlier != null) {
        assertThat(r).as("result of %s emitted again after a restore", id).isEqualTo(earlier);
      }
    }
  }

  @Override
  public void close() throws Exception {
    try {
      ktp.close();
    } finally {
      tp.close();
    }
  }
}
