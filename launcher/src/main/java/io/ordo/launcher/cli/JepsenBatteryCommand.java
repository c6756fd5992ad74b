package io.ordo.launcher.cli;

import io.ordo.jepsen.report.BatterySummary;
import io.ordo.jepsen.report.ReportWriter;
import io.ordo.jepsen.runner.ReshardNemesis;
import io.ordo.jepsen.runner.RunConfig;
import io.ordo.jepsen.workload.StreamWorkload;
import io.ordo.jepsen.workload.Workloads;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ordo jepsen-battery}: the long battery as one command — {@code ordo jepsen} once per
 * (seed, workload), each in a JVM of its own (a run's faults, threads and child processes end with
 * it), then a summary of all runs ({@link BatterySummary}: {@code battery.json}, {@code battery.md})
 * in the output folder, rewritten after every run so an interrupted battery still reports what ran.
 *
 * <p>Layout: {@code <out>/<workload>-<seed>/} holds each run's report folder and its log ({@code
 * run.log}). Runs are ordered seed by seed, all workloads per seed, so a battery cut short has
 * covered every workload. {@code --resume} keeps runs whose folder already has results.
 *
 * <p>Exit code 0 only if every run is valid; 1 otherwise (an invalid, unknown or failed run); 2 for
 * usage errors, including an {@code ordo jepsen} run that refused its options.
 */
@Command(
    name = "jepsen-battery",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    showDefaultValues = true,
    description = {
      "Run `ordo jepsen` for every workload and seed (each in its own JVM) and summarize the runs.",
      "Writes <out>/<workload>-<seed>/ per run and <out>/battery.md and battery.json. Exit code 0 only if every run is valid."
    })
public final class JepsenBatteryCommand implements Callable<Integer> {
  /** Seconds a run may take beyond its time limit (cluster start, recovery, final reads, checking). */
  static final long RUN_OVERHEAD_S = 900;

  @Spec CommandSpec spec;

  @Option(names = "--workloads", split = ",", paramLabel = "NAME[,NAME]", description = "Workloads to run.")
  List<String> workloads = new ArrayList<>(Workloads.NAMES);

  @Option(names = "--nemesis", split = ",", paramLabel = "NAME[,NAME]",
      description = "Faults of every run (as `ordo jepsen --nemesis`), started and stopped in turn.")
  List<String> nemeses = new ArrayList<>(JepsenCommand.NEMESES.stream().filter(n -> !n.equals("none")).toList());

  @Option(names = "--runs", paramLabel = "N", description = "Runs per workload, with seeds --first-seed, --first-seed + 1, ...")
  int runs = 10;

  @Option(names = "--first-seed", paramLabel = "X", description = "Seed of each workload's first run.")
  long firstSeed = 1;

  @Option(names = "--time-limit", paramLabel = "S", description = "Seconds of operations per run.")
  double timeLimitS = 300;

  @Option(names = "--concurrency", paramLabel = "N", description = "Concurrent workers per run.")
  int concurrency = 4;

  @Option(names = "--nemesis-interval", paramLabel = "S", description = "Seconds between fault transitions.")
  double nemesisIntervalS = RunConfig.DEFAULT_NEMESIS_INTERVAL_MS / 1000.0;

  @Option(names = "--out", paramLabel = "DIR", description = "Output folder.")
  Path out = Path.of("jepsen-battery");

  @Option(names = "--resume", description = "Keep runs whose folder already holds results.json instead of running them again.")
  boolean resume;

