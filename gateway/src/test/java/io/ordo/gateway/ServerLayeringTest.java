package io.ordo.gateway;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.GeneralCodingRules;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Layering of the gateway server (packages io.ordo.gateway, .auth, .rest, .core, .streams,
 * .subscriptions, .ingest, .sql): it runs wherever a gateway runs, next to an executor on a cluster or
 * embedded, so it must not reach into Flink, the executor job, the Kafka server, the launcher
 * built on top of it (commands, embedded mode, demo, bench) or the Jepsen runner and its test
 * cluster; it logs, never prints; and its packages depend on each other one way only, so each can
 * be read, tested and moved with what it depends on and nothing that depends on it. The gateway
 * module's pom enforces the same on its classpath (maven-enforcer bannedDependencies).
 */
class ServerLayeringTest {
  private static final String ROOT = "io.ordo.gateway";

  /** The server's packages below {@link #ROOT} (the root itself is one too). */
  private static final List<String> SERVER_SUBPACKAGES =
      List.of("rest", "core", "streams", "subscriptions", "ingest", "sql", "auth");

  private static final String[] SERVER_PACKAGES =
      Stream.concat(Stream.of(ROOT), SERVER_SUBPACKAGES.stream().map(sub -> ROOT + "." + sub))
          .toArray(String[]::new);

  private static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages(ROOT);

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

  /**
   * The SQL module sits between storage and the gateway: the gateway uses it, never the other way
   * round (also checked from the sql module's side, which cannot see the gateway's classes).
   */
  @Test
  void theSqlModuleDependsOnNoGatewayClass() {
    noClasses()
        .that()
        .resideInAPackage("io.ordo.sql..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.ordo.gateway..")
        .check(new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.ordo.sql"));
  }

  @Test
  void theServerNeverWritesToStandardStreams() {
    noClasses()
        .that()
        .resideInAnyPackage(SERVER_PACKAGES)
        .should(GeneralCodingRules.ACCESS_STANDARD_STREAMS)
        .check(CLASSES);
  }

  /**
   * One slice per server package, the root package included (classes directly in {@code
   * io.ordo.gateway} are the wiring and the public API); the launcher packages (cli, embedded,
   * demo, bench, testcluster) are left out: they sit on top of the server and are leaving this
   * module.
   */
  @Test
  void theServerPackagesHaveNoCycles() {
    slices().assignedFrom(new ServerPackages()).should().beFreeOfCycles().check(CLASSES);
  }

  private static final class ServerPackages implements SliceAssignment {
    @Override
    public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
      String pkg = javaClass.getPackageName();
      if (pkg.equals(ROOT)) {
        return SliceIdentifier.of("io.ordo.gateway");
      }
      for (String sub : SERVER_SUBPACKAGES) {
        String name = ROOT + "." + sub;
        if (pkg.equals(name) || pkg.startsWith(name + ".")) {
          return SliceIdentifier.of(name);
        }
      }
      return SliceIdentifier.ignore();
    }

    @Override
    public String getDescription() {
      return "the gateway server's packages (root, rest, core, streams, subscriptions, ingest, sql, auth)";
    }
  }
}
