package io.ordo.launcher.cli;

import io.ordo.launcher.bench.KafkaCeilingBench;
import io.ordo.sequencer.KafkaClientSettings;
import io.ordo.sequencer.LogTopics;
import io.ordo.sequencer.TopicLayout;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ordo bench kafka}: the sequencer's ceiling ({@link KafkaCeilingBench}) on an embedded
 * KRaft broker started for the run, or on {@code --bootstrap-servers}, with a fresh topic layout
 * {@code ordo-bench-<time>} created like Ordo's ({@link LogTopics#ensure}). Prints a table on
 * stdout and writes {@code results.json} and {@code results.md} into {@code --out}.
 */
@Command(
    name = "kafka",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    showDefaultValues = true,
    description = {
      "The log's ceiling: raw producer -> consumer throughput of YCSB-T transfer entries with"
          + " the sequencer's own producer settings, and end-to-end latency."
    })
public final class BenchKafkaCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
      description = "Use this Kafka instead of starting the embedded broker.")
  String bootstrapServers;

  @Mixin KafkaClientOptions kafkaClient = new KafkaClientOptions();

  @Option(names = "--duration", defaultValue = "20s", paramLabel = "DURATION",
      converter = DurationConverter.class, description = "Measured time.")
  Duration duration;

  @Option(names = "--warmup", defaultValue = "5s", paramLabel = "DURATION",
      converter = DurationConverter.class, description = "Unmeasured time first.")
  Duration warmup;

  @Option(names = "--in-flight", paramLabel = "N",
      description = "Unacknowledged entries at most (the gateway has one per waiting client).")
  int inFlight = 1_024;

  @Option(names = "--log-partitions", paramLabel = "N",
      description = "Partitions of the log topic (Ordo's default).")
  int logPartitions = TopicLayout.DEFAULT_LOG_PARTITIONS;

  @Option(names = "--seed", paramLabel = "SEED", description = "Seed of the transfers.")
  long seed = 42;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Output folder (default: reports/bench-kafka-<yyyyMMdd-HHmmss>).")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (inFlight < 1 || inFlight > KafkaCeilingBench.IN_FLIGHT_MAX) {
      throw new ParameterException(spec.commandLine(), "--in-flight must be in [1, "
          + KafkaCeilingBench.IN_FLIGHT_MAX + "], got " + inFlight);
    }
    if (duration.isZero() || duration.isNegative() || warmup.isNegative()) {
      throw new ParameterException(spec.commandLine(),
          "--duration must be positive and --warmup >= 0");
    }
    String stamp =
        LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    TopicLayout layout;
    try {
      layout = TopicLayout.withPrefix("ordo-bench-" + stamp).withLogPartitions(logPartitions);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    Optional<KafkaClientSettings> external;
    try {
      external = kafkaClient.settings(bootstrapServers);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    Path dir = out != null ? out : Path.of("reports", "bench-kafka-" + stamp);
    Files.createDirectories(dir);
    PrintWriter err = spec.commandLine().getErr();
    KafkaCeilingBench.Result result;
    if (external.isPresent()) {
      result = run(external.get(), layout, err);
    } else {
      Path data = Files.createTempDirectory("ordo-bench-kafka-");
      try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(data, 0)) {
        err.println("ordo bench: embedded Kafka broker on " + broker.bootstrapServers());
        result = run(KafkaClientSettings.of(broker.bootstrapServers()), layout, err);
      } finally {
        DemoCommand.deleteRecursively(data);
      }
    }
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("broker", bootstrapServers == null ? "embedded" : bootstrapServers);
    // Names and non-secret values only (KafkaClientSettings.redacted).
    external.ifPresent(k -> settings.put("kafkaClientProperties", k.redacted()));
    settings.put("logPartitions", logPartitions);
    settings.put("inFlight", inFlight);
    settings.put("warmupSeconds", warmup.toMillis() / 1000.0);
    settings.put("durationSeconds", duration.toMillis() / 1000.0);
    settings.put("producer", "the Sequencer's (idempotent, acks=all, linger.ms=0,"
        + " max.in.flight.requests.per.connection=5)");
    String md = "# ordo bench kafka\n\n" + KafkaCeilingBench.toMarkdown(result, inFlight);
    Files.writeString(dir.resolve("results.json"),
        KafkaCeilingBench.toJson(result, BenchYcsbtCommand.machine(), settings),
        StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("results.md"), md, StandardCharsets.UTF_8);
    PrintWriter stdout = spec.commandLine().getOut();
    stdout.print(md);
    stdout.flush();
    err.println("ordo bench: wrote " + dir.resolve("results.json") + " and results.md");
    err.flush();
    return result.received() > 0 ? OrdoCli.EXIT_OK : OrdoCli.EXIT_FAILURE;
  }

  private KafkaCeilingBench.Result run(KafkaClientSettings kafka, TopicLayout layout, PrintWriter err)
      throws InterruptedException {
    LogTopics.ensure(kafka, layout, Duration.ofSeconds(60));
    err.println("ordo bench: topic " + layout.logTopic() + " (" + layout.logPartitions()
        + " partitions); warmup " + warmup.toMillis() / 1000.0 + " s, measuring "
        + duration.toMillis() / 1000.0 + " s with " + inFlight + " in flight");
    err.flush();
    return KafkaCeilingBench.run(kafka, layout, warmup, duration, inFlight, seed);
  }
}
