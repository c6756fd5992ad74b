package io.ordo.sql.pgcatalog;

import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.CatalogSnapshot;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.TableDef;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Ordo's catalog as PostgreSQL's system catalogs would show it: every table is a relation of
 * relkind {@code 'r'} in schema {@code public}, and its primary key a unique btree index of
 * relkind {@code 'i'} named {@code <table>_pkey}. Streams are not relations (see PGCATALOG.md).
 *
 * <p>Synthetic OIDs: a relation's oid is a function of its table's {@code tableId} alone, so it is
 * the same in every snapshot that holds the table and changes when the table is dropped and
 * created again (new tableId). The tableId's 64 bits (its 16 hex digits; the UTF-8 bytes' FNV-1a
 * hash when it is not hex) are mixed with SplitMix64's finalizer (the index's with a second
 * constant) and folded into {@code [16384, 2^31-1]}, PostgreSQL's range for user objects below
 * the sign bit (clients read oids as signed ints). Two relations of one snapshot that fold to the
 * same oid are told apart deterministically: in tableId order, a later one takes the next free
 * value.
 */
final class PgCatalogView {
  /** The only schema. */
  static final String SCHEMA = "public";
  /** pg_namespace.oid of {@code public} in every PostgreSQL database. */
  static final long PUBLIC_NAMESPACE_OID = 2200;
  static final int FIRST_USER_OID = 16384;
  private static final long OID_RANGE = (long) Integer.MAX_VALUE - FIRST_USER_OID + 1;
  /** NAMEDATALEN - 1: PostgreSQL truncates identifiers to 63 bytes. */
  private static final int NAME_BYTES_MAX = 63;
  private static final long TABLE_SALT = 0x9E3779B97F4A7C15L;
  private static final long INDEX_SALT = 0xC2B2AE3D27D4EB4FL;
  private static final Pattern PLAIN_IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_$]*");
  /** Reserved keywords that quote_ident quotes although they look plain (PostgreSQL App. C). */
  private static final Set<String> RESERVED = Set.of("all", "analyse", "analyze", "and", "any",
      "array", "as", "asc", "asymmetric", "both", "case", "cast", "check", "collate", "column",
      "constraint", "create", "current_catalog", "current_date", "current_role", "current_time",
      "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do",
      "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant", "group",
      "having", "in", "initially", "intersect", "into", "lateral", "leading", "limit",
      "localtime", "localtimestamp", "not", "null", "offset", "on", "only", "or", "order",
      "placing", "primary", "references", "returning", "select", "session_user", "some",
      "symmetric", "table", "then", "to", "trailing", "true", "union", "unique", "user", "using",
      "variadic", "when", "where", "window", "with");

  /**
   * One relation.
   *
   * @param oid the synthetic pg_class.oid
   * @param name relname
   * @param relkind {@code 'r'} for a table, {@code 'i'} for its primary key index
   * @param table the table (for an index, the table it indexes)
   */
  record Relation(long oid, String name, char relkind, TableDef table) {}

  private final List<Relation> relations;
  private final Map<Long, Relation> byOid;

  private PgCatalogView(List<Relation> relations) {
    this.relations = relations;
    this.byOid = relations.stream().collect(Collectors.toMap(Relation::oid, r -> r));
  }

  static PgCatalogView of(CatalogSnapshot catalog) {
    List<TableDef> tables = new ArrayList<>(catalog.tables());
    tables.sort(Comparator.comparing(TableDef::tableId).thenComparing(TableDef::name));
    Set<Long> taken = new HashSet<>();
    Map<TableDef, long[]> oids = new HashMap<>();
    for (TableDef t : tables) {
      long tableOid = claim(candidateOid(t.tableId(), TABLE_SALT), taken);
      long indexOid = claim(candidateOid(t.tableId(), INDEX_SALT), taken);
      oids.put(t, new long[] {tableOid, indexOid});
    }
    Map<String, String> indexNames = indexNames(catalog.tables());
    List<Relation> relations = new ArrayList<>(tables.size() * 2);
    for (TableDef t : tables) {
      long[] o = oids.get(t);
      relations.add(new Relation(o[0], t.name(), 'r', t));
      relations.add(new Relation(o[1], indexNames.get(t.tableId()), 'i', t));
    }
    relations.sort(Comparator.comparing(Relation::name).thenComparing(Relation::relkind));
    return new PgCatalogView(List.copyOf(relations));
  }

  /** The oid a relation of this tableId gets unless another relation of the snapshot has it. */
  static long candidateOid(String tableId, long salt) {
    long bits;
    try {
      bits = Long.parseUnsignedLong(tableId, 16);
    } catch (NumberFormatException e) {
      bits = fnv1a(tableId.getBytes(StandardCharsets.UTF_8));
    }
    return FIRST_USER_OID + Math.floorMod(mix(bits ^ salt), OID_RANGE);
  }

  /** The synthetic oid of the table with this tableId, before collision handling. */
  static long tableOidCandidate(String tableId) {
    return candidateOid(tableId, TABLE_SALT);
  }

  private static long claim(long oid, Set<Long> taken) {
    long o = oid;
    while (!taken.add(o)) {
      o = o == Integer.MAX_VALUE ? FIRST_USER_OID : o + 1;
    }
    return o;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static long fnv1a(byte[] bytes) {
    long h = 0xCBF29CE484222325L;
    for (byte b : bytes) {
      h ^= b & 0xFF;
      h *= 0x100000001B3L;
    }
    return h;
  }

  /** All relations, by name then relkind. */
  List<Relation> relations() {
    return relations;
  }

  Optional<Relation> relation(long oid) {
    return Optional.ofNullable(byOid.get(oid));
  }

  /** The table with this oid, if the oid is a table's. */
  Optional<TableDef> table(long oid) {
    return relation(oid).filter(r -> r.relkind() == 'r').map(Relation::table);
  }

  /** The primary key index's oid of a table of this view. */
  long indexOid(TableDef table) {
    return indexRelation(table).oid();
  }

  /**
   * The primary key index names by tableId, as PostgreSQL's ChooseRelationName picks them:
   * {@code <table>_pkey}, the table name cut (at a character boundary) so that the whole is at
   * most 63 bytes; when a relation already has that name, {@code <table>_pkey1}, {@code 2}...
   * Tables are taken in name order, so the choice depends on the snapshot alone.
   */
  private static Map<String, String> indexNames(List<TableDef> tables) {
    Set<String> taken = new HashSet<>();
    tables.forEach(t -> taken.add(t.name()));
    List<TableDef> byName = new ArrayList<>(tables);
    byName.sort(Comparator.comparing(TableDef::name));
    Map<String, String> names = new HashMap<>();
    for (TableDef t : byName) {
      String name = indexName(t.name(), "_pkey");
      for (int n = 1; taken.contains(name); n++) {
        name = indexName(t.name(), "_pkey" + n);
      }
      taken.add(name);
      names.put(t.tableId(), name);
    }
    return names;
  }

  private static String indexName(String table, String suffix) {
    String name = table;
    while (name.getBytes(StandardCharsets.UTF_8).length + suffix.length() > NAME_BYTES_MAX) {
      name = name.substring(0, name.offsetByCodePoints(name.length(), -1));
    }
    return name + suffix;
  }

  /** The name of this table's primary key index in this view. */
  String indexName(TableDef table) {
    return indexRelation(table).name();
  }

  private Relation indexRelation(TableDef table) {
    return relations.stream()
        .filter(r -> r.relkind() == 'i' && r.table().tableId().equals(table.tableId()))
        .findFirst().orElseThrow(() -> new IllegalArgumentException(
            "table " + table.name() + " is not in this catalog view"));
  }

  /**
   * {@code format_type(atttypid, atttypmod)}: e.g. {@code bigint}, {@code character
   * varying(20)}, {@code numeric(12,2)}, {@code timestamp with time zone}.
   */
  static String formatType(ColumnDef c) {
    return switch (c.type()) {
      case VARCHAR -> c.precision() >= 0 ? "character varying(" + c.precision() + ")"
          : c.type().pgName();
      case DECIMAL -> c.precision() >= 0
          ? "numeric(" + c.precision() + "," + Math.max(0, c.scale()) + ")" : c.type().pgName();
      default -> c.type().pgName();
    };
  }

  /**
   * pg_attribute.atttypmod: a varchar's length + 4, a numeric's {@code (precision << 16 |
   * scale) + 4} (PostgreSQL's VARHDRSZ offset), -1 when unconstrained.
   */
  static int typmod(ColumnDef c) {
    return switch (c.type()) {
      case VARCHAR -> c.precision() >= 0 ? c.precision() + 4 : -1;
      case DECIMAL -> c.precision() >= 0 ? ((c.precision() << 16) | Math.max(0, c.scale())) + 4
          : -1;
      default -> -1;
    };
  }

  /** pg_type.typstorage of the type ({@code p} plain, {@code m} main, {@code x} extended). */
  static String storage(SqlType type) {
    return switch (type) {
      case DECIMAL -> "m";
      case VARCHAR, TEXT, BYTEA, JSONB, INT2VECTOR, TEXT_ARRAY -> "x";
      default -> "p";
    };
  }

  /** quote_ident: the name as is when it needs no quotes, else in double quotes. */
  static String quoteIdent(String name) {
    if (PLAIN_IDENTIFIER.matcher(name).matches() && !RESERVED.contains(name)) {
      return name;
    }
    return '"' + name.replace("\"", "\"\"") + '"';
  }

  /** The primary key's columns, quoted and comma-separated: {@code id} or {@code k, n}. */
  static String keyColumnList(TableDef table) {
    return table.primaryKey().stream().map(PgCatalogView::quoteIdent)
        .collect(Collectors.joining(", "));
  }

  /**
   * {@code pg_get_indexdef} of the primary key index, e.g. {@code CREATE UNIQUE INDEX
   * accounts_pkey ON accounts USING btree (id)} (no schema: {@code public} is on the search
   * path).
   */
  String indexDef(TableDef table) {
    return "CREATE UNIQUE INDEX " + quoteIdent(indexName(table)) + " ON "
        + quoteIdent(table.name()) + " USING btree (" + keyColumnList(table) + ")";
  }

  /** {@code pg_get_constraintdef} of the primary key, e.g. {@code PRIMARY KEY (id)}. */
  static String constraintDef(TableDef table) {
    return "PRIMARY KEY (" + keyColumnList(table) + ")";
  }
}
