package io.ordo.sql.pgcatalog;

import static io.ordo.sql.SqlType.BIGINT;
import static io.ordo.sql.SqlType.BOOLEAN;
import static io.ordo.sql.SqlType.CHAR;
import static io.ordo.sql.SqlType.DOUBLE;
import static io.ordo.sql.SqlType.INTEGER;
import static io.ordo.sql.SqlType.NAME;
import static io.ordo.sql.SqlType.OID;
import static io.ordo.sql.SqlType.SMALLINT;
import static io.ordo.sql.SqlType.TEXT;
import static io.ordo.sql.pgcatalog.PsqlQueries.cols;

import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.TableDef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The queries pgjdbc 42.7.14 sends for DatabaseMetaData getTables, getColumns, getPrimaryKeys,
 * getIndexInfo, getSchemas and getCatalogs and for {@code Connection.getCatalog()} ({@code select
 * current_catalog}), plus the session functions tools query at connect ({@code select version()},
 * {@code current_database()}, {@code current_schema()}, {@code current_user}). getTableTypes sends
 * nothing. The templates are the texts the driver logged at {@code loggerLevel=TRACE} (test
 * resources {@code pgcatalog/pgjdbc/*.sql}); their optional parts follow the driver's
 * PgDatabaseMetaData, which adds each filter only when its argument is not null.
 */
final class JdbcQueries {
  private JdbcQueries() {}

  /**
   * pgjdbc's getTables clause per table type (the "SCHEMAS" variant its servers use), in the
   * driver's text. Only TABLE and INDEX select anything in Ordo.
   */
  static final Map<String, String> TYPE_CLAUSES = typeClauses();

  private static Map<String, String> typeClauses() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("TABLE",
        "c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'");
    m.put("PARTITIONED TABLE",
        "c.relkind = 'p' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'");
    m.put("VIEW",
        "c.relkind = 'v' AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema'");
    m.put("INDEX",
        "c.relkind = 'i' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'");
    m.put("PARTITIONED INDEX",
        "c.relkind = 'I' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'");
    m.put("SEQUENCE", "c.relkind = 'S'");
    m.put("TYPE",
        "c.relkind = 'c' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'");
    m.put("SYSTEM TABLE",
        "c.relkind = 'r' AND (n.nspname = 'pg_catalog' OR n.nspname = 'information_schema')");
    m.put("SYSTEM TOAST TABLE", "c.relkind = 'r' AND n.nspname = 'pg_toast'");
    m.put("SYSTEM TOAST INDEX", "c.relkind = 'i' AND n.nspname = 'pg_toast'");
    m.put("SYSTEM VIEW",
        "c.relkind = 'v' AND (n.nspname = 'pg_catalog' OR n.nspname = 'information_schema') ");
    m.put("SYSTEM INDEX",
        "c.relkind = 'i' AND (n.nspname = 'pg_catalog' OR n.nspname = 'information_schema') ");
    m.put("TEMPORARY TABLE", "c.relkind IN ('r','p') AND n.nspname ~ '^pg_temp_' ");
    m.put("TEMPORARY INDEX", "c.relkind = 'i' AND n.nspname ~ '^pg_temp_' ");
    m.put("TEMPORARY VIEW", "c.relkind = 'v' AND n.nspname ~ '^pg_temp_' ");
    m.put("TEMPORARY SEQUENCE", "c.relkind = 'S' AND n.nspname ~ '^pg_temp_' ");
    m.put("FOREIGN TABLE", "c.relkind = 'f'");
    m.put("MATERIALIZED VIEW", "c.relkind = 'm'");
    return Map.copyOf(m);
  }

  private static String wrapped(String clause) {
    return "or(" + SqlText.normalize(clause).orElseThrow() + ")";
  }

  /** The regular expression of a run of {@code OR ( clause )} in normal form. */
  static String typeClausesRegex() {
    String alternatives = TYPE_CLAUSES.values().stream().map(JdbcQueries::wrapped)
        .sorted(Comparator.comparing(String::length).reversed())
        .map(Pattern::quote).collect(Collectors.joining("|"));
    return "(?: ?(?:" + alternatives + ")){0,32}";
  }

  static List<QueryShape> shapes() {
    return List.of(sessionValue("session.currentCatalog", "select current_catalog",
            "current_catalog", NAME, r -> r.session().database()),
        sessionValue("session.currentDatabase", "select current_database()", "current_database",
            NAME, r -> r.session().database()),
        sessionValue("session.currentSchema", "select current_schema()", "current_schema", NAME,
            r -> PgCatalogView.SCHEMA),
        sessionValue("session.currentUser", "select current_user", "current_user", NAME,
            r -> r.session().user()),
        sessionValue("session.sessionUser", "select session_user", "session_user", NAME,
            r -> r.session().user()),
        sessionValue("session.version", "select [[pg_catalog.]]version()", "version", TEXT,
            r -> "PostgreSQL " + r.session().serverVersion() + " (Ordo)"),
        getTables(), getColumns(), getPrimaryKeys(), getIndexInfo(), getSchemas(), getCatalogs());
  }

  private interface Value {
    Object of(QueryShape.Request r);
  }

  private static QueryShape sessionValue(
      String id, String template, String column, io.ordo.sql.SqlType type, Value value) {
    return new QueryShape(id, "clients at connect: " + template.replace("[[", "").replace("]]", ""),
        QueryTemplate.compile(template), holes -> cols(column, type),
        r -> List.of(Arrays.asList(value.of(r))));
  }

  /** Tables matching the optional schema and table LIKE patterns, by name. */
  private static List<TableDef> tables(QueryShape.Request r, String schemaHole, String tableHole,
      boolean like) throws io.ordo.sql.SqlException {
    Predicate<String> schema = !r.present(schemaHole) ? x -> true
        : like ? NamePatterns.like(r.value(schemaHole)) : NamePatterns.equal(r.value(schemaHole));
    Predicate<String> table = !r.present(tableHole) ? x -> true
        : like ? NamePatterns.like(r.value(tableHole)) : NamePatterns.equal(r.value(tableHole));
    List<TableDef> out = new ArrayList<>();
    if (!schema.test(PgCatalogView.SCHEMA)) {
      return out;
    }
    for (PgCatalogView.Relation rel : r.view().relations()) {
      if (rel.relkind() == 'r' && table.test(rel.name())) {
        out.add(rel.table());
      }
    }
    return out;
  }

  private static QueryShape getTables() {
    QueryTemplate t = QueryTemplate.compile("""
        SELECT current_database() AS "TABLE_CAT", n.nspname AS "TABLE_SCHEM", c.relname AS "TABLE_NAME",  CASE n.nspname ~ '^pg_' OR n.nspname = 'information_schema'  WHEN true THEN CASE  WHEN n.nspname = 'pg_catalog' OR n.nspname = 'information_schema' THEN CASE c.relkind   WHEN 'r' THEN 'SYSTEM TABLE'   WHEN 'v' THEN 'SYSTEM VIEW'   WHEN 'i' THEN 'SYSTEM INDEX'   ELSE NULL   END  WHEN n.nspname = 'pg_toast' THEN CASE c.relkind   WHEN 'r' THEN 'SYSTEM TOAST TABLE'   WHEN 'i' THEN 'SYSTEM TOAST INDEX'   ELSE NULL   END  ELSE CASE c.relkind   WHEN 'r' THEN 'TEMPORARY TABLE'   WHEN 'p' THEN 'TEMPORARY TABLE'   WHEN 'i' THEN 'TEMPORARY INDEX'   WHEN 'S' THEN 'TEMPORARY SEQUENCE'   WHEN 'v' THEN 'TEMPORARY VIEW'   ELSE NULL   END  END  WHEN false THEN CASE c.relkind  WHEN 'r' THEN 'TABLE'  WHEN 'p' THEN 'PARTITIONED TABLE'  WHEN 'i' THEN 'INDEX'  WHEN 'P' then 'PARTITIONED INDEX'  WHEN 'S' THEN 'SEQUENCE'  WHEN 'v' THEN 'VIEW'  WHEN 'c' THEN 'TYPE'  WHEN 'f' THEN 'FOREIGN TABLE'  WHEN 'm' THEN 'MATERIALIZED VIEW'  ELSE NULL  END  ELSE NULL  END  AS "TABLE_TYPE", d.description AS "REMARKS",  '' as "TYPE_CAT", '' as "TYPE_SCHEM", '' as "TYPE_NAME", '' AS "SELF_REFERENCING_COL_NAME", '' AS "REF_GENERATION"  FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c  LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0  and d.classoid = 'pg_class'::regclass)  WHERE c.relnamespace = n.oid [[ AND n.nspname LIKE {{schema:like}}]][[ AND has_table_privilege(c.oid, {{privileges:any}})]][[ AND c.relname LIKE {{table:like}}]][[ AND (false {{types:types}}) ]] ORDER BY "TABLE_TYPE","TABLE_SCHEM","TABLE_NAME\"""");
    String tableClause = wrapped(TYPE_CLAUSES.get("TABLE"));
    String indexClause = wrapped(TYPE_CLAUSES.get("INDEX"));
    return new QueryShape("pgjdbc.getTables", "pgjdbc 42.7.14: DatabaseMetaData.getTables", t,
        holes -> cols("TABLE_CAT", NAME, "TABLE_SCHEM", NAME, "TABLE_NAME", NAME,
            "TABLE_TYPE", TEXT, "REMARKS", TEXT, "TYPE_CAT", TEXT, "TYPE_SCHEM", TEXT,
            "TYPE_NAME", TEXT, "SELF_REFERENCING_COL_NAME", TEXT, "REF_GENERATION", TEXT),
        r -> {
          // Without types every relation is listed, primary key indexes as INDEX, as
          // PostgreSQL does; ORDER BY "TABLE_TYPE" puts INDEX before TABLE.
          boolean tables = !r.present("types") || r.holes().raw("types").contains(tableClause);
          boolean indexes = !r.present("types") || r.holes().raw("types").contains(indexClause);
          Predicate<String> schema = r.present("schema") ? NamePatterns.like(r.value("schema"))
              : x -> true;
          Predicate<String> name = r.present("table") ? NamePatterns.like(r.value("table"))
              : x -> true;
          List<List<Object>> rows = new ArrayList<>();
          if (!schema.test(PgCatalogView.SCHEMA)) {
            return rows;
          }
          for (char kind : new char[] {'i', 'r'}) {
            if (kind == 'i' ? !indexes : !tables) {
              continue;
            }
            for (PgCatalogView.Relation rel : r.view().relations()) {
              if (rel.relkind() == kind && name.test(rel.name())) {
                rows.add(Arrays.asList(r.session().database(), PgCatalogView.SCHEMA,
                    rel.name(), kind == 'i' ? "INDEX" : "TABLE", null, "", "", "", "", ""));
              }
            }
          }
          return rows;
        });
  }

  private static QueryShape getColumns() {
    QueryTemplate t = QueryTemplate.compile("""
        SELECT * FROM (SELECT current_database() AS current_database, n.nspname,c.relname,a.attname,a.atttypid,a.attnotnull  OR (t.typtype = 'd' AND t.typnotnull) AS attnotnull,a.atttypmod,a.attlen,t.typtypmod,row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS attnum, nullif(a.attidentity, '') as attidentity,nullif(a.attgenerated, '') as attgenerated,pg_catalog.pg_get_expr(def.adbin, def.adrelid) AS adsrc,dsc.description,t.typbasetype,t.typtype  FROM pg_catalog.pg_namespace n  JOIN pg_catalog.pg_class c ON (c.relnamespace = n.oid)  JOIN pg_catalog.pg_attribute a ON (a.attrelid=c.oid)  JOIN pg_catalog.pg_type t ON (a.atttypid = t.oid)  LEFT JOIN pg_catalog.pg_attrdef def ON (a.attrelid=def.adrelid AND a.attnum = def.adnum)  LEFT JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)  LEFT JOIN pg_catalog.pg_class dc ON (dc.oid=dsc.classoid AND dc.relname='pg_class')  LEFT JOIN pg_catalog.pg_namespace dn ON (dc.relnamespace=dn.oid AND dn.nspname='pg_catalog')  WHERE c.relkind in ('r','p','v','f','m') and a.attnum > 0 AND NOT a.attisdropped [[ AND n.nspname LIKE {{schema:like}}]][[ AND c.relname LIKE {{table:like}}]]) c WHERE true [[ AND attname LIKE {{column:like}}]] ORDER BY nspname,c.relname,attnum""");
    return new QueryShape("pgjdbc.getColumns", "pgjdbc 42.7.14: DatabaseMetaData.getColumns", t,
        holes -> cols("current_database", NAME, "nspname", NAME, "relname", NAME,
            "attname", NAME, "atttypid", OID, "attnotnull", BOOLEAN, "atttypmod", INTEGER,
            "attlen", SMALLINT, "typtypmod", INTEGER, "attnum", BIGINT, "attidentity", CHAR,
            "attgenerated", CHAR, "adsrc", TEXT, "description", TEXT, "typbasetype", OID,
            "typtype", CHAR),
        r -> {
          Predicate<String> column = r.present("column") ? NamePatterns.like(r.value("column"))
              : x -> true;
          List<List<Object>> rows = new ArrayList<>();
          for (TableDef td : tables(r, "schema", "table", true)) {
            List<ColumnDef> columns = new ArrayList<>(td.columns());
            columns.sort(Comparator.comparingInt(ColumnDef::id));
            long attnum = 0;
            for (ColumnDef c : columns) {
              attnum++;
              if (!column.test(c.name())) {
                continue;
              }
              rows.add(Arrays.asList(r.session().database(), PgCatalogView.SCHEMA, td.name(),
                  c.name(), (long) c.type().oid(), c.notNull(), PgCatalogView.typmod(c),
                  (short) c.type().typeLength(), -1, attnum, null, null,
                  c.defaultSql().orElse(null), null, 0L, "b"));
            }
          }
          return rows;
        });
  }

  private static QueryShape getPrimaryKeys() {
    QueryTemplate t = QueryTemplate.compile("""
        SELECT        result.TABLE_CAT AS "TABLE_CAT",        result.TABLE_SCHEM AS "TABLE_SCHEM",        result.TABLE_NAME AS "TABLE_NAME",        result.COLUMN_NAME AS "COLUMN_NAME",        result.KEY_SEQ AS "KEY_SEQ",        result.PK_NAME AS "PK_NAME"FROM      (SELECT current_database() AS TABLE_CAT, n.nspname AS TABLE_SCHEM,   ct.relname AS TABLE_NAME, a.attname AS COLUMN_NAME,   (information_schema._pg_expandarray(con.conkey)).n AS KEY_SEQ, con.conname AS PK_NAME,   information_schema._pg_expandarray(con.conkey) AS KEYS, a.attnum AS A_ATTNUM FROM pg_catalog.pg_constraint con   JOIN pg_catalog.pg_class ct ON (con.conrelid = ct.oid)   JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)   JOIN pg_catalog.pg_attribute a ON (a.attrelid = ct.oid) WHERE con.contype = 'p' [[ AND n.nspname = {{schema:eq}}]][[ AND ct.relname = {{table:eq}}]] ) result where  result.A_ATTNUM = (result.KEYS).x  ORDER BY result.table_name, result.pk_name, result.key_seq""");
    return new QueryShape("pgjdbc.getPrimaryKeys",
        "pgjdbc 42.7.14: DatabaseMetaData.getPrimaryKeys", t,
        holes -> cols("TABLE_CAT", NAME, "TABLE_SCHEM", NAME, "TABLE_NAME", NAME,
            "COLUMN_NAME", NAME, "KEY_SEQ", INTEGER, "PK_NAME", NAME),
        r -> {
          List<List<Object>> rows = new ArrayList<>();
          for (TableDef td : tables(r, "schema", "table", false)) {
            int seq = 0;
            for (String key : td.primaryKey()) {
              rows.add(Arrays.asList(r.session().database(), PgCatalogView.SCHEMA, td.name(), key,
                  ++seq, r.view().indexName(td)));
            }
          }
          return rows;
        });
  }

  private static QueryShape getIndexInfo() {
    QueryTemplate t = QueryTemplate.compile("""
        SELECT     tmp.TABLE_CAT AS "TABLE_CAT",     tmp.TABLE_SCHEM AS "TABLE_SCHEM",     tmp.TABLE_NAME AS "TABLE_NAME",     tmp.NON_UNIQUE AS "NON_UNIQUE",     tmp.INDEX_QUALIFIER AS "INDEX_QUALIFIER",     tmp.INDEX_NAME AS "INDEX_NAME",     tmp.TYPE AS "TYPE",     tmp.ORDINAL_POSITION AS "ORDINAL_POSITION",     trim(both '"' from pg_catalog.pg_get_indexdef(tmp.CI_OID, tmp.ORDINAL_POSITION, false)) AS "COLUMN_NAME",   CASE tmp.AM_NAME     WHEN 'btree' THEN CASE tmp.I_INDOPTION[tmp.ORDINAL_POSITION - 1] & 1::smallint       WHEN 1 THEN 'D'       ELSE 'A'     END     ELSE NULL   END AS "ASC_OR_DESC",     tmp.CARDINALITY AS "CARDINALITY",     tmp.PAGES AS "PAGES",     tmp.FILTER_CONDITION AS "FILTER_CONDITION",     tmp.REMARKS AS "REMARKS"FROM (SELECT current_database() AS TABLE_CAT,  n.nspname AS TABLE_SCHEM,   ct.relname AS TABLE_NAME, NOT i.indisunique AS NON_UNIQUE,   NULL AS INDEX_QUALIFIER, ci.relname AS INDEX_NAME,   CASE i.indisclustered     WHEN true THEN 1    ELSE CASE am.amname       WHEN 'hash' THEN 2      ELSE 3    END   END AS TYPE,   (information_schema._pg_expandarray(i.indkey)).n AS ORDINAL_POSITION,   ci.reltuples AS CARDINALITY,   ci.relpages AS PAGES,   pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS FILTER_CONDITION,   ci.oid AS CI_OID,   i.indoption AS I_INDOPTION,   am.amname AS AM_NAME,   d.description AS REMARKS FROM pg_catalog.pg_class ct   JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)   JOIN pg_catalog.pg_index i ON (ct.oid = i.indrelid)   JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid)   JOIN pg_catalog.pg_am am ON (ci.relam = am.oid)   LEFT JOIN pg_catalog.pg_description d ON (ci.oid = d.objoid) WHERE true [[ AND n.nspname = {{schema:eq}}]] AND ct.relname = {{table:eq}}[[ AND i.indisunique ]]) AS tmp ORDER BY "NON_UNIQUE", "TYPE", "INDEX_NAME", "ORDINAL_POSITION\"""");
    return new QueryShape("pgjdbc.getIndexInfo", "pgjdbc 42.7.14: DatabaseMetaData.getIndexInfo",
        t,
        // CARDINALITY is float4 (real) in PostgreSQL; Ordo has no real type (PGCATALOG.md).
        holes -> cols("TABLE_CAT", NAME, "TABLE_SCHEM", NAME, "TABLE_NAME", NAME,
            "NON_UNIQUE", BOOLEAN, "INDEX_QUALIFIER", TEXT, "INDEX_NAME", NAME, "TYPE", INTEGER,
            "ORDINAL_POSITION", INTEGER, "COLUMN_NAME", TEXT, "ASC_OR_DESC", TEXT,
            "CARDINALITY", DOUBLE, "PAGES", INTEGER, "FILTER_CONDITION", TEXT, "REMARKS", TEXT),
        r -> {
          List<List<Object>> rows = new ArrayList<>();
          for (TableDef td : tables(r, "schema", "table", false)) {
            int position = 0;
            for (String key : td.primaryKey()) {
              // TYPE 3 is DatabaseMetaData.tableIndexOther (a btree); the size figures are 0:
              // the gateway keeps no per-table statistics.
              rows.add(Arrays.asList(r.session().database(), PgCatalogView.SCHEMA, td.name(),
                  false, null, r.view().indexName(td), 3, ++position, key, "A", 0.0, 0,
                  null, null));
            }
          }
          return rows;
        });
  }

  private static QueryShape getSchemas() {
    QueryTemplate t = QueryTemplate.compile("""
        SELECT nspname AS "TABLE_SCHEM", current_database() AS "TABLE_CATALOG" FROM pg_catalog.pg_namespace  WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_'  OR nspname = (pg_catalog.current_schemas(true))[1]) AND (nspname !~ '^pg_toast_temp_'  OR nspname = replace((pg_catalog.current_schemas(true))[1], 'pg_temp_', 'pg_toast_temp_')) [[ AND nspname LIKE {{schema:like}}]][[ AND has_schema_privilege(nspname, 'USAGE, CREATE')]] ORDER BY "TABLE_SCHEM\"""");
    return new QueryShape("pgjdbc.getSchemas", "pgjdbc 42.7.14: DatabaseMetaData.getSchemas", t,
        holes -> cols("TABLE_SCHEM", NAME, "TABLE_CATALOG", NAME),
        r -> {
          if (r.present("schema") && !NamePatterns.like(r.value("schema"))
              .test(PgCatalogView.SCHEMA)) {
            return List.of();
          }
          return List.of(Arrays.asList(PgCatalogView.SCHEMA, r.session().database()));
        });
  }

  private static QueryShape getCatalogs() {
    QueryTemplate t = QueryTemplate.compile("""
        SELECT datname AS "TABLE_CAT" FROM pg_catalog.pg_database WHERE datallowconn = true ORDER BY datname""");
    return new QueryShape("pgjdbc.getCatalogs", "pgjdbc 42.7.14: DatabaseMetaData.getCatalogs", t,
        holes -> cols("TABLE_CAT", NAME),
        r -> List.of(Arrays.asList(r.session().database())));
  }
}
