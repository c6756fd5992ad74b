package io.ordo.launcher.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * What the gRPC benches ({@code ordo bench stream}, {@code ordo bench views}) share: where their
 * runs go (a given gateway, or an embedded Ordo started for them in a temporary data directory
 * and deleted after) and how their report is written ({@code results.json} and {@code
 * results.md} in the output folder, the Markdown also on standard output).
 */
final class BenchTargets {
  private BenchTargets() {}

  /** The runs of a bench against one gRPC target ({@code host:port}). */
  @FunctionalInterface
  interface Runs {
    void run(String target) throws Exception;
  }

  /**
   * Runs {@code runs} against {@code gateway}, or, when it is null, against an embedded Ordo
   * started with {@code executorOptions} in a temporary directory named after {@code name}.
   *
   * @throws ParameterException when the executor options are invalid
   */
  static void run(String gateway, ExecutorOptions executorOptions, CommandSpec spec, String name,
      Runs runs) throws Exception {
    if (gateway != null) {
      runs.run(gateway);
      return;
    }
    PrintWriter err = spec.commandLine().getErr();
    Path data = Files.createTempDirectory("ordo-bench-" + name + "-");
    try {
      EmbeddedOrdo.Options options;
      try {
        options = executorOptions.applyTo(EmbeddedOrdo.Options.defaults(data).withFreePorts());
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage(), e);
      }
      err.println("ordo bench: starting embedded Ordo in " + data.toAbsolutePath());
      err.flush();
      try (EmbeddedOrdo ordo = EmbeddedOrdo.start(options)) {
        runs.run(ordo.grpcTarget());
      }
    } finally {
      DemoCommand.deleteRecursively(data);
    }
  }

  /** Writes {@code json} (indented) and {@code md} into {@code dir} and prints {@code md}. */
  static void writeReport(CommandSpec spec, Path dir, String md, Object json) throws Exception {
    Files.writeString(dir.resolve("results.json"),
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json),
        StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("results.md"), md, StandardCharsets.UTF_8);
    PrintWriter stdout = spec.commandLine().getOut();
    stdout.print(md);
    stdout.flush();
    PrintWriter err = spec.commandLine().getErr();
    err.println("ordo bench: wrote " + dir.resolve("results.json") + " and results.md");
    err.flush();
  }
}
