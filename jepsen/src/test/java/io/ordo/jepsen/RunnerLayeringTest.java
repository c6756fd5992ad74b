package io.ordo.jepsen;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The Jepsen runner's layering (ARCHITECTURE.md, "Modules"): workloads talk to Ordo only through
 * the gateway's API (proto + gRPC), never through the executor's or the gateway's classes; only
 * the test cluster launches parts (the executor job, brokers) and it never imports the launcher;
 * runner, workload and cluster packages form no cycle.
 */
class RunnerLayeringTest {
  private static final JavaClasses RUNNER =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.ordo.jepsen.runner", "io.ordo.jepsen.workload", "io.ordo.jepsen.cluster");

  @Test
  void workloadsAndRunnerUseOnlyTheGatewayApi() {
    noClasses()
        .that()
        .resideInAnyPackage("io.ordo.jepsen.runner..", "io.ordo.jepsen.workload..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.ordo.executor..", "io.ordo.gateway..", "io.ordo.storage..", "io.ordo.kafka..",
            "io.ordo.jepsen.cluster..", "org.apache.flink..", "org.apache.kafka..")
        .check(RUNNER);
  }

  @Test
  void nothingImportsTheLauncher() {
    noClasses().should().dependOnClassesThat().resideInAPackage("io.ordo.launcher..").check(RUNNER);
  }

  @Test
  void packagesFormNoCycle() {
    slices().matching("io.ordo.jepsen.(*)..").should().beFreeOfCycles().check(RUNNER);
  }
}
