package io.ordo.sql;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The sql module's place among the modules (ARCHITECTURE.md, "Modules"): above storage and
 * proto, below the gateway. It reaches the log, the store and the streams only through the
 * {@link io.ordo.sql.engine.SqlBackend} the gateway implements, so it must not use the gateway,
 * the launcher, the Jepsen tooling, Flink, the executor job, the Kafka server or gRPC's
 * transports; and as a library it logs, never prints.
 */
class SqlLayeringTest {
  private static final JavaClasses SQL =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.ordo.sql");

  @Test
  void sqlDependsOnNoUpperModuleFlinkOrKafkaServer() {
    noClasses()
        .that()
        .resideInAPackage("io.ordo.sql..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.ordo.gateway..",
            "io.ordo.launcher..",
            "io.ordo.jepsen..",
            "io.ordo.executor..",
            "io.ordo.kafka.embedded..",
            "org.apache.flink..",
            "kafka..",
            "org.apache.kafka.server..",
            "org.apache.kafka.metadata..",
            "io.grpc.netty..",
            "io.grpc.inprocess..")
        .check(SQL);
  }

  @Test
  void sqlNeverWritesToStandardStreams() {
    noClasses()
        .that()
        .resideInAPackage("io.ordo.sql..")
        // The parser JavaCC generates keeps a debug stream on System.out, never written to
        // unless its tracing is switched on, which Ordo does not do.
        .and()
        .resideOutsideOfPackage("io.ordo.sql.parser.impl..")
        .should(com.tngtech.archunit.library.GeneralCodingRules.ACCESS_STANDARD_STREAMS)
        .check(SQL);
  }
}
