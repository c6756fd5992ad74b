/**
 * How SQL data lives in Ordo's key space (sql/ENCODING.md): {@link io.ordo.sql.encoding.KeyCodec}
 * (row keys: an order-preserving, prefix-free encoding of the primary key), {@link
 * io.ordo.sql.encoding.RowCodec} (row values by column id), {@link
 * io.ordo.sql.encoding.CatalogCodec} (catalog entries and their keys) and {@link
 * io.ordo.sql.encoding.StreamRowCodec} (stream rows as JSON records). Every encoding is
 * deterministic and versioned; errors are {@link io.ordo.sql.SqlException}s with PostgreSQL's
 * SQLSTATEs.
 */
package io.ordo.sql.encoding;
