package io.ordo.gateway;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.GeneralCodingRules;
import org.junit.jupiter.api.Test;

/**
 * Layering of the gateway server (packages io.ordo.gateway, .rest, .core, .streams,
 * .subscriptions, .ingest): it runs wherever a
 * gateway runs, next to an executor on a cluster or embedded, so it must not reach into Flink,
 * the executor job, the Kafka server, the launcher built on top of it (commands, embedded mode,
 * demo, bench) or the Jepsen runner and its test cluster; and it logs, never prints. The gateway
 * module's pom enforces the same on its classpath (maven-enforcer bannedDependencies).
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
  void theServerDependsOnNoFlinkKafkaServerLauncherBenchOrJepsenClass() {
    noClasses()
        .that()
        .resideInAnyPackage(SERVER_PACKAGES)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.apache.flink..",
            "io.ordo.executor..",
            "io.ordo.kafka.embedded..",
            "kafka..",
            "org.apache.kafka.server..",
            "org.apache.kafka.metadata..",
            "org.postgresql..",
            "org.jfree..",
            "io.ordo.launcher..",
            "io.ordo.jepsen..")
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
