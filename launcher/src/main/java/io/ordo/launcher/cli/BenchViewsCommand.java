package io.ordo.launcher.cli;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.launcher.bench.ViewBench;
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
 * {@code ordo bench views}: how fast a materialized view and a push query follow a table's
 * inserts ({@link ViewBench}), on an embedded Ordo started for the run (views are maintained in
 * embedded mode) or on {@code --gateway}; one run per {@code --clients} value. Prints a Markdown
 * table and writes {@code results.json} and {@code results.md} into {@code --out}. Exit 0 when
 * every run committed inserts and its view caught up.
 */
@Command(
    name = "views",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    showDefaultValues = true,
    description = {
      "Continuous SQL: inserts/s while a materialized view and a push query follow the table,"
          + " change -> view and push-query delivery latency."
    })
public final class BenchViewsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--gateway", paramLabel = "HOST:PORT",
      description = "gRPC address of a running Ordo gateway whose views are maintained; no"
          + " embedded Ordo is started.")
  String gateway;

  @Mixin ExecutorOptions executorOptions;

  @Option(names = "--clients", split = ",", paramLabel = "N[,N...]",
      description = "Inserting threads (closed loop); one run each.")
  List<Integer> clients = List.of(1, 8);

  @Option(names = "--keys", paramLabel = "N",
      description = "GROUP BY keys of the view (a multiple of every --clients value).")
  int keys = 64;

  @Option(names = "--duration", defaultValue = "20s", paramLabel = "DURATION",
      converter = DurationConverter.class, description = "Measured time per run.")
  Duration duration;

  @Option(names = "--warmup", defaultValue = "5s", paramLabel = "DURATION",
      converter = DurationConverter.class, description = "Unmeasured time first, per run.")
  Duration warmup;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Output folder (default: reports/bench-views-<yyyyMMdd-HHmmss>).")
  Path out;

  @Override
  public Integer call() throws Exception {
    List<ViewBench.Settings> runs = new ArrayList<>();
    try {
      for (int c : clients) {
        runs.add(new ViewBench.Settings(c, keys, warmup, duration));
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    String stamp =
        LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path dir = out != null ? out : Path.of("reports", "bench-views-" + stamp);
    Files.createDirectories(dir);
    PrintWriter err = spec.commandLine().getErr();
    List<ViewBench.Result> results = new ArrayList<>();
    BenchTargets.run(gateway, executorOptions, spec, "views",
        target -> runAll(target, runs, results, err));
    BenchTargets.writeReport(spec, dir, "# ordo bench views\n\n" + ViewBench.toMarkdown(results),
        ViewBench.toJson(results, BenchYcsbtCommand.machine()));
    boolean ok = results.size() == runs.size()
        && results.stream().allMatch(r -> r.inserts() > 0 && r.viewCaughtUpMs() >= 0);
    return ok ? OrdoCli.EXIT_OK : OrdoCli.EXIT_FAILURE;
  }

  private static void runAll(String target, List<ViewBench.Settings> runs,
      List<ViewBench.Result> results, PrintWriter err) throws InterruptedException {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(target).usePlaintext().build();
    try {
      int n = 0;
      for (ViewBench.Settings s : runs) {
        String name = "bench_views_" + (++n);
        err.println("ordo bench: views run " + n + ": " + s.clients() + " clients, " + s.keys()
            + " keys, warmup " + s.warmup().toMillis() / 1000.0 + " s, measuring "
            + s.duration().toMillis() / 1000.0 + " s");
        err.flush();
        try {
          results.add(ViewBench.run(channel, name, s));
        } catch (RuntimeException e) {
          err.println("ordo bench: views run " + n + " failed: " + e);
          err.flush();
        }
      }
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(10, TimeUnit.SECONDS);
    }
  }
}
