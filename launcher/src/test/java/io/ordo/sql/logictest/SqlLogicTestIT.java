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
 * against Ordo (an embedded deployment, {@link SltOrdoEngine}) and against the reference
 * PostgreSQL ({@link SltPostgres}: skipped, each with the reason, where it is off or unreachable
 * outside CI). Each file runs in a fresh session or connection.
 */
class SqlLogicTestIT {
  /** Each statement's time limit. */
  static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(30);
  /** The most rows a query may return over JDBC (Ordo's own row limit bounds its results). */
  static final int MAX_ROWS = 100_000;

  @TestFactory
  Stream<DynamicTest> postgresql() throws IOException {
    SltPostgres.Availability postgres = SltPostgres.availability();
    if (postgres.url().isEmpty()) {
      return skipped(postgres.reason());
    }
    String url = postgres.url().get();
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
