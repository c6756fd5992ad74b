package io.ordo.sql.logictest;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

import io.ordo.sql.SqlEngine;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every {@code src/test/resources/sqllogictest/*.slt} file, one dynamic test per file,
 * against PostgreSQL (with {@code -Dordo.slt.postgresql=true}; the server at {@code
 * -Dordo.slt.postgresql.url}, default {@value #DEFAULT_URL}) and against Ordo (when {@link
 * SltOrdoEngine#ordoEngine()} supplies an engine). Each file runs in a fresh session or
 * connection. Where a target is unavailable its tests are skipped, each with the reason.
 */
class SqlLogicTestIT {
  static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  /** Each statement's time limit. */
  static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(30);
  /** The most rows a query may return over JDBC (Ordo's own row limit bounds its results). */
  static final int MAX_ROWS = 100_000;

  @TestFactory
  Stream<DynamicTest> postgresql() throws IOException {
    if (!Boolean.getBoolean("ordo.slt.postgresql")) {
      return skipped(
          "PostgreSQL runs are off: set -Dordo.slt.postgresql=true (server at "
              + "-Dordo.slt.postgresql.url, default " + DEFAULT_URL + ")");
    }
    String url = System.getProperty("ordo.slt.postgresql.url", DEFAULT_URL);
    return files().stream()
        .map(
            file ->
                DynamicTest.dynamicTest(
                    file.getFileName().toString(),
                    file.toUri(),
                    () -> {
                      try (Target target =
                          new JdbcTarget(
                              DriverManager.getConnection(url), "postgresql", STATEMENT_TIMEOUT,
                              MAX_ROWS)) {
                        // Values print as with Ordo, whose time zone is UTC.
                        target.execute("SET TIME ZONE 'UTC'");
                        check(SqlLogicTest.runFile(file, target));
                      }
                    }));
  }

  @TestFactory
  Stream<DynamicTest> ordo() throws IOException {
    SqlEngine engine = SltOrdoEngine.ordoEngine();
    if (engine == null) {
      return skipped("Ordo runs are off: SltOrdoEngine.ordoEngine() supplies no engine yet");
    }
    return files().stream()
        .map(
            file ->
                DynamicTest.dynamicTest(
                    file.getFileName().toString(),
                    file.toUri(),
                    () -> {
                      try (Target target =
                          new OrdoTarget(engine.openSession("slt", "ordo"), STATEMENT_TIMEOUT)) {
                        check(SqlLogicTest.runFile(file, target));
                      }
                    }));
  }

  /** One aborted test per file, so that reports list each file with the reason it did not run. */
  private static Stream<DynamicTest> skipped(String reason) throws IOException {
    return files().stream()
        .map(file -> DynamicTest.dynamicTest(
            file.getFileName().toString(), file.toUri(), () -> abort(reason)));
  }

  private static void check(SqlLogicTest.Report report) {
    if (report.executed() == 0) {
      // e.g. an Ordo-only file, which halts at once on other engines.
      abort(report.source() + " has no records for " + report.engine());
    }
    assertTrue(report.passed(), report::describe);
  }

  /** The .slt files on the test class path, by name. */
  static List<Path> files() throws IOException {
    URL dir = SqlLogicTestIT.class.getClassLoader().getResource("sqllogictest");
    if (dir == null) {
      throw new IOException("no sqllogictest directory on the test class path");
    }
    try (Stream<Path> s = Files.list(Path.of(dir.toURI()))) {
      return s.filter(p -> p.getFileName().toString().endsWith(".slt")).sorted().toList();
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
  }
}
