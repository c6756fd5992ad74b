package io.ordo.sql.types;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * The reference PostgreSQL 15 the parity tests compare with: 127.0.0.1:5432, database {@code
 * test}, user {@code postgres}, trust authentication ({@code -Dordo.pg.url} overrides). When it
 * cannot be reached the tests that need it are skipped with the reason (an assumption), as the
 * project's other PostgreSQL comparisons are.
 */
public final class ReferencePostgres {
  private ReferencePostgres() {}

  public static final String URL =
      System.getProperty(
          "ordo.pg.url",
          "jdbc:postgresql://127.0.0.1:5432/test?user=postgres&connectTimeout=10&socketTimeout=60");

  /** A connection to the reference PostgreSQL, or a skipped test. */
  public static Connection connectOrSkip() throws SQLException {
    try {
      return DriverManager.getConnection(URL);
    } catch (SQLException e) {
      assumeTrue(false, "no reference PostgreSQL at " + URL + ": " + e.getMessage());
      throw e; // not reached
    }
  }

  /** Whether the reference PostgreSQL answers. */
  public static boolean reachable() {
    try (Connection c = DriverManager.getConnection(URL)) {
      return c.isValid(10);
    } catch (SQLException e) {
      return false;
    }
  }
}
