/**
 * SQL over Ordo: the session API ({@link io.ordo.sql.SqlEngine}, {@link io.ordo.sql.SqlSession},
 * {@link io.ordo.sql.SqlStatement}) every SQL front end uses — the PostgreSQL wire protocol, the
 * gateway's gRPC/REST {@code Sql} service and the {@code ordo sql} shell. See ARCHITECTURE.md,
 * "SQL".
 */
package io.ordo.sql;
