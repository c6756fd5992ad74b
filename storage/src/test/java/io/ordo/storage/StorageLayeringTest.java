package io.ordo.storage;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** ARCHITECTURE.md layering: storage never imports Flink (it runs beside gateways, not in the job). */
class StorageLayeringTest {
  private static final JavaClasses STORAGE =
      new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.ordo.storage");

  @Test
  void storageImportsNoFlinkClass() {
    noClasses().that().resideInAPackage("io.ordo.storage..")
        .should().dependOnClassesThat().resideInAnyPackage("org.apache.flink..", "io.ordo.executor..", "io.ordo.gateway..")
        .check(STORAGE);
  }
}
