package io.ordo.launcher.cli;

import static io.ordo.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code ordo jepsen}: bad input is a usage error with the reason, before anything starts. */
class JepsenCommandTest {
  @Test
  void anUnknownWorkloadIsAUsageErrorListingTheKnownOnes() {
    CliRun r = run("jepsen", "--workload", "queue", "--target", "localhost:1");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("unknown workload 'queue'", "list-append, rw-register, bank, kv");
  }

  @Test
  void anUnknownNemesisIsAUsageError() {
    CliRun r = run("jepsen", "--workload", "bank", "--nemesis", "none,flood", "--target", "localhost:1");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("unknown nemesis 'flood'", "none, kill-job, kill-broker, pause, restart-all, partition");
  }

  @Test
  void brokerFaultsCannotRunOnOneBroker() {
    CliRun r = run("jepsen", "--workload", "bank", "--nemesis", "kill-job,pause", "--cluster", "1");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("--cluster 1 cannot run kill-job,pause", "need --cluster 3");
  }

  @Test
  void theClusterHasOneOrThreeBrokers() {
    CliRun r = run("jepsen", "--workload", "bank", "--nemesis", "kill-broker", "--cluster", "2");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("--cluster must be 1 or 3, got 2");
  }

  @Test
  void clusterFaultsNeedTheEmbeddedOrdoToo() {
    CliRun r = run("jepsen", "--workload", "kv", "--nemesis", "partition", "--target", "localhost:1");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("--target runs only with --nemesis none");
  }

  @Test
  void reshardNeedsTheStreamWorkloadAndRunsAgainstAnyGateway() {
    CliRun r = run("jepsen", "--workload", "kv", "--nemesis", "reshard", "--target", "localhost:1");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("--nemesis reshard", "needs --workload stream, not kv");
    JepsenCommand c = new JepsenCommand();
    c.spec = OrdoCli.newCommandLine().getSubcommands().get("jepsen").getCommandSpec();
    assertThat(c.brokers(java.util.List.of("reshard"))).as("no broker fault: one broker").isEqualTo(1);
  }

  @Test
  void aBatteryReshardsOnlyTheStreamWorkload() {
    JepsenBatteryCommand battery = new JepsenBatteryCommand();
    battery.nemeses = new java.util.ArrayList<>(java.util.List.of("kill-job", "reshard"));
    assertThat(battery.nemesesFor("stream", 1)).containsExactly("kill-job", "reshard");
    assertThat(battery.nemesesFor("kv", 1)).containsExactly("kill-job");
    battery.nemeses = new java.util.ArrayList<>(java.util.List.of("reshard"));
    assertThat(battery.nemesesFor("bank", 1)).containsExactly("none");
  }

  @Test
  void eachSeedOfABatteryStartsWithAnotherFault() {
    JepsenBatteryCommand battery = new JepsenBatteryCommand();
    battery.nemeses = new java.util.ArrayList<>(
        java.util.List.of("kill-job", "kill-broker", "pause", "restart-all", "partition", "reshard"));
    assertThat(battery.nemesesFor("kv", 1))
        .containsExactly("kill-job", "kill-broker", "pause", "restart-all", "partition");
    assertThat(battery.nemesesFor("kv", 2))
        .containsExactly("kill-broker", "pause", "restart-all", "partition", "kill-job");
    assertThat(battery.nemesesFor("kv", 6)).isEqualTo(battery.nemesesFor("kv", 1));
    assertThat(battery.nemesesFor("stream", 3))
        .containsExactly("pause", "restart-all", "partition", "reshard", "kill-job", "kill-broker");
    assertThat(battery.nemesesFor("stream", 7)).isEqualTo(battery.nemesesFor("stream", 1));
  }

