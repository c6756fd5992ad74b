package io.ordo.gateway;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Layering rules of ARCHITECTURE.md (Code map) as tests: the gateway and the sequencer never
 * touch Flink classes (the gateway runs the job only through {@code io.ordo.executor.EmbeddedExecutor}),
 * nothing below the gateway depends on it, and no module uses another module's internal packages.
 */
class ArchitectureTest {
  private static JavaClasses ordo;

  @BeforeAll
  static void importClasses() {
    ordo = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.ordo");
  }

  @Test
  void gatewayImportsNoFlinkClass() {
    noClasses().that().resideInAPackage("io.ordo.gateway..")
        .should().dependOnClassesThat().resideInAPackage("org.apache.flink..")
        .check(ordo);
  }

  @Test
  void sequencerImportsNoFlinkClass() {
    noClasses().that().resideInAPackage("io.ordo.sequencer..")
        .should().dependOnClassesThat().resideInAPackage("org.apache.flink..")
        .check(ordo);
  }

  /** A module's {@code internal} packages are its own: no other module may depend on them. */
  @Test
  void noModuleUsesAnotherModulesInternalPackages() {
    noClasses().that().resideOutsideOfPackage("io.ordo.executor..")
        .should().dependOnClassesThat().resideInAPackage("io.ordo.executor.internal..")
        .check(ordo);
    noClasses().that().resideOutsideOfPackage("io.ordo.storage..")
        .should().dependOnClassesThat().resideInAPackage("io.ordo.storage.internal..")
        .check(ordo);
    noClasses().that().resideOutsideOfPackage("io.ordo.jepsen..")
        .should().dependOnClassesThat().resideInAPackage("io.ordo.jepsen..internal..")
        .check(ordo);
  }

  @Test
  void nothingBelowTheGatewayDependsOnIt() {
    noClasses().that().resideOutsideOfPackage("io.ordo.gateway..")
        .should().dependOnClassesThat().resideInAPackage("io.ordo.gateway..")
        .check(ordo);
  }
}
