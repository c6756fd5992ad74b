package io.ordo.benchmarks;

import io.ordo.executor.operators.SequenceFanOutFunction;
import io.ordo.executor.serialization.ProtoTypeInfo;
import io.ordo.proto.LogEntry;
import io.ordo.proto.Transaction;
import io.ordo.proto.state.LogRecord;
import io.ordo.proto.state.RangeRequest;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.storage.JobManagerCheckpointStorage;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
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
 * Cost of one checkpoint of the SequenceFanOut when its dedup window is full: {@code ids}
 * transactions with 36-character ids (the gateway's UUIDs) were sequenced on one log partition
 * within the 10-minute window (600,000 = 10 minutes at 1,000 txn/s), then the operator is
 * snapshotted (synchronous and asynchronous parts, heap backend, as every checkpoint does).
 * Units: ms per checkpoint. The state's size is printed once per trial.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class SequenceFanOutCheckpointBenchmark {
  private static final long WINDOW_MS = 600_000;

  @Param({"100000", "600000"})
  public int ids;

  private KeyedOneInputStreamOperatorTestHarness<Integer, LogRecord, RangeRequest> harness;
  private long checkpointId;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    harness =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new SequenceFanOutFunction(16, WINDOW_MS)), LogRecord::getPartition, Types.INT);
    // The harness keeps checkpoints in memory, capped at 5 MB by default; a full window is more.
    harness.setCheckpointStorage(new JobManagerCheckpointStorage(512 * 1024 * 1024));
    harness.setup(ProtoTypeInfo.forMessage(RangeRequest.class).createSerializer());
    harness.open();
    Random random = new Random(42);
    long firstTs = 1_800_000_000_000L;
    for (int i = 0; i < ids; i++) {
      long ts = firstTs + i * (WINDOW_MS - 1) / ids; // all within one window
      String id = new UUID(random.nextLong(), random.nextLong()).toString();
      Transaction txn = Transaction.newBuilder().setId(id).addAllOps(Ops.transfer(Ops.account(i % 10_000), Ops.account((i + 1) % 10_000), 1)).build();
      harness.processElement(
          LogRecord.newBuilder().setPartition(0).setOffset(i).setBrokerTs(ts).setRecordKey(id)
              .setEntry(LogEntry.newBuilder().setTransaction(txn)).build(),
          ts);
      if (i % 10_000 == 0) {
        harness.getOutput().clear();
      }
    }
    harness.getOutput().clear();
    OperatorSubtaskState state = harness.snapshot(++checkpointId, firstTs + WINDOW_MS);
    System.out.printf("%n%d ids in the window: keyed state snapshot of %.1f MB%n", ids, state.getStateSize() / 1e6);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    harness.close();
  }

  @Benchmark
  public OperatorSubtaskState checkpoint() throws Exception {
    return harness.snapshot(++checkpointId, checkpointId);
  }
}
