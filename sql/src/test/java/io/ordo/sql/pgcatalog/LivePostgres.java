package io.ordo.sql.pgcatalog;

import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Assumptions;

/**
 * The real PostgreSQL the live tests compare with: {@code ORDO_TEST_PG_HOST} (127.0.0.1), {@code
 * ORDO_TEST_PG_PORT} (5432), user postgres, database test, trust authentication. The tables of
 * {@link CatalogFixtures} are created in a schema of this JVM's own and dropped by {@link
 * #close}. Without a server the tests fail when {@code CI=true} and are skipped, with the reason,
 * otherwise.
 */
final class LivePostgres implements AutoCloseable {
  static final String HOST = System.getenv().getOrDefault("ORDO_TEST_PG_HOST", "127.0.0.1");
  static final String PORT = System.getenv().getOrDefault("ORDO_TEST_PG_PORT", "5432");
  static final String USER = "postgres";
  static final String DATABASE = "test";
  /** One schema per test JVM and class, so concurrent runs on one server do not meet. */
  final String schema;
  final Connection connection;

  private LivePostgres(String schema, Connection connection) {
    this.schema = schema;
    this.connection = connection;
  }

  /** Connects and creates the tables, or skips (fails with CI=true) without a server. */
  static LivePostgres openOrSkip(String purpose) throws SQLException {
    String url = "jdbc:postgresql://" + HOST + ":" + PORT + "/" + DATABASE + "?user=" + USER;
    Connection c;
    try {
      c = DriverManager.getConnection(url);
    } catch (SQLException e) {
      if ("true".equals(System.getenv("CI"))) {
        fail("no PostgreSQL at " + url + " and CI=true: " + e.getMessage());
      }
      Assumptions.abort("no PostgreSQL at " + url + " (" + e.getMessage() + "); " + purpose);
      throw e;
    }
    String schema = "ordo_pgcatalog_test_" + ProcessHandle.current().pid() + "_"
        + Integer.toHexString(System.identityHashCode(c));
    try (Statement s = c.createStatement()) {
      s.execute("create schema " + schema);
      s.execute("set search_path = " + schema);
      s.execute(CatalogFixtures.POSTGRES_DDL);
    }
    return new LivePostgres(schema, c);
  }

  @Override
  public void close() throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("drop schema if exists " + schema + " cascade");
    } finally {
      connection.close();
    }
  }
}
