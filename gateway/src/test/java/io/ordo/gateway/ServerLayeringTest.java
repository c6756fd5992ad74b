package io.ordo.gateway;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.GeneralCodingRules;
import org.junit.jupiter.api.Test;

/**
 * Layering of the gateway server (packages io.ordo.gateway, .rest, .internal, .streams,
 * .subscriptions, .ingest): it runs wherever a
 * gateway runs, next to an executor on a cluster or embedded, so it must not reach into Flink,
 * the executor job, or the launcher packages built on top of it; and it logs, never prints.
 */
class ServerLayeringTest {
  private static final String[] SERVER_PACKAGES = {
    "io.ordo.gateway",
    "io.ordo.gateway.rest",
    "io.ordo.gateway.core",
    "io.ordo.gateway.streams",
    "io.ordo.gateway.subscriptions",
    "io.ordo.gateway.ingest"
  };

  private static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.ordo.gateway");

  @Test
  void theServerDependsOnNeitherFlinkNorTheExecutorNorTheLaunchers() {
    noClasses()
        .that()
        .resideInAnyPackage(SERVER_PACKAGES)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.apache.flink..",
            "io.ordo.executor..",
            "io.ordo.gateway.cli..",
            "io.ordo.gateway.embedded..",
            "io.ordo.gateway.demo..")
        .check(CLASSES);
  }

  @Test
  void theServerNeverWritesToStandardStreams() {
    noClasses()
        .that()
        .resideInAnyPackage(SERVER_PACKAGES)
        .should(GeneralCodingRules.ACCESS_STANDARD_STREAMS)
        .check(CLASSES);
  }
}
