/**
 * The gateway's SQL front ends over the SQL engine of the sql module: the {@code ordo.v1.Sql}
 * gRPC service (also REST {@code POST /v1/sql}), the PostgreSQL listener's seam and the {@link
 * io.ordo.sql.engine.SqlBackend} through which the engine reaches this gateway's log, store and
 * streams.
 */
package io.ordo.gateway.sql;
