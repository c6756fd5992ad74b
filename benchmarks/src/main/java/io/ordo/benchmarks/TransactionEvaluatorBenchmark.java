package io.ordo.benchmarks;

import io.ordo.executor.evaluation.TransactionEvaluator;
import io.ordo.proto.Value;
import io.ordo.proto.state.IndexedOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Cost of deciding one YCSB-T transfer (TransactionEvaluator), in ns: the pure core. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TransactionEvaluatorBenchmark {
  private final List<IndexedOp> ops = new ArrayList<>();
  private final Map<String, Optional<Value>> current = new TreeMap<>();

  public TransactionEvaluatorBenchmark() {
    var transfer = Ops.request("t", 1, 1, Ops.transfer(Ops.account(1), Ops.account(2), 10));
    ops.addAll(transfer.getOpsList());
    current.put(Ops.account(1), Optional.of(Value.newBuilder().setCounter(1000).build()));
    current.put(Ops.account(2), Optional.of(Value.newBuilder().setCounter(1000).build()));
  }

  @Benchmark
  public TransactionEvaluator.Evaluation evaluateTransfer() {
    return TransactionEvaluator.evaluate("t", Ops.position(1), ops, current, false, 1);
  }
}
