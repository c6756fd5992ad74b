package io.ordo.benchmarks;

import io.ordo.executor.operators.KeyTransactionProcessorFunction;
import io.ordo.executor.serialization.ProtoTypeInfo;
import io.ordo.proto.Operation;
import io.ordo.proto.state.RangeRequest;
import io.ordo.proto.state.ReadResult;
import io.ordo.proto.state.WriteResult;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of one YCSB-T transfer in the KeyTransactionProcessor, alone in a Flink operator test
 * harness with a real state backend: lock queues, evaluation (single-range fast path) or reads out
 * and the write result back (multi-range), value updates and changelog records. Units: µs per
 * transfer. Parameters: {@code path} single-range | multi-range (the write result is fed back at
 * once, so no lock is held across transfers), {@code backend} hashmap | rocksdb, {@code hotShare}
 * the share of transfers crediting one hot account (the rest are uniform over 10,000 accounts).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class KeyTransactionProcessorBenchmark {
  private static final int ACCOUNTS = 10_000;
  /** Outputs are dropped every this many transfers so the harness's queues stay bounded. */
  private static final int CLEAR_EVERY = 1024;

  @Param({"single-range", "multi-range"})
  public String path;

  @Param({"hashmap", "rocksdb"})
  public String backend;

  @Param({"0.0", "0.5"})
  public double hotShare;

  private KeyedTwoInputStreamOperatorTestHarness<Integer, RangeRequest, WriteResult, ReadResult> harness;
  private SplittableRandom random;
  private long ts;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    harness =
        new KeyedTwoInputStreamOperatorTestHarness<>(
            new KeyedCoProcessOperator<>(new KeyTransactionProcessorFunction()),
            RangeRequest::getKeyRange,
            WriteResult::getKeyRange,
            Types.INT);
    if (backend.equals("rocksdb")) {
      harness.setStateBackend(new EmbeddedRocksDBStateBackend());
    }
    harness.setup(ProtoTypeInfo.forMessage(ReadResult.class).createSerializer());
    harness.open();
    random = new SplittableRandom(42);
    for (int i = 0; i < ACCOUNTS; i += 1000) {
      List<Operation> load = new java.util.ArrayList<>();
      for (int j = i; j < i + 1000; j++) {
        load.add(Ops.put(Ops.account(j), 1_000_000_000L));
      }
      harness.processElement1(Ops.request("load-" + i, ++ts, 1, load), ts);
    }
    clearOutputs();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    harness.close();
  }

  @Benchmark
  public void transfer() throws Exception {
    long t = ++ts;
    int from = random.nextInt(ACCOUNTS);
    int to = random.nextDouble() < hotShare ? 0 : random.nextInt(ACCOUNTS);
    if (to == from) {
      to = (from + 1) % ACCOUNTS;
    }
    List<Operation> ops = Ops.transfer(Ops.account(from), Ops.account(to), 1 + random.nextInt(100));
    String id = "t" + t;
    if (path.equals("single-range")) {
      harness.processElement1(Ops.request(id, t, 1, ops), t);
    } else {
      harness.processElement1(Ops.request(id, t, 2, ops), t);
      harness.processElement2(Ops.committed(id, t, ops), t);
    }
    if (t % CLEAR_EVERY == 0) {
      clearOutputs();
    }
  }

  private void clearOutputs() {
    harness.getOutput().clear();
    for (var tag : List.of(KeyTransactionProcessorFunction.RESULTS, KeyTransactionProcessorFunction.CHANGELOG)) {
      var side = harness.getSideOutput(tag);
      if (side != null) {
        side.clear();
      }
    }
  }
}
