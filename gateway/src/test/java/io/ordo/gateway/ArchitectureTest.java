package io.ordo.gateway;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering rules under ARCHITECTURE.md's "Code map", as tests so that a change that breaks
 * them fails the build rather than waiting for a reader to notice: the gateway and the sequencer
 * never touch Flink classes (the gateway runs the job only through {@code
 * io.ordo.executor.EmbeddedExecutor}), and nothing below the gateway depends on it.
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

  @Test
  void nothingBelowTheGatewayDependsOnIt() {
    noClasses().that().resideOutsideOfPackage("io.ordo.gateway..")
        .should().dependOnClassesThat().resideInAPackage("io.ordo.gateway..")
        .check(ordo);
  }
}
