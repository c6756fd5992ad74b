package io.ordo.launcher.cli;

import static io.ordo.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ordo cluster}: what it refuses before starting anything, and down/status without a cluster. */
class ClusterCommandTest {
  @TempDir Path dir;

  @Test
  void theCommandIsListedInTheHelp() {
    CliRun r = run("--help");
    assertThat(r.out()).contains("cluster");
    CliRun c = run("cluster", "--help");
    assertThat(c.out()).contains("up", "down", "status");
  }

  @Test
  void upNeedsFlinksJarsAndTheJobJar() {
    CliRun r = run("cluster", "up", "--dir", dir.resolve("c").toString(), "--flink-lib", dir.toString(), "--job-jar",
        dir.resolve("job.jar").toString());
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("no flink-runtime jar in " + dir);
  }

  @Test
  void upRefusesAForeignNonEmptyDirectory() throws Exception {
    Path lib = Files.createDirectories(dir.resolve("lib"));
    Files.writeString(lib.resolve("flink-runtime-2.2.1.jar"), "");
    Path jar = Files.writeString(dir.resolve("job.jar"), "");
    Path target = Files.createDirectories(dir.resolve("data"));
    Files.writeString(target.resolve("precious.txt"), "keep me");
    CliRun r = run("cluster", "up", "--dir", target.toString(), "--flink-lib", lib.toString(), "--job-jar", jar.toString());
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("is not empty and holds no cluster.json");
    assertThat(target.resolve("precious.txt")).exists();
  }

  @Test
  void downAndStatusWithoutAClusterSaySo() {
    CliRun down = run("cluster", "down", "--dir", dir.toString());
    assertThat(down.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(down.err()).contains("no cluster in " + dir);
    CliRun status = run("cluster", "status", "--dir", dir.toString());
    assertThat(status.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
  }

  @Test
  void downKillsNothingThatIsNotTheClusters() throws Exception {
    // This test JVM's pid, recorded as if it were a gateway: its command line does not mention
    // the cluster directory, so down must leave it alone.
    Files.writeString(dir.resolve("cluster.json"), "{\"pids\": {\"gateway\": " + ProcessHandle.current().pid() + "}}");
    CliRun down = run("cluster", "down", "--dir", dir.toString());
    assertThat(down.exitCode()).isEqualTo(OrdoCli.EXIT_OK);
    assertThat(down.out()).contains("nothing was running");
    assertThat(ProcessHandle.current().isAlive()).isTrue();
  }
}
