package io.ordo.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

/**
 * {@code docker-compose -f docker/compose.yaml config}: docker-compose's own validation of the
 * file (schema, references, interpolation), which needs no Docker engine. The tool is Debian's
 * docker-compose 1.29 ({@code apt-get install docker-compose}, which .ci/run does). Without it the
 * test fails when {@code CI=true} and is skipped, with the reason, otherwise.
 */
class ComposeConfigTest {
  @TempDir Path tempDir;

  static final String TOOL = "docker-compose";

  static Optional<Path> onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir, tool);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  record Run(int exitCode, String out, String err) {}

  static Run run(List<String> command) throws IOException, InterruptedException {
    Path out = Files.createTempFile("compose-config", ".out");
    Path err = Files.createTempFile("compose-config", ".err");
    try {
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectOutput(out.toFile()).redirectError(err.toFile());
      // Validation only: never talk to an engine, whatever the environment says.
      builder.environment().remove("DOCKER_HOST");
      Process process = builder.start();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        fail(String.join(" ", command) + " did not finish within 60 s");
      }
      return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /**
   * Returns if {@code tool} is present; otherwise fails when {@code ci} is "true" and aborts the
   * test (a skip, with the reason) when it is not.
   */
  static void requireToolOrSkip(Optional<Path> tool, String ci) {
    if (tool.isPresent()) {
      return;
    }
    if ("true".equalsIgnoreCase(ci)) {
      fail(TOOL + " is not on the PATH and CI=true: .ci/run installs it (apt-get install -y"
          + " docker-compose) so that this test validates docker/compose.yaml");
    }
    assumeTrue(false, TOOL + " is not on the PATH (Debian package docker-compose; .ci/run"
        + " installs it), so docker/compose.yaml was not validated by docker-compose here;"
        + " ComposeFileTest still checked it against the command line. With CI=true this is a"
        + " failure.");
  }

  @Test
  void withoutDockerComposeCiFailsAndOtherwiseTheTestIsSkipped() {
    assertThatThrownBy(() -> requireToolOrSkip(Optional.empty(), "true"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("CI=true");
    assertThatThrownBy(() -> requireToolOrSkip(Optional.empty(), null))
        .isInstanceOf(TestAbortedException.class).hasMessageContaining("not validated");
    requireToolOrSkip(Optional.of(Path.of("/usr/bin/docker-compose")), "true");
  }

  @Test
  void dockerComposeAcceptsTheComposeFile() throws Exception {
    Optional<Path> tool = onPath(TOOL);
    requireToolOrSkip(tool, System.getenv("CI"));
    Path compose = ComposeFileTest.repositoryRoot().resolve("docker/compose.yaml");

    Run config = run(List.of(tool.get().toString(), "-f", compose.toString(), "config"));
    assertThat(config.exitCode()).as("%s config rejected the file:%n%s", TOOL, config.err()).isZero();
    assertThat(config.out()).startsWith("services:");

    Run services = run(List.of(tool.get().toString(), "-f", compose.toString(), "config", "--services"));
    assertThat(services.exitCode()).as(services.err()).isZero();
    List<String> expected = new ArrayList<>();
    new ObjectMapper(new YAMLFactory()).readTree(compose.toFile()).get("services").fieldNames()
        .forEachRemaining(expected::add);
    assertThat(services.out().lines().toList()).containsExactlyInAnyOrderElementsOf(expected);

    // The validator validates: the same file with a misspelt key is rejected, naming it.
    Path broken = tempDir.resolve("compose.yaml");
    String text = Files.readString(compose);
    assertThat(text).contains("    command: [\"gateway\"]");
    Files.writeString(broken, text.replaceFirst("    command: \\[\"gateway\"\\]", "    commmand: [\"gateway\"]"));
    Run rejected = run(List.of(tool.get().toString(), "-f", broken.toString(), "config", "-q"));
    assertThat(rejected.exitCode()).isNotZero();
    assertThat(rejected.err()).contains("commmand");
  }
}
