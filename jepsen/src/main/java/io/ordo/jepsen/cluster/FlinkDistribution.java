package io.ordo.jepsen.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What a Flink session cluster of Ordo is made of on this machine: Flink's own jars as a lib/
 * folder (the build's {@code flink-lib/target/flink-lib}: Flink's runtime, client, web submission,
 * RocksDB state and log4j, from Maven Central, as a Flink distribution's lib/ holds them) and the
 * shaded executor job jar ({@code executor-job/target/ordo-executor-job-VERSION-job.jar}).
 *
 * @param libDir Flink's jars; the JobManager, TaskManagers and CLI run on {@code libDir/*}
 * @param jobJar the job jar that {@code flink run} and {@code /jars/upload} submit
 */
public record FlinkDistribution(Path libDir, Path jobJar) {
  /** System property naming the lib folder, overriding the search. */
  public static final String LIB_PROPERTY = "ordo.flink.lib";
  /** System property naming the job jar, overriding the search. */
  public static final String JOB_JAR_PROPERTY = "ordo.job.jar";
  /** System property naming the repository root (the {@code ordo} script's directory). */
  public static final String HOME_PROPERTY = "ordo.home";
  /** The executor job's main class. */
  public static final String JOB_MAIN_CLASS = "io.ordo.executor.ExecutorJob";

  /** @throws IllegalArgumentException if the folder has no flink-runtime jar or the jar is missing */
  public FlinkDistribution {
    Objects.requireNonNull(libDir, "libDir");
    Objects.requireNonNull(jobJar, "jobJar");
    libDir = libDir.toAbsolutePath().normalize();
    jobJar = jobJar.toAbsolutePath().normalize();
    if (!hasFlinkRuntime(libDir)) {
      throw new IllegalArgumentException("no flink-runtime jar in " + libDir
          + " (build it with: mvn -B -DskipTests package, which fills flink-lib/target/flink-lib)");
    }
    if (!Files.isRegularFile(jobJar)) {
      throw new IllegalArgumentException("the executor job jar " + jobJar
          + " does not exist (build it with: mvn -B -DskipTests package)");
    }
  }

  /** The classpath of Flink's processes: {@code libDir/*}. */
  public String classpath() {
    return libDir.resolve("*").toString();
  }

  /**
   * The build's lib folder and job jar, each overridable by the system properties {@value
   * #LIB_PROPERTY} and {@value #JOB_JAR_PROPERTY}; otherwise found under the repository root: the
   * system property {@value #HOME_PROPERTY}, else the nearest ancestor of the working directory or
   * of this class's jar (e.g. {@code launcher/target/lib/}) that holds {@code flink-lib/} and
   * {@code executor-job/}.
   *
   * @param libDir an explicit lib folder, or null
   * @param jobJar an explicit job jar, or null
   * @throws IllegalArgumentException if either cannot be found
   */
  public static FlinkDistribution locate(Path libDir, Path jobJar) {
    Path lib = libDir != null ? libDir : property(LIB_PROPERTY).orElse(null);
    Path jar = jobJar != null ? jobJar : property(JOB_JAR_PROPERTY).orElse(null);
    if (lib == null || jar == null) {
      Path home = home().orElseThrow(() -> new IllegalArgumentException(
          "cannot find the Ordo repository (a directory with flink-lib/ and executor-job/) above the working directory or "
              + ChildJvm.codeSourceOf(FlinkDistribution.class) + "; pass the Flink lib folder and the job jar explicitly"));
      if (lib == null) {
        lib = home.resolve("flink-lib").resolve("target").resolve("flink-lib");
      }
      if (jar == null) {
        jar = newestJobJar(home.resolve("executor-job").resolve("target"));
      }
    }
    return new FlinkDistribution(lib, jar);
  }

  /** {@link #locate} with nothing explicit. */
  public static FlinkDistribution locate() {
    return locate(null, null);
  }

  private static Optional<Path> property(String name) {
    String v = System.getProperty(name);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(Path.of(v));
  }

  private static Optional<Path> home() {
    Optional<Path> explicit = property(HOME_PROPERTY);
    if (explicit.isPresent()) {
      return explicit;
    }
    List<Path> starts = new ArrayList<>();
    starts.add(Path.of("").toAbsolutePath());
    try {
      starts.add(Path.of(ChildJvm.codeSourceOf(FlinkDistribution.class)).toAbsolutePath());
    } catch (IllegalStateException e) {
      // No code source (unusual class loader): the working directory alone.
    }
    for (Path start : starts) {
      for (Path p = start; p != null; p = p.getParent()) {
        if (Files.isDirectory(p.resolve("flink-lib")) && Files.isDirectory(p.resolve("executor-job"))) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  private static Path newestJobJar(Path target) {
    if (Files.isDirectory(target)) {
      try (Stream<Path> s = Files.list(target)) {
        Optional<Path> jar = s.filter(p -> p.getFileName().toString().matches("ordo-executor-job-.*-job\\.jar"))
            .max((a, b) -> Long.compare(a.toFile().lastModified(), b.toFile().lastModified()));
        if (jar.isPresent()) {
          return jar.get();
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot list " + target, e);
      }
    }
    return target.resolve("ordo-executor-job-VERSION-job.jar");
  }

  private static boolean hasFlinkRuntime(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.anyMatch(p -> p.getFileName().toString().matches("flink-runtime-\\d.*\\.jar"));
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
