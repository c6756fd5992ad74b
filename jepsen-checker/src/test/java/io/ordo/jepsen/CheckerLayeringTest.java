package io.ordo.jepsen;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The checker module stands alone (ARCHITECTURE.md, "Modules"): histories, checkers and reports
 * depend on nothing of Ordo and on no wire format, so any system that records Jepsen histories
 * can use them; its packages form no cycle; the Elle checkers' internals stay inside them.
 */
class CheckerLayeringTest {
  private static final JavaClasses CHECKER =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.ordo.jepsen.history", "io.ordo.jepsen.checker", "io.ordo.jepsen.report", "io.ordo.jepsen.availability");

  @Test
  void historiesCheckersAndReportsDependOnNothingOfOrdoNorOnProtobufOrGrpc() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.ordo.proto..", "io.ordo.sequencer..", "io.ordo.executor..", "io.ordo.storage..",
            "io.ordo.gateway..", "io.ordo.launcher..", "io.ordo.jepsen.runner..",
            "io.ordo.jepsen.workload..", "io.ordo.jepsen.cluster..", "com.google.protobuf..",
            "io.grpc..")
        .check(CHECKER);
  }

  @Test
  void packagesFormNoCycle() {
    slices().matching("io.ordo.jepsen.(**)").should().beFreeOfCycles().check(CHECKER);
  }

  @Test
  void internalPackagesAreUsedOnlyByTheirParent() {
    noClasses()
        .that()
        .resideOutsideOfPackage("io.ordo.jepsen.checker.elle..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.ordo.jepsen.checker.elle.internal..")
        .check(CHECKER);
  }
}
