/**
 * Answers to the PostgreSQL system-catalog queries psql and pgjdbc send ({@link
 * io.ordo.sql.pgcatalog.PgCatalogAnswers}), computed from Ordo's {@link
 * io.ordo.sql.catalog.CatalogSnapshot}; see sql/PGCATALOG.md.
 */
package io.ordo.sql.pgcatalog;
