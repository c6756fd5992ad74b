/**
 * PostgreSQL's text and binary forms of Ordo's SQL values ({@link io.ordo.sql.types.PgText},
 * {@link io.ordo.sql.types.PgBinary}), shared by the wire protocol, the REST layer and the
 * engine's casts.
 */
package io.ordo.sql.types;
