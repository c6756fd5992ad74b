package io.ordo.launcher.cli;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.ordo.launcher.bench.StreamBench;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ordo bench stream}: stream append throughput and append→read latency ({@link
 * StreamBench}) on an embedded Ordo started for the run, or on {@code --gateway}; one run per
 * {@code --batches} value (unbatched = 1). Prints a Markdown table and writes {@code results.json}
 * and {@code results.md} into {@code --out}. Exit 0 when every run committed appends and its
 * readers received records.
 */
@Command(
    name = "stream",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    showDefaultValues = true,
    description = {
      "Stream appends: records/s batched and unbatched, append latency and append->read latency"
          + " (readers follow every shard live)."
    })
public final class BenchStreamCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--gateway", paramLabel = "HOST:PORT",
      description = "gRPC address of a running Ordo gateway; no embedded Ordo is started.")
  String gateway;

  @Mixin ExecutorOptions executorOptions;

  @Option(names = "--shards", paramLabel = "N", description = "Shards of the stream.")
  int shards = 4;

  @Option(names = "--clients", paramLabel = "N", description = "Appending threads (closed loop).")
  int clients = 8;

  @Option(names = "--batches", split = ",", paramLabel = "N[,N...]",
      description = "Records per Append; one run each.")
  List<Integer> batches = List.of(1, 100);

  @Option(names = "--payload-bytes", paramLabel = "BYTES", description = "Bytes per record payload.")
  int payloadBytes = 100;

  @Option(names = "--keys", paramLabel = "N", description = "Distinct partition keys.")
  int keys = 1_000;

  @Option(names = "--key-per-batch",
      description = "All records of an Append share one partition key (one shard, the single-range"
          + " fast path), as a Kafka producer batches per partition. Default: a key per record, so"
          + " a batch spans shards.")
  boolean keyPerBatch;

  @Option(names = "--duration", defaultValue = "20s", paramLabel = "DURATION",
      converter = DurationConverter.class, description = "Measured time per run.")
  Duration duration;

  @Option(names = "--warmup", defaultValue = "5s", paramLabel = "DURATION",
      converter = DurationConverter.class, description = "Unmeasured time first, per run.")
  Duration warmup;

  @Option(names = "--seed", paramLabel = "SEED", description = "Seed of keys and payloads.")
  long seed = 42;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Output folder (default: reports/bench-stream-<yyyyMMdd-HHmmss>).")
  Path out;

  @Override
  public Integer call() throws Exception {
    List<StreamBench.Settings> runs = new ArrayList<>();
    try {
      for (int batch : batches) {
        runs.add(new StreamBench.Settings(shards, clients, batch, payloadBytes, keys, keyPerBatch,
            warmup, duration, seed));
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    String stamp =
        LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path dir = out != null ? out : Path.of("reports", "bench-stream-" + stamp);
    Files.createDirectories(dir);
    PrintWriter err = spec.commandLine().getErr();
    List<StreamBench.Result> results = new ArrayList<>();
    BenchTargets.run(gateway, executorOptions, spec, "stream",
        target -> runAll(target, runs, stamp, results, err));
    BenchTargets.writeReport(spec, dir, "# ordo bench stream\n\n" + StreamBench.toMarkdown(results),
        StreamBench.toJson(results, BenchYcsbtCommand.machine()));
    boolean ok = !results.isEmpty()
        && results.stream().allMatch(r -> r.records() > 0 && r.readRecords() > 0);
    return ok ? OrdoCli.EXIT_OK : OrdoCli.EXIT_FAILURE;
  }

  private static void runAll(String target, List<StreamBench.Settings> runs, String stamp,
      List<StreamBench.Result> results, PrintWriter err) throws InterruptedException {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(target).usePlaintext()
        .maxInboundMessageSize(64 << 20).build();
    try {
      for (StreamBench.Settings s : runs) {
        String stream = "bench-" + stamp + "-b" + s.batch();
        err.println("ordo bench: stream " + stream + ": " + s.clients() + " clients, batch "
            + s.batch() + ", warmup " + s.warmup().toMillis() / 1000.0 + " s, measuring "
            + s.duration().toMillis() / 1000.0 + " s");
        err.flush();
        try {
          results.add(StreamBench.run(channel, stream, s));
        } catch (StatusRuntimeException e) {
          err.println("ordo bench: stream " + stream + " failed: " + e.getStatus());
          err.flush();
        }
      }
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(10, TimeUnit.SECONDS);
    }
  }
}