  @Override
  public Integer call() throws Exception {
    if (runs < 1 || runs > 1000) {
      throw new ParameterException(spec.commandLine(), "--runs must be in [1, 1000], got " + runs);
    }
    if (!(timeLimitS > 0) || timeLimitS > 86_400) {
      throw new ParameterException(spec.commandLine(), "--time-limit must be in (0, 86400] seconds, got " + timeLimitS);
    }
    for (String w : workloads) {
      if (!Workloads.NAMES.contains(w.trim())) {
        throw new ParameterException(spec.commandLine(), "unknown workload '" + w + "'; known: " + String.join(", ", Workloads.NAMES));
      }
    }
    for (String n : nemeses) {
      if (!JepsenCommand.NEMESES.contains(n.trim())) {
        throw new ParameterException(spec.commandLine(), "unknown nemesis '" + n + "'; known: " + String.join(", ", JepsenCommand.NEMESES));
      }
    }
    PrintWriter o = spec.commandLine().getOut();
    Files.createDirectories(out);
    BatterySummary summary = new BatterySummary();
    int total = runs * workloads.size();
    int done = 0;
    for (long seed = firstSeed; seed < firstSeed + runs; seed++) {
      for (String workload : workloads) {
        String w = workload.trim();
        Path dir = out.resolve(w + "-" + seed);
        done++;
        BatterySummary.Run row;
        if (resume && Files.isRegularFile(dir.resolve(ReportWriter.RESULTS_FILE))) {
          row = summary.add(dir, w, seed, -1, -1);
          o.printf(Locale.ROOT, "[%d/%d] %s seed %d: kept from an earlier battery: %s%n", done, total, w, seed, row.verdict().name().toLowerCase(Locale.ROOT));
        } else {
          Files.createDirectories(dir);
          long started = System.nanoTime();
          int exit = runOne(w, seed, dir);
          long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
          if (exit == OrdoCli.EXIT_USAGE) {
            spec.commandLine().getErr().println("ordo jepsen-battery: `ordo jepsen` refused its options; see " + dir.resolve("run.log"));
            return OrdoCli.EXIT_USAGE;
          }
          row = summary.add(dir, w, seed, exit, seconds);
          o.printf(Locale.ROOT, "[%d/%d] %s seed %d: %s, %d ok, %d fail, %d info, faults %s%s in %d s%n", done, total, w, seed,
              row.verdict().name().toLowerCase(Locale.ROOT), row.ok(), row.fail(), row.info(), row.faults(),
              row.anomalyTypes().isEmpty() ? "" : ", anomalies " + row.anomalyTypes(), seconds);
        }
        o.flush();
        summary.write(out);
      }
    }
    o.println((summary.passed() ? "PASSED" : "NOT PASSED") + "; summary: " + out.resolve(BatterySummary.MARKDOWN_FILE).toAbsolutePath());
    o.flush();
    return summary.passed() ? OrdoCli.EXIT_OK : OrdoCli.EXIT_FAILURE;
  }

  /**
   * This JVM's options for a run's JVM (heap, collector, system properties), without those that
   * would clash between two JVMs: agents (a debugger's port, a profiler) and flight recordings
   * (one output file).
   */
  static List<String> childJvmOptions(List<String> options) {
    List<String> out = new ArrayList<>();
    for (String o : options) {
      if (!(o.startsWith("-agentlib") || o.startsWith("-agentpath") || o.startsWith("-javaagent") || o.startsWith("-Xrunjdwp")
          || o.startsWith("-XX:StartFlightRecording") || o.startsWith("-XX:FlightRecorderOptions"))) {
        out.add(o);
      }
    }
    return out;
  }

  /**
   * The faults of one run, in the order the run starts them: the battery's, without {@code
   * reshard} for the workloads other than stream (it splits and merges the stream workload's
   * shards), rotated left by {@code (seed - 1) mod n}; {@code none} if nothing is left.
   *
   * <p>Why the rotation: a run starts its faults in turn from the first, so a short run reaches
   * only the first few (a 120 s run about four of the five cluster faults, never {@code partition}
   * or {@code reshard} at the end of the list). Rotating by seed makes consecutive seeds start
   * with different faults, so a battery of a few seeds covers every fault; seed 1 keeps the
   * given order.
   */
  List<String> nemesesFor(String workload, long seed) {
    List<String> out = new ArrayList<>();
    for (String n : nemeses) {
      String name = n.trim();
      if (!name.equals(ReshardNemesis.NAME) || workload.equals(StreamWorkload.NAME)) {
        out.add(name);
      }
    }
    if (out.isEmpty()) {
      return List.of("none");
    }
    Collections.rotate(out, -(int) Math.floorMod(seed - 1, (long) out.size()));
    return out;
  }

  /**
   * Runs {@code ordo jepsen} for one workload and seed in a child JVM with this JVM's class path
   * and options, output to {@code dir/run.log}.
   *
   * @return its exit code; {@link OrdoCli#EXIT_FAILURE} if it had to be killed after the time limit
   *     plus {@value #RUN_OVERHEAD_S} s
   */
  private int runOne(String workload, long seed, Path dir) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(childJvmOptions(ManagementFactory.getRuntimeMXBean().getInputArguments()));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(OrdoCli.class.getName());
    cmd.addAll(List.of("jepsen", "--workload", workload, "--nemesis", String.join(",", nemesesFor(workload, seed)), "--seed", Long.toString(seed),
        "--time-limit", Double.toString(timeLimitS), "--concurrency", Integer.toString(concurrency),
        "--nemesis-interval", Double.toString(nemesisIntervalS), "--out", dir.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("run.log").toFile()).start();
    try {
      if (!p.waitFor((long) timeLimitS + RUN_OVERHEAD_S, TimeUnit.SECONDS)) {
        // Its children (brokers, executor, gateway) halt when it is gone (ParentWatchMain).
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor();
        return OrdoCli.EXIT_FAILURE;
      }
      return p.exitValue();
    } finally {
      if (p.isAlive()) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
    }
  }
}
