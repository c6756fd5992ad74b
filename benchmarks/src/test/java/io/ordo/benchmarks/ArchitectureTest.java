package io.ordo.benchmarks;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The benchmarks measure the executor through its public packages only: a module's {@code
 * ..internal..} packages are free to change without notice (the executor's holds the dedup
 * index and the checkpoint serializer), and a benchmark that reached into them would pin them.
 */
class ArchitectureTest {
  @Test
  void benchmarksUseNoInternalPackage() {
    noClasses().that().resideInAPackage("io.ordo.benchmarks..")
        .should().dependOnClassesThat().resideInAPackage("..internal..")
        .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.ordo.benchmarks"));
  }
}
