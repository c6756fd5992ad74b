package io.ordo.sql.pgcatalog;

import java.util.Objects;

/**
 * What the catalog answers need to know about the session asking.
 *
 * @param user the session's user name (shown as the owner of every database, schema and table:
 *     Ordo has no owners, and PostgreSQL shows the creator)
 * @param database the database name the client connected to (Ordo has one database, listed under
 *     this name by {@code \l} and getCatalogs)
 * @param serverVersion the PostgreSQL version the front end reports in its {@code server_version}
 *     parameter, e.g. {@code "15.0"}; {@code version()} answers {@code "PostgreSQL <it> (Ordo)"}
 */
public record SessionInfo(String user, String database, String serverVersion) {
  public SessionInfo {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(serverVersion, "serverVersion");
  }
}
