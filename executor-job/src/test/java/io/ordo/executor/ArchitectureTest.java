package io.ordo.executor;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.AccessTarget;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.time.InstantSource;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Structure rules of the executor job, as tests. Determinism is the product: whatever decides an
 * output (the operators, the transaction evaluator, the lock manager, the dedup index and the
 * record (de)serialization) must be a function of the log, so none of it may read a clock or an
 * unseeded random source; and the packages form no cycle, so each can be understood, tested and
 * moved on its own.
 */
class ArchitectureTest {
  /** The packages whose code decides outputs (ExecutorJob, EmbeddedExecutor and ExecutorConfig only wire and run the job). */
  static final String[] DECIDING_PACKAGES = {
    "io.ordo.executor.operators..",
    "io.ordo.executor.evaluation..",
    "io.ordo.executor.locking..",
    "io.ordo.executor.internal..",
    "io.ordo.executor.serialization.."
  };

  private static JavaClasses executor;

  @BeforeAll
  static void importClasses() {
    executor = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.ordo.executor");
  }

  @Test
  void packagesAreFreeOfCycles() {
    // One slice per package, the root package io.ordo.executor included.
    slices().matching("io.ordo.(**)").should().beFreeOfCycles().check(executor);
  }

  @Test
  void codeThatDecidesOutputsReadsNoClockAndNoRandomSource() {
    classes().that().resideInAnyPackage(DECIDING_PACKAGES)
        .should(readNoClockAndNoRandomSource())
        .check(executor);
  }

  /** Static methods that read the wall clock, a monotonic clock or an unseeded random source. */
  private static final Set<String> FORBIDDEN_METHODS = Set.of(
      "java.lang.System.currentTimeMillis",
      "java.lang.System.nanoTime",
      "java.lang.Math.random",
      "java.lang.StrictMath.random",
      "java.util.UUID.randomUUID");

  /**
   * Fails on: a call or method reference to one of {@link #FORBIDDEN_METHODS} or to any {@code
   * now} of {@code java.time} (Instant.now, LocalDateTime.now, ...); any use of a clock ({@link
   * java.time.Clock} and every {@link InstantSource}); any use of a random generator ({@link
   * java.util.Random}, ThreadLocalRandom, SecureRandom, SplittableRandom: every {@link
   * RandomGenerator}).
   */
  static ArchCondition<JavaClass> readNoClockAndNoRandomSource() {
    return new ArchCondition<>("read no clock and no random source") {
      @Override
      public void check(JavaClass javaClass, ConditionEvents events) {
        for (JavaAccess<?> access : javaClass.getAccessesFromSelf()) {
          AccessTarget target = access.getTarget();
          String owner = target.getOwner().getName();
          String name = target.getName();
          if (FORBIDDEN_METHODS.contains(owner + "." + name) || (owner.startsWith("java.time.") && name.equals("now"))) {
            events.add(SimpleConditionEvent.violated(access, access.getDescription()));
          }
        }
        for (Dependency dependency : javaClass.getDirectDependenciesFromSelf()) {
          JavaClass target = dependency.getTargetClass();
          if (target.isAssignableTo(InstantSource.class) || target.isAssignableTo(RandomGenerator.class)) {
            events.add(SimpleConditionEvent.violated(dependency, dependency.getDescription()));
          }
        }
      }
    };
  }
}
