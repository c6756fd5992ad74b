package io.ordo.benchmarks;

import io.ordo.executor.operators.KeyedEventTimeSorterFunction;
import io.ordo.executor.serialization.ProtoTypeInfo;
import io.ordo.proto.state.RangeRequest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost per request of the KeyedEventTimeSorter: buffer {@value #PER_WATERMARK} transfer requests
 * of one key range at distinct timestamps, then a watermark past them all releases them in order.
 * Units: µs per request. Parameter {@code backend} hashmap | rocksdb.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class KeyedEventTimeSorterBenchmark {
  /** Requests buffered between two watermarks (about 10 ms of a few thousand txn/s). */
  static final int PER_WATERMARK = 32;

  @Param({"hashmap", "rocksdb"})
  public String backend;

  private KeyedOneInputStreamOperatorTestHarness<Integer, RangeRequest, RangeRequest> harness;
  private List<RangeRequest> template;
  private long ts;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    harness =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new KeyedEventTimeSorterFunction()), RangeRequest::getKeyRange, Types.INT);
    if (backend.equals("rocksdb")) {
      harness.setStateBackend(new EmbeddedRocksDBStateBackend());
    }
    harness.setup(ProtoTypeInfo.forMessage(RangeRequest.class).createSerializer());
    harness.open();
    template = List.of(Ops.request("t", 0, 2, Ops.transfer(Ops.account(1), Ops.account(2), 10)));
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    harness.close();
  }

  @Benchmark
  @OperationsPerInvocation(PER_WATERMARK)
  public void bufferAndRelease() throws Exception {
    RangeRequest base = template.get(0);
    for (int i = 0; i < PER_WATERMARK; i++) {
      long t = ++ts;
      harness.processElement(base.toBuilder().setTxnId("t" + t).setPosition(Ops.position(t)).build(), t);
    }
    harness.processWatermark(ts);
    harness.getOutput().clear();
  }
}
