package io.ordo.sql.logictest;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The PostgreSQL the sqllogictest files are also run against (the reference for their expected
 * values): at {@code -Dordo.slt.postgresql.url}, default {@value #DEFAULT_URL}, which every machine
 * of this project runs. {@code -Dordo.slt.postgresql=false} turns the runs off. An unreachable
 * server skips them, except under {@code CI=true}, where it is an error (CI must run it).
 */
final class SltPostgres {
  private SltPostgres() {}

  static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

  /** The URL to run against, or why the runs are off (empty URL: skip with that reason). */
  record Availability(Optional<String> url, String reason) {}

  static Availability availability() {
    if (!Boolean.parseBoolean(System.getProperty("ordo.slt.postgresql", "true"))) {
      return new Availability(Optional.empty(), "PostgreSQL runs are off (-Dordo.slt.postgresql=false)");
    }
    String url = System.getProperty("ordo.slt.postgresql.url", DEFAULT_URL);
    DriverManager.setLoginTimeout(5);
    try (Connection c = DriverManager.getConnection(url)) {
      return new Availability(Optional.of(url), "");
    } catch (SQLException e) {
      String reason = "PostgreSQL at " + url + " is unreachable: " + e.getMessage();
      if ("true".equals(System.getenv("CI"))) {
        throw new IllegalStateException(reason + " (CI must run PostgreSQL)", e);
      }
      return new Availability(Optional.empty(), reason);
    }
  }
}