  @Test
  void theClusterSizeFollowsTheFaults() {
    JepsenCommand c = new JepsenCommand();
    c.spec = OrdoCli.newCommandLine().getSubcommands().get("jepsen").getCommandSpec();
    assertThat(c.brokers(java.util.List.of())).isEqualTo(1);
    assertThat(c.brokers(java.util.List.of("kill-job"))).isEqualTo(1);
    assertThat(c.brokers(java.util.List.of("kill-job", "pause"))).isEqualTo(3);
    assertThat(c.brokers(java.util.List.of("partition"))).isEqualTo(3);
    c.cluster = 3;
    assertThat(c.brokers(java.util.List.of("kill-job"))).isEqualTo(3);
  }

  @Test
  void theFlinkClusterRunsOnThreeBrokersOnly() {
    JepsenCommand c = new JepsenCommand();
    c.spec = OrdoCli.newCommandLine().getSubcommands().get("jepsen").getCommandSpec();
    c.flinkCluster = true;
    assertThat(c.brokers(java.util.List.of())).isEqualTo(3);
    assertThat(c.brokers(java.util.List.of("kill-job"))).isEqualTo(3);
    CliRun one = run("jepsen", "--workload", "bank", "--flink-cluster", "--cluster", "1");
    assertThat(one.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(one.err()).contains("--flink-cluster runs on the 3-broker cluster");
    CliRun target = run("jepsen", "--workload", "bank", "--flink-cluster", "--target", "localhost:1");
    assertThat(target.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(target.err()).contains("--target and --flink-cluster exclude each other");
  }

  @Test
  void theFlinkClusterNeedsFlinksJarsAndTheJobJar(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    CliRun r = run("jepsen", "--workload", "bank", "--flink-cluster", "--flink-lib", dir.toString(), "--job-jar",
        dir.resolve("job.jar").toString());
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("no flink-runtime jar in " + dir);
  }

  @Test
  void faultsNeedTheEmbeddedOrdo() {
    CliRun r = run("jepsen", "--workload", "kv", "--nemesis", "kill-job", "--target", "localhost:1");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("--target runs only with --nemesis none");
  }

  @Test
  void nonPositiveConcurrencyIsAUsageError() {
    CliRun r = run("jepsen", "--workload", "kv", "--concurrency", "0", "--target", "localhost:1");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("concurrency");
  }

  @Test
  void theCommandIsListedInTheHelp() {
    CliRun r = run("--help");
    assertThat(r.out()).contains("jepsen");
  }

  @Test
  void aBatteryRefusesBadCountsWorkloadsAndNemesesBeforeRunningAnything() {
    CliRun runs = run("jepsen-battery", "--runs", "0", "--out", "unused");
    assertThat(runs.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(runs.err()).contains("--runs must be in [1, 1000], got 0");
    CliRun workload = run("jepsen-battery", "--workloads", "bank,queue", "--out", "unused");
    assertThat(workload.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(workload.err()).contains("unknown workload 'queue'");
    CliRun nemesis = run("jepsen-battery", "--nemesis", "flood", "--out", "unused");
    assertThat(nemesis.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(nemesis.err()).contains("unknown nemesis 'flood'");
    CliRun time = run("jepsen-battery", "--time-limit", "0", "--out", "unused");
    assertThat(time.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(time.err()).contains("--time-limit must be in (0, 86400]");
  }

  @Test
  void aBatteryRunsItsJvmsWithThisJvmsOptionsButNoAgentsOrRecordings() {
    assertThat(JepsenBatteryCommand.childJvmOptions(java.util.List.of("-Xmx3g", "-XX:+UseParallelGC",
        "-agentlib:jdwp=transport=dt_socket,server=y,address=5005", "-javaagent:/x/agent.jar", "-Dordo.x=1",
        "-XX:StartFlightRecording=filename=a.jfr", "-XX:FlightRecorderOptions=stackdepth=96", "-agentpath:/x/lib.so")))
        .containsExactly("-Xmx3g", "-XX:+UseParallelGC", "-Dordo.x=1");
  }
}
