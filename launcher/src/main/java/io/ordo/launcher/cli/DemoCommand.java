package io.ordo.launcher.cli;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.launcher.demo.BankDemo;
import io.ordo.launcher.demo.BankDemoConfig;
import io.ordo.launcher.demo.BankDemoReport;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ordo demo}: the bank demo ({@link BankDemo}), either on an embedded Ordo started for the
 * run or against a running gateway ({@code --target}). Prints a report and a one-line JSON summary
 * on stdout; status messages, logs and the progress bar go to stderr. Exits 1 if the bank's
 * invariant does not hold (or nothing committed, or a transfer had an unexpected outcome).
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    showDefaultValues = true,
    description = {
      "Run the bank demo: the YCSB-T transfer workload through the gRPC API, then check in one"
          + " consistent read that money is conserved and no balance is negative.",
      "Without --target it starts an embedded Ordo (free ports) on --data-dir, by default a"
          + " fresh temporary directory deleted afterwards."
    })
public final class DemoCommand implements Callable<Integer> {
  /** Maximum gRPC message size the demo accepts (the all-accounts read is a few hundred KiB). */
  static final int INBOUND_MESSAGE_BYTES_MAX = 64 * 1024 * 1024;

  @Spec CommandSpec spec;

  @Option(
      names = "--target",
      paramLabel = "HOST:PORT",
      description = "gRPC address of a running gateway; no embedded Ordo is started.")
  String target;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description = "Data directory of the embedded Ordo (default: a fresh temporary directory).")
  Path dataDir;

  @Option(
      names = "--keep-data",
      description = "Keep the temporary data directory after the run.")
  boolean keepData;

  @Mixin ExecutorOptions executorOptions;

  @Option(names = "--accounts", paramLabel = "N", description = "Number of accounts.")
  int accounts = BankDemoConfig.defaults().accounts();

  @Option(
      names = "--initial-balance",
      paramLabel = "AMOUNT",
      description = "Initial balance of every account.")
  long initialBalance = BankDemoConfig.defaults().initialBalance();

  @Option(names = "--clients", paramLabel = "N", description = "Concurrent closed-loop clients.")
  int clients = BankDemoConfig.defaults().clients();

  @Option(
      names = "--duration",
      defaultValue = "30s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How long the clients run (e.g. 30s, 2m, or plain seconds).")
  Duration duration;

  @Option(names = "--theta", paramLabel = "THETA", description = "Zipfian skew of the creditor.")
  double theta = BankDemoConfig.defaults().theta();

  @Option(
      names = "--max-amount",
      paramLabel = "AMOUNT",
      description = "Transfer amounts are uniform in [1, AMOUNT].")
  long maxAmount = BankDemoConfig.defaults().maxAmount();

  @Option(names = "--seed", paramLabel = "SEED", description = "Seed of the clients' Randoms.")
  long seed = BankDemoConfig.defaults().seed();

  @Option(
      names = "--load-batch-size",
      paramLabel = "N",
      description = "Accounts loaded per transaction.")
  int loadBatchSize = BankDemoConfig.defaults().loadBatchSize();

  @Option(
      names = "--rpc-timeout",
      defaultValue = "30s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Deadline of each transfer.")
  Duration rpcTimeout;

  @Option(
      names = "--ready-timeout",
      defaultValue = "120s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How long to wait for the gateway to serve.")
  Duration readyTimeout;

  @Option(names = "--no-progress", description = "Do not draw a progress bar.")
  boolean noProgress;

  @Option(
      names = "--json-summary",
      paramLabel = "FILE",
      description = "Also write the one-line JSON summary to FILE.")
  Path jsonSummary;

  @Override
  public Integer call() throws Exception {
    BankDemoConfig config = config();
    if (target != null && (dataDir != null || keepData || executorOptions.anySet())) {
      throw new ParameterException(spec.commandLine(),
          "--target runs against an existing gateway and cannot be combined with the options of"
              + " the embedded Ordo (--data-dir, --keep-data, --bootstrap-servers, --key-ranges,"
              + " --parallelism, --checkpoint-interval-ms)");
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    err.println("ordo demo: " + config.accounts() + " accounts of " + config.initialBalance()
        + ", " + config.clients() + " clients, seed " + config.seed());
    err.flush();
    BankDemoReport report =
        target != null ? runAgainst(target, config, err) : runEmbedded(config, err);
    out.print(report.toText());
    out.println(report.toJson());
    out.flush();
    if (jsonSummary != null) {
      Files.writeString(jsonSummary, report.toJson() + System.lineSeparator(),
          StandardCharsets.UTF_8);
    }
    return report.passed() ? OrdoCli.EXIT_OK : OrdoCli.EXIT_FAILURE;
  }

  /**
   * The workload these options describe (package-private for tests).
   *
   * @throws ParameterException if a value is out of range
   */
  BankDemoConfig config() {
    try {
      return new BankDemoConfig(accounts, initialBalance, clients, duration, theta, maxAmount,
          seed, loadBatchSize, rpcTimeout, readyTimeout, !noProgress);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  private BankDemoReport runEmbedded(BankDemoConfig config, PrintWriter err) throws Exception {
    boolean temporary = dataDir == null;
    Path dir = temporary ? Files.createTempDirectory("ordo-demo-") : dataDir;
    try {
      EmbeddedOrdo.Options options;
      try {
        options = executorOptions.applyTo(EmbeddedOrdo.Options.defaults(dir).withFreePorts());
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage(), e);
      }
      err.println("ordo demo: starting embedded Ordo in " + dir.toAbsolutePath());
      err.flush();
      try (EmbeddedOrdo ordo = EmbeddedOrdo.start(options)) {
        err.println("ordo demo: gateway on " + ordo.grpcTarget() + ", Kafka on "
            + ordo.bootstrapServers());
        err.flush();
        return runAgainst(ordo.grpcTarget(), config, err);
      }
    } finally {
      if (temporary && !keepData) {
        deleteRecursively(dir);
      } else if (temporary) {
        err.println("ordo demo: kept the data in " + dir.toAbsolutePath());
        err.flush();
      }
    }
  }

  private static BankDemoReport runAgainst(String target, BankDemoConfig config, PrintWriter err)
      throws InterruptedException {
    ManagedChannel channel =
        ManagedChannelBuilder.forTarget(target)
            .usePlaintext()
            .maxInboundMessageSize(INBOUND_MESSAGE_BYTES_MAX)
            .build();
    try {
      return BankDemo.run(config, channel, err);
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** Deletes a directory tree (files first); best effort, as it only removes temporary data. */
  static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        Files.deleteIfExists(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
