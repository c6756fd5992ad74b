/**
 * The PostgreSQL wire protocol (version 3.0) front end of Ordo SQL: {@link
 * io.ordo.sql.pgwire.PgWireServer} serves any {@link io.ordo.sql.SqlEngine} to PostgreSQL
 * clients. The codec ({@code FrontendReader}, {@code BackendWriter}) follows the PostgreSQL 15
 * manual, "Frontend/Backend Protocol" (§55.2 message flow, §55.7 message formats, §55.8 error
 * fields); values use {@link io.ordo.sql.types.PgText} and {@link io.ordo.sql.types.PgBinary}.
 */
package io.ordo.sql.pgwire;
