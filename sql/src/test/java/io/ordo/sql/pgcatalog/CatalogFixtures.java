package io.ordo.sql.pgcatalog;

import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.CatalogSnapshot;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.StreamDef;
import io.ordo.sql.catalog.TableDef;
import java.util.List;
import java.util.Optional;

/**
 * The catalog the tests answer from, and the DDL of the equivalent PostgreSQL tables:
 * {@code accounts(id bigint primary key, owner varchar(20) not null, balance numeric(12,2)
 * default 0, opened timestamptz)} and {@code kv}, with a two-column key and one column of each
 * other Ordo type.
 */
final class CatalogFixtures {
  private CatalogFixtures() {}

  static final String ACCOUNTS_ID = "00000000000000a1";
  static final String KV_ID = "00000000000000b2";

  static final String POSTGRES_DDL = """
      create table accounts(id bigint primary key, owner varchar(20) not null,
        balance numeric(12,2) default 0, opened timestamptz);
      create table kv(k text, n int, b boolean, s smallint, d double precision, by bytea,
        dt date, ts timestamp, j jsonb default '{}', t text default 'x', v varchar,
        primary key (k, n));
      """;

  static ColumnDef col(String name, int id, SqlType type, int precision, int scale,
      boolean notNull, String dflt) {
    return new ColumnDef(name, id, type, precision, scale, notNull, Optional.ofNullable(dflt));
  }

  static TableDef accounts() {
    return new TableDef("accounts", ACCOUNTS_ID, List.of(
        col("id", 1, SqlType.BIGINT, -1, -1, true, null),
        col("owner", 2, SqlType.VARCHAR, 20, -1, true, null),
        col("balance", 3, SqlType.DECIMAL, 12, 2, false, "0"),
        col("opened", 4, SqlType.TIMESTAMPTZ, -1, -1, false, null)), List.of("id"), 1);
  }

  static TableDef kv() {
    return new TableDef("kv", KV_ID, List.of(
        col("k", 1, SqlType.TEXT, -1, -1, true, null),
        col("n", 2, SqlType.INTEGER, -1, -1, true, null),
        col("b", 3, SqlType.BOOLEAN, -1, -1, false, null),
        col("s", 4, SqlType.SMALLINT, -1, -1, false, null),
        col("d", 5, SqlType.DOUBLE, -1, -1, false, null),
        col("by", 6, SqlType.BYTEA, -1, -1, false, null),
        col("dt", 7, SqlType.DATE, -1, -1, false, null),
        col("ts", 8, SqlType.TIMESTAMP, -1, -1, false, null),
        col("j", 9, SqlType.JSONB, -1, -1, false, "'{}'::jsonb"),
        col("t", 10, SqlType.TEXT, -1, -1, false, "'x'::text"),
        col("v", 11, SqlType.VARCHAR, -1, -1, false, null)), List.of("k", "n"), 1);
  }

  static CatalogSnapshot catalog() {
    return new CatalogSnapshot(List.of(accounts(), kv()), List.of(new StreamDef("events",
        List.of(col("e", 1, SqlType.TEXT, -1, -1, false, null)), Optional.empty())));
  }
}
