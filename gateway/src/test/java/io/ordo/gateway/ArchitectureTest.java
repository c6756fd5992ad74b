package io.ordo.gateway;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway's place among the modules (ARCHITECTURE.md, "Module dependencies"): the modules
 * below it on its test classpath (proto, sequencer, storage, the executor job, the embedded
 * broker) never depend on it. The server's own rules are in {@link ServerLayeringTest}; the
 * system-wide ones (no package cycle anywhere, internal packages used only by their owner) in
 * the launcher's {@code ModuleLayeringTest}, the one module that sees every other.
 */
class ArchitectureTest {
  private static JavaClasses ordo;

  @BeforeAll
  static void importClasses() {
    ordo = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.ordo");
  }

  @Test
  void nothingBelowTheGatewayDependsOnIt() {
    noClasses().that().resideOutsideOfPackage("io.ordo.gateway..")
        .should().dependOnClassesThat().resideInAPackage("io.ordo.gateway..")
        .check(ordo);
  }
}
