package io.ordo.sql.pgcatalog;

import static io.ordo.sql.SqlType.BOOLEAN;
import static io.ordo.sql.SqlType.CHAR;
import static io.ordo.sql.SqlType.NAME;
import static io.ordo.sql.SqlType.OID;
import static io.ordo.sql.pgcatalog.PsqlQueries.cols;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The pg_type lookups of pgjdbc 42.7.14's TypeInfoCache, sent when a result or parameter has a
 * type outside the driver's built-in table (of Ordo's types: int2vector and the array and element
 * lookups; all are answered from {@link PgTypes}). Texts as the driver logged them at {@code
 * loggerLevel=TRACE} (test resources {@code pgcatalog/pgjdbc/*.sql}).
 */
final class JdbcTypeQueries {
  private JdbcTypeQueries() {}

  private static final String CATALOG = "pg_catalog";

  static List<QueryShape> shapes() {
    return List.of(
        new QueryShape("pgjdbc.typeNameByOid", "pgjdbc 42.7.14: TypeInfoCache.getPGType(oid)",
            QueryTemplate.compile("""
                SELECT n.nspname = ANY(current_schemas(true)), n.nspname, t.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid WHERE t.oid = {{oid:oidarg}}"""),
            holes -> cols("?column?", BOOLEAN, "nspname", NAME, "typname", NAME),
            r -> rows(PgTypes.byOid(PgTypes.parseOid(r.value("oid")))
                .map(t -> Arrays.<Object>asList(true, CATALOG, t.typname())))),
        new QueryShape("pgjdbc.sqlTypeByOid", "pgjdbc 42.7.14: TypeInfoCache.getSQLType(oid)",
            QueryTemplate.compile("""
                SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, pg_type.oid   FROM pg_catalog.pg_type   LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r           from pg_namespace as ns           join ( select s.r, (current_schemas(false))[s.r] as nspname                    from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r          using ( nspname )        ) as sp     ON sp.nspoid = typnamespace [[ WHERE pg_type.oid = {{oid:oidarg}} ]] ORDER BY sp.r, pg_type.oid DESC"""),
            holes -> cols("is_array", BOOLEAN, "typtype", CHAR, "typname", NAME, "oid", OID),
            r -> {
              List<PgTypes.PgType> types = new ArrayList<>(PgTypes.ALL);
              if (r.present("oid")) {
                long oid = PgTypes.parseOid(r.value("oid"));
                types.removeIf(t -> t.oid() != oid);
              }
              // pg_catalog is not in current_schemas(false): sp.r is NULL for every row.
              types.sort(Comparator.comparingLong(PgTypes.PgType::oid).reversed());
              List<List<Object>> rows = new ArrayList<>();
              for (PgTypes.PgType t : types) {
                rows.add(Arrays.asList(t.isArray(), t.typtype(), t.typname(), t.oid()));
              }
              return rows;
            }),
        new QueryShape("pgjdbc.oidByName", "pgjdbc 42.7.14: TypeInfoCache.getPGType(name)",
            QueryTemplate.compile("""
                SELECT pg_type.oid, typname   FROM pg_catalog.pg_type   LEFT   JOIN (select ns.oid as nspoid, ns.nspname, r.r           from pg_namespace as ns           join ( select s.r, (current_schemas(false))[s.r] as nspname                    from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r          using ( nspname )        ) as sp     ON sp.nspoid = typnamespace  WHERE typname = {{name:eq}}  ORDER BY sp.r, pg_type.oid DESC LIMIT 1"""),
            holes -> cols("oid", OID, "typname", NAME),
            r -> rows(byName(r.value("name")).map(t -> Arrays.<Object>asList(t.oid(),
                t.typname())))),
        new QueryShape("pgjdbc.oidByQualifiedName",
            "pgjdbc 42.7.14: TypeInfoCache.getPGType(schema.name)", QueryTemplate.compile("""
                SELECT t.oid, t.typname   FROM pg_catalog.pg_type t  JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid WHERE t.typname = {{name:eq}} AND (n.nspname = {{schema:eq}} OR {{any_schema:boolarg}} AND n.nspname = ANY (current_schemas(true))) ORDER BY t.oid DESC LIMIT 1"""),
            holes -> cols("oid", OID, "typname", NAME),
            r -> {
              if (!inSchema(r)) {
                return List.of();
              }
              return rows(byName(r.value("name")).map(t -> Arrays.<Object>asList(t.oid(),
                  t.typname())));
            }),
        new QueryShape("pgjdbc.arrayOidByName", "pgjdbc 42.7.14: TypeInfoCache.getPGArrayType",
            QueryTemplate.compile("""
                SELECT t.typarray, arr.typname   FROM pg_catalog.pg_type t  JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid  JOIN pg_catalog.pg_type arr ON arr.oid = t.typarray WHERE t.typname = {{name:eq}} AND (n.nspname = {{schema:eq}} OR {{any_schema:boolarg}} AND n.nspname = ANY (current_schemas(true))) ORDER BY t.oid DESC LIMIT 1"""),
            holes -> cols("typarray", OID, "typname", NAME),
            r -> {
              if (!inSchema(r)) {
                return List.of();
              }
              return rows(byName(r.value("name")).flatMap(t -> PgTypes.byOid(t.typarray()))
                  .map(a -> Arrays.<Object>asList(a.oid(), a.typname())));
            }),
        new QueryShape("pgjdbc.arrayDelimiter", "pgjdbc 42.7.14: TypeInfoCache.getArrayDelimiter",
            QueryTemplate.compile("""
                SELECT e.typdelim FROM pg_catalog.pg_type t, pg_catalog.pg_type e WHERE t.oid = {{oid:oidarg}} and t.typelem = e.oid"""),
            holes -> cols("typdelim", CHAR),
            r -> rows(element(r).map(e -> Arrays.<Object>asList(",")))),
        new QueryShape("pgjdbc.arrayElementByOid",
            "pgjdbc 42.7.14: TypeInfoCache.getPGArrayElement", QueryTemplate.compile("""
                SELECT e.oid, n.nspname = ANY(current_schemas(true)), n.nspname, e.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_type e ON t.typelem = e.oid JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid WHERE t.oid = {{oid:oidarg}}"""),
            holes -> cols("oid", OID, "?column?", BOOLEAN, "nspname", NAME, "typname", NAME),
            r -> rows(element(r).map(e -> Arrays.<Object>asList(e.oid(), true, CATALOG,
                e.typname())))));
  }

  private static Optional<PgTypes.PgType> byName(String name) {
    return name == null ? Optional.empty() : PgTypes.byName(name);
  }

  /** {@code n.nspname = $schema OR $anySchema AND n.nspname = ANY(current_schemas(true))}. */
  private static boolean inSchema(QueryShape.Request r) throws io.ordo.sql.SqlException {
    // Every type is in pg_catalog, which current_schemas(true) always holds.
    return CATALOG.equals(r.value("schema"))
        || Boolean.TRUE.equals(PgTypes.parseBoolean(r.value("any_schema")));
  }

  private static Optional<PgTypes.PgType> element(QueryShape.Request r)
      throws io.ordo.sql.SqlException {
    return PgTypes.byOid(PgTypes.parseOid(r.value("oid"))).filter(t -> t.typelem() != 0)
        .flatMap(t -> PgTypes.byOid(t.typelem()));
  }

  private static List<List<Object>> rows(Optional<List<Object>> row) {
    return row.<List<List<Object>>>map(List::of).orElse(List.of());
  }
}
