package io.ordo.executor.operators;

import static io.ordo.executor.operators.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.executor.evaluation.TransactionEvaluator;
import io.ordo.proto.AbortReason;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.KeyRead;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Position;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.IndexedOp;
import io.ordo.proto.state.RangeRequest;
import io.ordo.sequencer.KeyRanges;
import io.ordo.sequencer.LogPosition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checks the KeyTransactionProcessor + TransactionProcessor pair against a dumb model (a model
 * too simple to share the operators' bugs): a single-threaded interpreter that applies the same
 * transactions one after another. The operators run in test harnesses ({@link OperatorPair}); the
 * messages between them (reads to the decider, write results back over the feedback edge) are
 * delivered in a seeded random order interleaved with new requests, as a real network might. The
 * log's positions tie on ts across partitions (ordered by partition, then offset). The tests
 * named "...UnderAtLeastOnceEarlyFeedbackAndRestores" also deliver write results more than once
 * (some copies hundreds of steps after the first) and crash both operators twice, restoring them
 * from an aligned checkpoint taken at a random point: the log is replayed from there and the
 * feedback the crashed run wrote after the checkpoint arrives again, often before its request.
 * There, ids also run again ({@value #ID_REUSE_DISTANCE} transactions later, once the earlier run
 * has finished, as after the fan-out's dedup window), so feedback of one run of an id meets
 * another run of it.
 *
 * <p>For every seed, results (outcome, abort reason and values read), the changelog and the key
 * processor's final values must equal the model's; a result or changelog record emitted again
 * after a restore must equal the first emission; and no per-transaction state may remain
 * (gathered reads, pending transactions, early write results, lock queues, held changes).
 *
 * <p>A failing seed replays as a plain test: add it to the {@code @ValueSource}.
 */
class ExecutorModelTest {
  private static final int RANGES = 4;
  private static final int KEYS = 12;
  private static final int TXNS = 400;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 42, 1234})
  void operatorsAgreeWithASequentialModelUnderRandomDeliveryOrder(long seed) throws Exception {
    checkAgainstModel(seed, ExecutorModelTest::randomTxn, 0);
  }

  /**
   * Bank transfers over few accounts with one hot creditor, plus audits that read every account:
   * the increments take escrow locks, run concurrently and finish in random order; balances,
   * outcomes, audits and the changelog must still be those of the sequential model.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 42, 1234})
  void incrementLocksAgreeWithASequentialModel(long seed) throws Exception {
    checkAgainstModel(seed, ExecutorModelTest::transferOrAudit, 0);
  }

  /**
   * Increments with extreme deltas (around ±2^62 and the ends of int64), some bounded, over few
   * counters, mixed with transfers between them and puts of extreme values: some leave int64
   * (OUT_OF_RANGE), some their bounds, and the escrow check must neither admit an increment that
   * could overflow under some outcome of the ones ahead nor fail the operator; outcomes, reasons,
   * values and changelog must be those of the sequential model on exact integers.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 42, 1234})
  void extremeIncrementsAgreeWithASequentialModelOnExactIntegers(long seed) throws Exception {
    checkAgainstModel(seed, ExecutorModelTest::extremeIncrement, 0);
  }

  /**
   * Stream appends and seals on three shards spread over the ranges, mixed with puts and reads
   * of plain keys and of the shards: offsets must be gapless and the appended records of each
   * shard version must be those of the sequential model, whatever the delivery order.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 42})
  void streamAppendsAgreeWithASequentialModel(long seed) throws Exception {
    checkAgainstModel(seed, ExecutorModelTest::streamTxn, 50);
  }

  /**
   * The random workload as the job delivers it after faults: write results at least once (copies,
   * some read hundreds of steps after the first), early (the crashed run's feedback before the
   * restored run's requests), and both operators crashed twice and restored from a checkpoint
   * taken at a random point, with the log replayed from there.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 42, 1234})
  void operatorsAgreeWithTheModelUnderAtLeastOnceEarlyFeedbackAndRestores(long seed) throws Exception {
    checkAgainstModel(seed, ExecutorModelTest::randomTxn, 0, true);
  }

  /** Transfers and audits (escrow locks draining out of order) under the same faults. */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 42, 1234})
  void incrementLocksAgreeWithTheModelUnderAtLeastOnceEarlyFeedbackAndRestores(long seed) throws Exception {
    checkAgainstModel(seed, ExecutorModelTest::transferOrAudit, 0, true);
  }

  /** Extreme increments (escrow admission near the ends of int64) under the same faults. */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 42, 1234})
  void extremeIncrementsAgreeWithTheModelUnderAtLeastOnceEarlyFeedbackAndRestores(long seed) throws Exception {
    checkAgainstModel(seed, ExecutorModelTest::extremeIncrement, 0, true);
  }

  /** Stream appends and seals under the same faults: offsets gapless, records once. */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 42})
  void streamAppendsAgreeWithTheModelUnderAtLeastOnceEarlyFeedbackAndRestores(long seed) throws Exception {
    checkAgainstModel(seed, ExecutorModelTest::streamTxn, 50, true);
  }

  private static void checkAgainstModel(long seed, java.util.function.Function<Random, List<Operation>> generator,
      long minAppendedRecords) throws Exception {
    checkAgainstModel(seed, generator, minAppendedRecords, false);
  }

  /**
   * Runs {@code TXNS} generated transactions through the operators and checks them against the
   * sequential model. The log's positions tie on ts across partitions. With {@code faults}, the
   * feedback is delivered at least once (copies, some many steps late), both operators are
   * checkpointed at random points (every ~20 steps, every ~200, or never: the job restarts from
   * its empty initial state) and crash twice, restoring from the latest checkpoint: the log is
   * replayed from the checkpoint's position and the feedback not consumed at the checkpoint is
   * read again, including what the crashed run wrote after it (write results before their
   * requests).
   */
  private static void checkAgainstModel(long seed, java.util.function.Function<Random, List<Operation>> generator,
      long minAppendedRecords, boolean faults) throws Exception {
    Random random = new Random(seed);
    List<List<Operation>> txns = new ArrayList<>();
    for (int i = 0; i < TXNS; i++) {
      txns.add(generator.apply(random));
    }
    List<Position> positions = tiedPositions(random);
    List<List<RangeRequest>> log = new ArrayList<>();
    for (int i = 0; i < TXNS; i++) {
      log.add(requests(id(i, faults), positions.get(i), txns.get(i)));
    }

    // Delivery and faults draw from their own source, so a seed's workload is the same in every mode.
    Random delivery = new Random(~seed);
    Map<String, TxnResult> actual;
    List<ChangelogRecord> changes;
    Map<String, Value> finalValues = new TreeMap<>();
    OperatorPair.FeedbackFaults feedbackFaults = faults ? new OperatorPair.FeedbackFaults(delivery, 8, 8, 600) : null;
    try (OperatorPair pair = new OperatorPair(feedbackFaults)) {
      int checkpointOneIn = new int[] {20, 200, Integer.MAX_VALUE}[delivery.nextInt(3)];
      java.util.TreeSet<Integer> crashes = new java.util.TreeSet<>();
      while (faults && crashes.size() < 2) {
        crashes.add(TXNS / 2 + delivery.nextInt(3 * TXNS));
      }
      OperatorPair.Checkpoint latest = faults ? pair.checkpoint(delivery, 0) : null;
      int cursor = 0;
      int step = 0;
      while (cursor < TXNS || pair.inFlight() > 0 || pair.delayed() > 0 || !crashes.isEmpty()) {
        step++;
        boolean done = cursor == TXNS && pair.inFlight() == 0 && pair.delayed() == 0;
        if (!crashes.isEmpty() && (step >= crashes.first() || done)) {
          // A crash after everything finished is one too: the log is replayed from the checkpoint.
          crashes.pollFirst();
          cursor = pair.restore(latest, delivery);
          continue;
        }
        if (faults && delivery.nextInt(checkpointOneIn) == 0) {
          latest = pair.checkpoint(delivery, cursor);
        }
        boolean deliverRequest = cursor < TXNS && (pair.inFlight() == 0 || delivery.nextInt(3) == 0);
        if (deliverRequest && faults && pair.running(id(cursor, true))) {
          // The fan-out lets an id run again only a dedup window (minutes of log time) after its
          // previous run, which has long finished by then: the next request waits.
          deliverRequest = false;
          assertThat(pair.inFlight() + pair.delayed()).as("%s waits for its previous run, which waits for nothing", id(cursor, true))
              .isPositive();
        }
        if (deliverRequest) {
          pair.submit(log.get(cursor++));
        } else if (pair.inFlight() > 0) {
          pair.deliverOne(delivery);
        } else {
          pair.releaseDelayed();
        }
      }
      assertThat(pair.tp.numKeyedStateEntries()).as("no gathered reads left").isZero();
      assertThat(pair.perTransactionState()).as("pending, early, locks and held changes left").isEmpty();
      // Idle ranges hold values, last-position, lsn and the two sequence counters only.
      assertThat(pair.ktp.numKeyedStateEntries())
          .isLessThanOrEqualTo(KeyTransactionProcessorFunctionTest.IDLE_STATE_ENTRIES * RANGES);
      pair.values().values().forEach(finalValues::putAll);
      actual = pair.resultsByPosition();
      changes = pair.changelog();
      if (faults) {
        OperatorPair.Counts counts = pair.counts();
        assertThat(counts.restores).as("restores").isEqualTo(2);
        assertThat(counts.early).as("write results read before their requests").isPositive();
        assertThat(counts.duplicates).as("duplicate write results read").isPositive();
        assertThat(counts.lateDuplicates).as("duplicates read long after the first copy").isPositive();
        if (counts.checkpoints > 1) {
          assertThat(counts.pendingAtCheckpoints).as("multi-range transactions in flight at checkpoints").isPositive();
        }
      }
    }

    // The dumb model: apply the transactions in order.
    Map<String, Value> state = new TreeMap<>();
    // Per key, the (txn, value after) of every committed write, in log order.
    Map<String, List<String>> writeHistory = new TreeMap<>();
    for (int i = 0; i < TXNS; i++) {
      Map<String, Value> working = new TreeMap<>(state);
      List<Value> reads = new ArrayList<>();
      boolean ok = true;
      // Why the model aborts, where it tells reasons apart (null: any reason).
      AbortReason reason = null;
      for (Operation op : txns.get(i)) {
        Value v = working.get(op.getKey());
        switch (op.getOpCase()) {
          case GET -> reads.add(v);
          case PUT -> working.put(op.getKey(), op.getPut().getValue());
          case DELETE -> working.remove(op.getKey());
          case INCREMENT -> {
            // On exact integers: leaving int64 is OUT_OF_RANGE, before any bound is looked at.
            java.math.BigInteger exact = java.math.BigInteger.valueOf(v == null ? 0 : v.getCounter())
                .add(java.math.BigInteger.valueOf(op.getIncrement().getDelta()));
            if (exact.bitLength() > 63) {
              ok = false;
              reason = AbortReason.OUT_OF_RANGE;
            } else {
              long now = exact.longValueExact();
              if ((op.getIncrement().hasMin() && now < op.getIncrement().getMin())
                  || (op.getIncrement().hasMax() && now > op.getIncrement().getMax())) {
                ok = false;
                reason = AbortReason.BOUND_VIOLATED;
              }
              working.put(op.getKey(), counter(now));
            }
          }
          case ASSERT -> {
            ok &= op.getAssert().getAbsent() == (v == null);
            reason = AbortReason.ASSERT_FAILED;
          }
          case STREAM_APPEND, SEAL_SHARD -> {
            if (v == null || v.getShard().getClosed()) {
              ok = false;
            } else {
              // Records appended earlier in this transaction stay; older ones were dropped.
              io.ordo.proto.ShardState.Builder next = v.getShard().toBuilder();
              if (op.getOpCase() == Operation.OpCase.SEAL_SHARD) {
                next.setClosed(true);
              } else {
                next.setNextOffset(next.getNextOffset() + op.getStreamAppend().getRecordsCount())
                    .addAllAppended(op.getStreamAppend().getRecordsList());
              }
              working.put(op.getKey(), Value.newBuilder().setShard(next).build());
              reads.add(Value.newBuilder().setShard(next.clearAppended()).build());
            }
          }
          default -> throw new AssertionError(op);
        }
        if (!ok) {
          break;
        }
        reason = null;
      }
      TxnResult got = actual.get(id(i, faults) + "@" + LogPosition.of(positions.get(i)));
      assertThat(got).as("result of t%d", i).isNotNull();
      assertThat(got.getOutcome()).as("outcome of t%d", i).isEqualTo(ok ? Outcome.COMMITTED : Outcome.ABORTED);
      if (!ok && reason != null) {
        assertThat(got.getAbortReason()).as("abort reason of t%d: %s", i, got.getDetail()).isEqualTo(reason);
      }
      if (ok) {
        for (Operation op : txns.get(i)) {
          if (op.getOpCase() != Operation.OpCase.GET && op.getOpCase() != Operation.OpCase.ASSERT) {
            writeHistory.computeIfAbsent(op.getKey(), k -> new ArrayList<>());
          }
        }
        for (Map.Entry<String, List<String>> h : writeHistory.entrySet()) {
          boolean written = txns.get(i).stream().anyMatch(
              op -> op.getKey().equals(h.getKey()) && op.getOpCase() != Operation.OpCase.GET && op.getOpCase() != Operation.OpCase.ASSERT);
          if (written) {
            h.getValue().add(id(i, faults) + "=" + working.get(h.getKey()));
          }
        }
        state = new TreeMap<>();
        for (Map.Entry<String, Value> e : working.entrySet()) {
          state.put(e.getKey(), TransactionEvaluator.withoutRecords(e.getValue()));
        }
        List<Value> gotReads = new ArrayList<>();
        for (KeyRead r : got.getReadsList()) {
          gotReads.add(r.getFound() ? r.getValue() : null);
        }
        assertThat(gotReads).as("reads of t%d", i).isEqualTo(reads);
      }
    }
    // Per key range, LSNs are gapless from 1 and follow log order, whatever the delivery order.
    Map<Integer, List<ChangelogRecord>> byRange = new TreeMap<>();
    for (ChangelogRecord c : changes) {
      byRange.computeIfAbsent(c.getKeyRange(), r -> new ArrayList<>()).add(c);
    }
    byRange.forEach(
        (range, list) -> {
          for (int i = 0; i < list.size(); i++) {
            assertThat(list.get(i).getLsn()).as("lsn in range %d", range).isEqualTo(i + 1);
            if (i > 0) {
              assertThat(LogPosition.of(list.get(i).getPosition()))
                  .as("positions in range %d", range)
                  .isGreaterThanOrEqualTo(LogPosition.of(list.get(i - 1).getPosition()));
            }
          }
        });
    // Per key, the changelog is the model's write history, and each record's before is the
    // previous record's after (increments drain in log order, whatever order they finished in).
    Map<String, List<String>> changelogHistory = new TreeMap<>();
    Map<String, Value> lastAfter = new TreeMap<>();
    for (List<ChangelogRecord> list : byRange.values()) {
      for (ChangelogRecord c : list) {
        changelogHistory.computeIfAbsent(c.getKey(), k -> new ArrayList<>())
            .add(c.getTxnId() + "=" + (c.hasAfter() ? c.getAfter() : null));
        assertThat(c.hasBefore() ? c.getBefore() : null).as("before of %s in %s", c.getKey(), c.getTxnId())
            .isEqualTo(lastAfter.containsKey(c.getKey()) ? TransactionEvaluator.withoutRecords(lastAfter.get(c.getKey())) : null);
        if (c.hasAfter()) {
          lastAfter.put(c.getKey(), c.getAfter());
        } else {
          lastAfter.remove(c.getKey());
        }
      }
    }
    writeHistory.values().removeIf(List::isEmpty);
    assertThat(changelogHistory).as("changelog per key").isEqualTo(writeHistory);
    Map<String, Value> folded = new TreeMap<>();
    for (ChangelogRecord c : changes) {
      if (c.hasAfter()) {
        folded.put(c.getKey(), TransactionEvaluator.withoutRecords(c.getAfter()));
      } else {
        folded.remove(c.getKey());
      }
    }
    assertThat(folded).as("state folded from the changelog").isEqualTo(state);
    assertThat(finalValues).as("the key processor's values").isEqualTo(state);
    long appendedRecords = changes.stream().filter(c -> c.hasAfter() && c.getAfter().hasShard())
        .mapToLong(c -> c.getAfter().getShard().getAppendedCount()).sum();
    long modelNextOffsets = state.values().stream().filter(Value::hasShard)
        .mapToLong(v -> v.getShard().getNextOffset()).sum();
    assertThat(appendedRecords).as("records in the changelog = offsets taken").isEqualTo(modelNextOffsets);
    assertThat(appendedRecords).as("records appended").isGreaterThanOrEqualTo(minAppendedRecords);
  }

  private static List<Operation> randomTxn(Random random) {
    int n = 1 + random.nextInt(4);
    List<Operation> ops = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String key = "k" + random.nextInt(KEYS);
      ops.add(
          switch (random.nextInt(6)) {
            case 0 -> get(key);
            case 1 -> put(key, counter(random.nextInt(100)));
            case 2 -> delete(key);
            case 3 -> increment(key, -random.nextInt(60), 0L);
            case 4 -> increment(key, random.nextInt(60), null);
            default -> random.nextInt(4) == 0 ? assertAbsent(key) : get(key);
          });
    }
    return ops;
  }

  /**
   * A transfer (debit with min 0, credit without bound) between two of {@code KEYS} accounts, the
   * creditor "k0" half of the time; or a deposit of 50 into one account; or, one time in eight, an
   * audit that reads every account.
   */
  private static List<Operation> transferOrAudit(Random random) {
    List<Operation> ops = new ArrayList<>();
    if (random.nextInt(8) == 0) {
      for (int k = 0; k < KEYS; k++) {
        ops.add(get("k" + k));
      }
      return ops;
    }
    if (random.nextInt(6) == 0) {
      ops.add(increment("k" + (1 + random.nextInt(KEYS - 1)), 50, null));
      return ops;
    }
    int debtor = 1 + random.nextInt(KEYS - 1);
    int creditor = random.nextBoolean() ? 0 : random.nextInt(KEYS);
    if (creditor == debtor) {
      creditor = 0;
    }
    long amount = 1 + random.nextInt(40);
    ops.add(increment("k" + debtor, -amount, 0L));
    ops.add(increment("k" + creditor, amount, null));
    return ops;
  }

  private static final long[] EXTREMES = {
    Long.MIN_VALUE, Long.MIN_VALUE + 1, -(1L << 62), -(1L << 61), -1, 0, 1, 1L << 61, 1L << 62, Long.MAX_VALUE - 1, Long.MAX_VALUE
  };

  private static long extreme(Random random) {
    return random.nextInt(4) == 0 ? random.nextInt(201) - 100 : EXTREMES[random.nextInt(EXTREMES.length)];
  }

  /**
   * On counters "k0".."k3" (hot: many increments queue on each): one to three increments of
   * distinct counters with extreme deltas, each bounded (min and/or max, extreme too) a third of
   * the time; one time in ten a put of an extreme value; one time in ten a read of all four.
   */
  private static List<Operation> extremeIncrement(Random random) {
    List<Operation> ops = new ArrayList<>();
    int kind = random.nextInt(10);
    if (kind == 0) {
      ops.add(put("k" + random.nextInt(4), counter(extreme(random))));
      return ops;
    }
    if (kind == 1) {
      for (int k = 0; k < 4; k++) {
        ops.add(get("k" + k));
      }
      return ops;
    }
    List<Integer> keys = new ArrayList<>(List.of(0, 1, 2, 3));
    java.util.Collections.shuffle(keys, random);
    int n = 1 + random.nextInt(3);
    for (int i = 0; i < n; i++) {
      boolean bounded = random.nextInt(3) == 0;
      Long min = bounded && random.nextBoolean() ? extreme(random) : null;
      Long max = bounded && random.nextBoolean() ? extreme(random) : null;
      ops.add(increment("k" + keys.get(i), extreme(random), min, max));
    }
    return ops;
  }

  /**
   * On shards "s0".."s2" of stream "st": create (put of an empty open shard, only meaningful when
   * absent, so guarded by an assert), append 1..3 records (one op or two), seal one time in 40;
   * plus a put or get of a plain key, so transactions span ranges.
   */
  private static List<Operation> streamTxn(Random random) {
    List<Operation> ops = new ArrayList<>();
    String shard = "s" + random.nextInt(3);
    int kind = random.nextInt(40);
    if (kind < 4) {
      ops.add(assertAbsent(shard));
      ops.add(put(shard, Value.newBuilder().setShard(io.ordo.proto.ShardState.newBuilder()
          .setStream("st").setShardId(shard.charAt(1) - '0')).build()));
    } else if (kind == 4) {
      ops.add(Operation.newBuilder().setKey(shard).setSealShard(io.ordo.proto.SealShard.getDefaultInstance()).build());
    } else {
      int appends = 1 + random.nextInt(2);
      for (int a = 0; a < appends; a++) {
        String[] payloads = new String[1 + random.nextInt(3)];
        for (int r = 0; r < payloads.length; r++) {
          payloads[r] = "p" + random.nextInt(1000);
        }
        ops.add(streamAppend(shard, "st", payloads));
      }
    }
    String plain = "k" + random.nextInt(KEYS);
    ops.add(random.nextBoolean() ? get(plain) : put(plain, counter(random.nextInt(100))));
    if (random.nextInt(4) == 0) {
      ops.add(get(shard));
    }
    return ops;
  }

  /** How many transactions apart an id runs again in the fault tests. */
  private static final int ID_REUSE_DISTANCE = 200;

  /**
   * The id of the i-th transaction. In the fault tests an id runs again {@value
   * #ID_REUSE_DISTANCE} transactions later, as a client's id may once the fan-out's dedup window
   * has passed: feedback of one run of the id must never be taken for another's.
   */
  private static String id(int i, boolean faults) {
    return "t" + (faults ? i % ID_REUSE_DISTANCE : i);
  }

  /**
   * Positions of {@code TXNS} log entries, in log order: appended to three partitions by a
   * clock that often does not move between appends, so many positions tie on ts and are ordered by
   * partition, then offset, and the log order differs from the order of appends.
   */
  private static List<Position> tiedPositions(Random random) {
    List<Position> positions = new ArrayList<>();
    long[] nextOffset = new long[3];
    long ts = 1_000;
    for (int i = 0; i < TXNS; i++) {
      ts += random.nextInt(3) == 0 ? 1 : 0;
      int partition = random.nextInt(nextOffset.length);
      positions.add(pos(ts, partition, nextOffset[partition]++));
    }
    positions.sort((a, b) -> LogPosition.of(a).compareTo(LogPosition.of(b)));
    return positions;
  }

  /** What the fan-out would emit for a transaction at {@code position}. */
  private static List<RangeRequest> requests(String id, Position position, List<Operation> ops) {
    Map<Integer, List<IndexedOp>> byRange = new TreeMap<>();
    for (int i = 0; i < ops.size(); i++) {
      byRange.computeIfAbsent(KeyRanges.rangeOf(ops.get(i).getKey(), RANGES), r -> new ArrayList<>())
          .add(IndexedOp.newBuilder().setIndex(i).setOp(ops.get(i)).build());
    }
    List<Integer> participants = new ArrayList<>(byRange.keySet());
    List<RangeRequest> out = new ArrayList<>();
    byRange.forEach(
        (range, rangeOps) ->
            out.add(
                RangeRequest.newBuilder()
                    .setTxnId(id)
                    .setPosition(position)
                    .setKeyRange(range)
                    .addAllOps(rangeOps)
                    .addAllParticipants(participants)
                    .build()));
    return out;
  }
}
