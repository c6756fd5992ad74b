package io.ordo.launcher;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import org.junit.jupiter.api.Test;

/**
 * Layering of the whole system (ARCHITECTURE.md, "Modules"), checked here because the launcher is
 * the one module with every other module's classes on its classpath (the JMH benchmarks have a
 * test of their own): no package cycle anywhere; an {@code ..internal..} package is used only
 * below the package that owns it; only the launcher and the Jepsen test cluster start embedded
 * brokers; the sequencer, storage, SQL and the server never touch Flink; SQL sits between
 * storage and the gateway (the gateway uses it, it uses neither the gateway nor anything above);
 * nothing depends on the launcher.
 */
class ModuleLayeringTest {
  private static final JavaClasses ORDO =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          // Test jars (the gateway's test helpers, on this module's test classpath) are tests.
          .withImportOption(location -> !location.contains("-tests.jar"))
          .importPackages("io.ordo");

  @Test
  void noPackageCycleAnywhere() {
    slices().matching("io.ordo.(**)").should().beFreeOfCycles().check(ORDO);
  }

  @Test
  void internalPackagesAreUsedOnlyBelowTheirOwner() {
    classes().should(useInternalPackagesOnlyBelowTheirOwner()).check(ORDO);
  }

  @Test
  void onlyTheLauncherAndTheTestClusterStartEmbeddedBrokers() {
    noClasses()
        .that()
        .resideOutsideOfPackages("io.ordo.launcher..", "io.ordo.jepsen.cluster..", "io.ordo.kafka.embedded..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.ordo.kafka.embedded..")
        .check(ORDO);
  }

  @Test
  void sequencerStorageAndServerImportNoFlinkClass() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "io.ordo.sequencer..", "io.ordo.storage..", "io.ordo.sql..", "io.ordo.gateway..", "io.ordo.jepsen..")
        .and()
        .resideOutsideOfPackage("io.ordo.jepsen.cluster..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.apache.flink..")
        .check(ORDO);
  }

  @Test
  void sqlSitsBetweenStorageAndTheGateway() {
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
            "kafka..",
            "org.apache.kafka.server..")
        .check(ORDO);
    noClasses()
        .that()
        .resideInAnyPackage("io.ordo.storage..", "io.ordo.sequencer..", "io.ordo.proto..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.ordo.sql..")
        .check(ORDO);
  }

  @Test
  void nothingDependsOnTheLauncher() {
    noClasses()
        .that()
        .resideOutsideOfPackage("io.ordo.launcher..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.ordo.launcher..")
        .check(ORDO);
  }

  /**
   * A dependency on a class in {@code a.b.internal[.x]} is allowed only from {@code a.b} or a
   * package below it: the owner of an internal package decides its shape alone.
   */
  private static ArchCondition<JavaClass> useInternalPackagesOnlyBelowTheirOwner() {
    return new ArchCondition<>("use ..internal.. packages only below the package that owns them") {
      @Override
      public void check(JavaClass origin, ConditionEvents events) {
        for (Dependency d : origin.getDirectDependenciesFromSelf()) {
          String target = d.getTargetClass().getPackageName();
          int at = (target + ".").indexOf(".internal.");
          if (at < 0) {
            continue;
          }
          String owner = target.substring(0, at);
          String from = origin.getPackageName();
          boolean allowed = from.equals(owner) || from.startsWith(owner + ".");
          if (!allowed) {
            events.add(SimpleConditionEvent.violated(d, d.getDescription()));
          }
        }
      }
    };
  }
}
