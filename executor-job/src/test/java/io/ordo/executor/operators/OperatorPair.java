package io.ordo.executor.operators;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.TxnResult;
import io.ordo.proto.state.RangeRequest;
import io.ordo.proto.state.ReadResult;
import io.ordo.proto.state.WriteResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;

/**
 * The KeyTransactionProcessor and the TransactionProcessor in test harnesses, wired by hand: the
 * messages between them (reads to the decider, write results back over the feedback edge) stay
 * in flight until the test delivers them, in the order it chooses. Collects every result (once
 * per transaction, asserted) and the changelog.
 */
final class OperatorPair implements AutoCloseable {
  final KeyedTwoInputStreamOperatorTestHarness<Integer, RangeRequest, WriteResult, ReadResult> ktp;
  final KeyedOneInputStreamOperatorTestHarness<String, ReadResult, WriteResult> tp;
  private final List<Object> inFlight = new ArrayList<>();
  /** Results by txn id, in the order they were emitted. */
  private final Map<String, TxnResult> results = new LinkedHashMap<>();
  private final List<ChangelogRecord> changelog = new ArrayList<>();
  /** "txn@range" of every ReadResult the key processor sent: its locks there were granted. */
  private final Set<String> readsSent = new HashSet<>();
  private int readsSeen;
  private int writesSeen;
  private int ktpResultsSeen;
  private int tpResultsSeen;
  private int changesSeen;
  private long t;

  OperatorPair() throws Exception {
    ktp = KeyTransactionProcessorFunctionTest.harness();
    tp = TransactionProcessorFunctionTest.harness();
    ktp.open();
    tp.open();
  }

  /** Feeds requests (input 1 of the key processor), in this order. */
  void submit(List<RangeRequest> requests) throws Exception {
    for (RangeRequest r : requests) {
      ktp.processElement1(r, ++t);
      collect();
    }
  }

  /** Messages between the operators not delivered yet. */
  int inFlight() {
    return inFlight.size();
  }

  /**
   * Delivers in-flight messages, and those they cause, until none is left: the oldest first, or
   * a random one each time when {@code random} is given.
   */
  void deliverAll(Random random) throws Exception {
    while (!inFlight.isEmpty()) {
      Object msg = inFlight.remove(random == null ? 0 : random.nextInt(inFlight.size()));
      if (msg instanceof ReadResult rr) {
        tp.processElement(rr, ++t);
      } else {
        ktp.processElement2((WriteResult) msg, ++t);
      }
      collect();
    }
  }

  Map<String, TxnResult> results() {
    return results;
  }

  List<ChangelogRecord> changelog() {
    return changelog;
  }

  /** Whether the key processor of {@code range} sent the reads of {@code txnId}. */
  boolean readsSent(String txnId, int range) {
    return readsSent.contains(txnId + "@" + range);
  }

  private void collect() {
    List<ReadResult> reads = ktp.extractOutputValues();
    for (ReadResult r : reads.subList(readsSeen, reads.size())) {
      readsSent.add(r.getTxnId() + "@" + r.getKeyRange());
    }
    inFlight.addAll(reads.subList(readsSeen, reads.size()));
    readsSeen = reads.size();
    List<WriteResult> writes = tp.extractOutputValues();
    inFlight.addAll(writes.subList(writesSeen, writes.size()));
    writesSeen = writes.size();
    ktpResultsSeen = drain(ktp.getSideOutput(KeyTransactionProcessorFunction.RESULTS), ktpResultsSeen);
    tpResultsSeen = drain(tp.getSideOutput(TransactionProcessorFunction.RESULTS), tpResultsSeen);
    Queue<StreamRecord<ChangelogRecord>> side = ktp.getSideOutput(KeyTransactionProcessorFunction.CHANGELOG);
    if (side != null) {
      List<StreamRecord<ChangelogRecord>> all = new ArrayList<>(side);
      for (int i = changesSeen; i < all.size(); i++) {
        changelog.add(all.get(i).getValue());
      }
      changesSeen = all.size();
    }
  }

  private int drain(Queue<StreamRecord<TxnResult>> side, int seen) {
    if (side == null) { // the harness creates a side output queue on first use
      return seen;
    }
    List<StreamRecord<TxnResult>> all = new ArrayList<>(side);
    for (int i = seen; i < all.size(); i++) {
      TxnResult r = all.get(i).getValue();
      assertThat(results.put(r.getTxnId(), r)).as("one result per txn: %s", r.getTxnId()).isNull();
    }
    return all.size();
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
