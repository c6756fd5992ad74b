package io.ordo.sql.pgcatalog;

import static io.ordo.sql.SqlType.BOOLEAN;
import static io.ordo.sql.SqlType.CHAR;
import static io.ordo.sql.SqlType.INTEGER;
import static io.ordo.sql.SqlType.NAME;
import static io.ordo.sql.SqlType.OID;
import static io.ordo.sql.SqlType.SMALLINT;
import static io.ordo.sql.SqlType.TEXT;

import io.ordo.sql.Column;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.TableDef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The queries psql 15 sends for {@code \dt}, {@code \di}, {@code \dv}, {@code \ds}, {@code \d}
 * (all with an optional pattern and {@code +}), {@code \d name} (the oid lookup and, per table
 * or primary key index, the queries of {@code describeOneTableDetails}), {@code \l} and {@code \dn}. The templates are
 * the texts psql 15.20 printed with {@code -E} (test resources {@code pgcatalog/psql/*.sql}), with
 * holes where psql puts the pattern, the oid or an optional part.
 */
final class PsqlQueries {
  private PsqlQueries() {}

  static List<QueryShape> shapes() {
    return List.of(listRelations(), relationOid(), tableInfo(), tableColumns(), tableIndexes(),
        indexColumns(), indexInfo(),
        empty("psql.policies", "psql 15: \\d name (row security policies)", """
            SELECT pol.polname, pol.polpermissive,
              CASE WHEN pol.polroles = '{0}' THEN NULL ELSE pg_catalog.array_to_string(array(select rolname from pg_catalog.pg_roles where oid = any (pol.polroles) order by 1),',') END,
              pg_catalog.pg_get_expr(pol.polqual, pol.polrelid),
              pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid),
              CASE pol.polcmd
                WHEN 'r' THEN 'SELECT'
                WHEN 'a' THEN 'INSERT'
                WHEN 'w' THEN 'UPDATE'
                WHEN 'd' THEN 'DELETE'
                END AS cmd
            FROM pg_catalog.pg_policy pol
            WHERE pol.polrelid = {{oid:oid}} ORDER BY 1;""",
            cols("polname", NAME, "polpermissive", BOOLEAN, "array_to_string", TEXT,
                "pg_get_expr", TEXT, "pg_get_expr", TEXT, "cmd", TEXT)),
        empty("psql.statistics", "psql 15: \\d name (extended statistics)", """
            SELECT oid, stxrelid::pg_catalog.regclass, stxnamespace::pg_catalog.regnamespace::pg_catalog.text AS nsp, stxname,
            pg_catalog.pg_get_statisticsobjdef_columns(oid) AS columns,
              'd' = any(stxkind) AS ndist_enabled,
              'f' = any(stxkind) AS deps_enabled,
              'm' = any(stxkind) AS mcv_enabled,
            stxstattarget
            FROM pg_catalog.pg_statistic_ext
            WHERE stxrelid = {{oid:oid}}
            ORDER BY nsp, stxname;""",
            // stxrelid is a regclass in PostgreSQL; no row is ever returned (PGCATALOG.md).
            cols("oid", OID, "stxrelid", OID, "nsp", TEXT, "stxname", NAME, "columns", TEXT,
                "ndist_enabled", BOOLEAN, "deps_enabled", BOOLEAN, "mcv_enabled", BOOLEAN,
                "stxstattarget", INTEGER)),
        empty("psql.publications", "psql 15: \\d name (publications)", """
            SELECT pubname
                 , NULL
                 , NULL
            FROM pg_catalog.pg_publication p
                 JOIN pg_catalog.pg_publication_namespace pn ON p.oid = pn.pnpubid
                 JOIN pg_catalog.pg_class pc ON pc.relnamespace = pn.pnnspid
            WHERE pc.oid ={{oid:oid}} and pg_catalog.pg_relation_is_publishable({{oid:oid}})
            UNION
            SELECT pubname
                 , pg_get_expr(pr.prqual, c.oid)
                 , (CASE WHEN pr.prattrs IS NOT NULL THEN
                     (SELECT string_agg(attname, ', ')
                       FROM pg_catalog.generate_series(0, pg_catalog.array_upper(pr.prattrs::pg_catalog.int2[], 1)) s,
                            pg_catalog.pg_attribute
                      WHERE attrelid = pr.prrelid AND attnum = prattrs[s])
                    ELSE NULL END) FROM pg_catalog.pg_publication p
                 JOIN pg_catalog.pg_publication_rel pr ON p.oid = pr.prpubid
                 JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
            WHERE pr.prrelid = {{oid:oid}}
            UNION
            SELECT pubname
                 , NULL
                 , NULL
            FROM pg_catalog.pg_publication p
            WHERE p.puballtables AND pg_catalog.pg_relation_is_publishable({{oid:oid}})
            ORDER BY 1;""",
            cols("pubname", NAME, "?column?", TEXT, "?column?", TEXT)),
        empty("psql.inheritsParents", "psql 15: \\d name (inherited tables)", """
            SELECT c.oid::pg_catalog.regclass
            FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
            WHERE c.oid = i.inhparent AND i.inhrelid = {{oid:oid}}
              AND c.relkind != 'p' AND c.relkind != 'I'
            ORDER BY inhseqno;""",
            // A regclass in PostgreSQL; no row is ever returned.
            cols("oid", OID)),
        empty("psql.inheritsChildren", "psql 15: \\d name (child tables, partitions)", """
            SELECT c.oid::pg_catalog.regclass, c.relkind, inhdetachpending, pg_catalog.pg_get_expr(c.relpartbound, c.oid)
            FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
            WHERE c.oid = i.inhrelid AND i.inhparent = {{oid:oid}}
            ORDER BY pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT', c.oid::pg_catalog.regclass::pg_catalog.text;""",
            cols("oid", OID, "relkind", CHAR, "inhdetachpending", BOOLEAN, "pg_get_expr", TEXT)),
        listDatabases(), listSchemas(),
        empty("psql.schemaPublications", "psql 15: \\dn pattern (publications of the schema)", """
            SELECT pubname
            FROM pg_catalog.pg_publication p
                 JOIN pg_catalog.pg_publication_namespace pn ON p.oid = pn.pnpubid
                 JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid
            WHERE n.nspname = {{nsp:any}}
            ORDER BY 1""",
            cols("pubname", NAME)));
  }

  /** {@code \dt}, {@code \di}, {@code \dv}, {@code \ds}, {@code \d}, with pattern and +. */
  private static QueryShape listRelations() {
    QueryTemplate t = QueryTemplate.compile("""
        SELECT n.nspname as "Schema",
          c.relname as "Name",
          CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
          pg_catalog.pg_get_userbyid(c.relowner) as "Owner"[[with_table:,
          c2.relname as "Table"]][[persistence:,
          CASE c.relpersistence WHEN 'p' THEN 'permanent' WHEN 't' THEN 'temporary' WHEN 'u' THEN 'unlogged' END as "Persistence"]][[access_method:,
          am.amname as "Access method"]][[size:,
          pg_catalog.pg_size_pretty(pg_catalog.pg_table_size(c.oid)) as "Size",
          pg_catalog.obj_description(c.oid, 'pg_class') as "Description"]]
        FROM pg_catalog.pg_class c
             LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace[[am_join:
             LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam]][[index_join:
             LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
             LEFT JOIN pg_catalog.pg_class c2 ON i.indrelid = c2.oid]]
        WHERE c.relkind IN ({{relkinds:relkinds}})[[system:
              AND n.nspname <> 'pg_catalog'
              AND n.nspname !~ '^pg_toast'
              AND n.nspname <> 'information_schema']][[
          AND c.relname OPERATOR(pg_catalog.~) {{rel:regex}} COLLATE pg_catalog.default]][[visible:
          AND pg_catalog.pg_table_is_visible(c.oid)]][[
          AND n.nspname OPERATOR(pg_catalog.~) {{nsp:regex}} COLLATE pg_catalog.default]]
        ORDER BY 1,2;""");
    return new QueryShape("psql.listRelations", "psql 15: \\dt \\di \\dv \\ds \\d [pattern] [+]", t,
        // psql joins what its columns use, filters system schemas only without a pattern, and
        // either checks visibility or matches a schema pattern.
        h -> h.present("with_table") == h.present("index_join")
            && (!h.present("access_method") || h.present("am_join"))
            && !(h.present("system") && (h.present("rel") || h.present("nsp")))
            && !(h.present("visible") && h.present("nsp")),
        holes -> {
          List<Column> c = new ArrayList<>(cols("Schema", NAME, "Name", NAME, "Type", TEXT,
              "Owner", NAME));
          if (holes.present("with_table")) {
            c.add(Column.of("Table", NAME));
          }
          if (holes.present("persistence")) {
            c.add(Column.of("Persistence", TEXT));
          }
          if (holes.present("access_method")) {
            c.add(Column.of("Access method", NAME));
          }
          if (holes.present("size")) {
            c.add(Column.of("Size", TEXT));
            c.add(Column.of("Description", TEXT));
          }
          return c;
        },
        r -> {
          String kinds = r.holes().raw("relkinds");
          Predicate<String> rel = r.present("rel") ? NamePatterns.regex(r.value("rel")) : x -> true;
          Predicate<String> nsp = r.present("nsp") ? NamePatterns.regex(r.value("nsp")) : x -> true;
          List<List<Object>> rows = new ArrayList<>();
          if (!nsp.test(PgCatalogView.SCHEMA)) {
            return rows;
          }
          for (PgCatalogView.Relation rel0 : r.view().relations()) {
            boolean index = rel0.relkind() == 'i';
            if (!kinds.contains("'" + rel0.relkind() + "'") || !rel.test(rel0.name())) {
              continue;
            }
            List<Object> row = new ArrayList<>(Arrays.asList(PgCatalogView.SCHEMA, rel0.name(),
                index ? "index" : "table", r.session().user()));
            if (r.present("with_table")) {
              row.add(index ? rel0.table().name() : null);
            }
            if (r.present("persistence")) {
              row.add("permanent");
            }
            if (r.present("access_method")) {
              row.add(index ? "btree" : null);
            }
            if (r.present("size")) {
              row.add(null);
              row.add(null);
            }
            rows.add(row);
          }
          return rows;
        });
  }

  /** {@code \d name}: the oids of the relations (tables and their primary key indexes). */
  private static QueryShape relationOid() {
    QueryTemplate t = QueryTemplate.compile("""
        SELECT c.oid,
          n.nspname,
          c.relname
        FROM pg_catalog.pg_class c
             LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace[[
        WHERE c.relname OPERATOR(pg_catalog.~) {{rel:regex}} COLLATE pg_catalog.default]][[visible:
          AND pg_catalog.pg_table_is_visible(c.oid)]][[
          AND n.nspname OPERATOR(pg_catalog.~) {{nsp:regex}} COLLATE pg_catalog.default]][[
        WHERE n.nspname OPERATOR(pg_catalog.~) {{nsp_only:regex}} COLLATE pg_catalog.default]][[visible_only:
        WHERE pg_catalog.pg_table_is_visible(c.oid)]]
        ORDER BY 2, 3;""");
    return new QueryShape("psql.relationOid", "psql 15: \\d name", t,
        // One WHERE: a name pattern (with visibility or a schema pattern), a schema pattern
        // alone (\d public.*), visibility alone (\d *), or none (\d *.*).
        h -> (h.present("rel") ? 1 : 0) + (h.present("nsp_only") ? 1 : 0)
            + (h.present("visible_only") ? 1 : 0) <= 1
            && (h.present("rel") || !h.present("visible") && !h.present("nsp"))
            && !(h.present("visible") && h.present("nsp")),
        holes -> cols("oid", OID, "nspname", NAME, "relname", NAME),
        r -> {
          Predicate<String> rel = r.present("rel") ? NamePatterns.regex(r.value("rel")) : x -> true;
          Predicate<String> nsp = r.present("nsp") ? NamePatterns.regex(r.value("nsp"))
              : r.present("nsp_only") ? NamePatterns.regex(r.value("nsp_only")) : x -> true;
          List<List<Object>> rows = new ArrayList<>();
          if (!nsp.test(PgCatalogView.SCHEMA)) {
            return rows;
          }
          for (PgCatalogView.Relation rel0 : r.view().relations()) {
            if (rel.test(rel0.name())) {
              rows.add(List.of(rel0.oid(), PgCatalogView.SCHEMA, rel0.name()));
            }
          }
          return rows;
        });
  }

  /** {@code \d name}, step 2: the table's flags (no checks, rules, triggers or row security). */
  private static QueryShape tableInfo() {
    QueryTemplate t = QueryTemplate.compile("""
        SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, [[plain:'']][[verbose:pg_catalog.array_to_string(c.reloptions || array(select 'toast.' || x from pg_catalog.unnest(tc.reloptions) x), ', ')
        ]], c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END, c.relpersistence, c.relreplident, am.amname
        FROM pg_catalog.pg_class c
         LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
        LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
        WHERE c.oid = {{oid:oid}};""");
    return new QueryShape("psql.tableInfo", "psql 15: \\d name (relation flags)", t,
        h -> h.present("plain") != h.present("verbose"),
        holes -> cols("relchecks", SMALLINT, "relkind", CHAR, "relhasindex", BOOLEAN,
            "relhasrules", BOOLEAN, "relhastriggers", BOOLEAN, "relrowsecurity", BOOLEAN,
            "relforcerowsecurity", BOOLEAN, "relhasoids", BOOLEAN, "relispartition", BOOLEAN,
            holes.present("verbose") ? "array_to_string" : "?column?", TEXT, "reltablespace", OID,
            "reloftype", TEXT, "relpersistence", CHAR, "relreplident", CHAR, "amname", NAME),
        r -> {
          Optional<PgCatalogView.Relation> rel = r.view().relation(oid(r.value("oid")));
          if (rel.isEmpty()) {
            return List.of();
          }
          boolean index = rel.get().relkind() == 'i';
          // A table has an index (psql then asks for it and shows the primary key) and no
          // access method: Ordo's tables are not heaps (psql then prints no "Access method"
          // line). Its primary key is shown as the btree index PostgreSQL would have.
          return List.of(Arrays.asList((short) 0, index ? "i" : "r", !index, false, false, false,
              false, false, false, "", 0L, "", "p", index ? "n" : "d", index ? "btree" : null));
        });
  }

  /** {@code \d name}, step 3: the columns with their types, defaults and NOT NULL. */
  private static QueryShape tableColumns() {
    QueryTemplate t = QueryTemplate.compile("""
        SELECT a.attname,
          pg_catalog.format_type(a.atttypid, a.atttypmod),
          (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)
           FROM pg_catalog.pg_attrdef d
           WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
          a.attnotnull,
          (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
           WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
          a.attidentity,
          a.attgenerated[[verbose:,
          a.attstorage,
          a.attcompression AS attcompression,
          CASE WHEN a.attstattarget=-1 THEN NULL ELSE a.attstattarget END AS attstattarget,
          pg_catalog.col_description(a.attrelid, a.attnum)]]
        FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = {{oid:oid}} AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum;""");
    return new QueryShape("psql.tableColumns", "psql 15: \\d name (columns)", t,
        holes -> {
          List<Column> c = new ArrayList<>(cols("attname", NAME, "format_type", TEXT,
              "pg_get_expr", TEXT, "attnotnull", BOOLEAN, "attcollation", NAME,
              "attidentity", CHAR, "attgenerated", CHAR));
          if (holes.present("verbose")) {
            c.addAll(cols("attstorage", CHAR, "attcompression", CHAR, "attstattarget", INTEGER,
                "col_description", TEXT));
          }
          return c;
        },
        r -> {
          Optional<TableDef> table = r.view().table(oid(r.value("oid")));
          List<List<Object>> rows = new ArrayList<>();
          if (table.isEmpty()) {
            return rows;
          }
          // Ordered by attnum: Ordo's column ids follow declaration order and are never reused,
          // as attnum is.
          List<ColumnDef> columns = new ArrayList<>(table.get().columns());
          columns.sort((a, b) -> Integer.compare(a.id(), b.id()));
          for (ColumnDef col : columns) {
            List<Object> row = new ArrayList<>(Arrays.asList(col.name(),
                PgCatalogView.formatType(col), col.defaultSql().orElse(null), col.notNull(), null,
                "", ""));
            if (r.present("verbose")) {
              row.addAll(Arrays.asList(PgCatalogView.storage(col.type()), "", null, null));
            }
            rows.add(row);
          }
          return rows;
        });
  }

  /** {@code \d name}, step 4: the primary key as the one index. */
  private static QueryShape tableIndexes() {
    QueryTemplate t = QueryTemplate.compile("""
        SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
          pg_catalog.pg_get_constraintdef(con.oid, true), contype, condeferrable, condeferred, i.indisreplident, c2.reltablespace
        FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i
          LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x'))
        WHERE c.oid = {{oid:oid}} AND c.oid = i.indrelid AND i.indexrelid = c2.oid
        ORDER BY i.indisprimary DESC, c2.relname;""");
    return new QueryShape("psql.tableIndexes", "psql 15: \\d name (indexes)", t,
        holes -> cols("relname", NAME, "indisprimary", BOOLEAN, "indisunique", BOOLEAN,
            "indisclustered", BOOLEAN, "indisvalid", BOOLEAN, "pg_get_indexdef", TEXT,
            "pg_get_constraintdef", TEXT, "contype", CHAR, "condeferrable", BOOLEAN,
            "condeferred", BOOLEAN, "indisreplident", BOOLEAN, "reltablespace", OID),
        r -> {
          Optional<TableDef> table = r.view().table(oid(r.value("oid")));
          if (table.isEmpty()) {
            return List.of();
          }
          TableDef td = table.get();
          return List.of(Arrays.asList(r.view().indexName(td), true, true, false, true,
              r.view().indexDef(td), PgCatalogView.constraintDef(td), "p", false, false,
              false, 0L));
        });
  }

  /** {@code \d index}, step 3: the key columns of a primary key index. */
  private static QueryShape indexColumns() {
    QueryTemplate t = QueryTemplate.compile("""
        SELECT a.attname,
          pg_catalog.format_type(a.atttypid, a.atttypmod),
          CASE WHEN a.attnum <= (SELECT i.indnkeyatts FROM pg_catalog.pg_index i WHERE i.indexrelid = {{oid:oid}}) THEN 'yes' ELSE 'no' END AS is_key,
          pg_catalog.pg_get_indexdef(a.attrelid, a.attnum, TRUE) AS indexdef[[verbose:,
          a.attstorage,
          CASE WHEN a.attstattarget=-1 THEN NULL ELSE a.attstattarget END AS attstattarget]]
        FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = {{oid:oid}} AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum;""");
    return new QueryShape("psql.indexColumns", "psql 15: \\d index (columns)", t,
        holes -> {
          List<Column> c = new ArrayList<>(cols("attname", NAME, "format_type", TEXT,
              "is_key", TEXT, "indexdef", TEXT));
          if (holes.present("verbose")) {
            c.addAll(cols("attstorage", CHAR, "attstattarget", INTEGER));
          }
          return c;
        },
        r -> {
          Optional<PgCatalogView.Relation> rel = r.view().relation(oid(r.value("oid")))
              .filter(x -> x.relkind() == 'i');
          List<List<Object>> rows = new ArrayList<>();
          if (rel.isEmpty()) {
            return rows;
          }
          for (ColumnDef col : rel.get().table().primaryKeyColumns()) {
            List<Object> row = new ArrayList<>(Arrays.asList(col.name(),
                PgCatalogView.formatType(col), "yes", PgCatalogView.quoteIdent(col.name())));
            if (r.present("verbose")) {
              row.addAll(Arrays.asList(PgCatalogView.storage(col.type()), null));
            }
            rows.add(row);
          }
          return rows;
        });
  }

  /** {@code \d index}, step 4: what the index is (primary key, btree, for which table). */
  private static QueryShape indexInfo() {
    QueryTemplate t = QueryTemplate.compile("""
        SELECT i.indisunique, i.indisprimary, i.indisclustered, i.indisvalid,
          (NOT i.indimmediate) AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x') AND condeferrable) AS condeferrable,
          (NOT i.indimmediate) AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x') AND condeferred) AS condeferred,
        i.indisreplident,
        i.indnullsnotdistinct,
          a.amname, c2.relname, pg_catalog.pg_get_expr(i.indpred, i.indrelid, true)
        FROM pg_catalog.pg_index i, pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_am a
        WHERE i.indexrelid = c.oid AND c.oid = {{oid:oid}} AND c.relam = a.oid
        AND i.indrelid = c2.oid;""");
    return new QueryShape("psql.indexInfo", "psql 15: \\d index (index properties)", t,
        holes -> cols("indisunique", BOOLEAN, "indisprimary", BOOLEAN, "indisclustered", BOOLEAN,
            "indisvalid", BOOLEAN, "condeferrable", BOOLEAN, "condeferred", BOOLEAN,
            "indisreplident", BOOLEAN, "indnullsnotdistinct", BOOLEAN, "amname", NAME,
            "relname", NAME, "pg_get_expr", TEXT),
        r -> {
          Optional<PgCatalogView.Relation> rel = r.view().relation(oid(r.value("oid")))
              .filter(x -> x.relkind() == 'i');
          if (rel.isEmpty()) {
            return List.of();
          }
          return List.of(Arrays.asList(true, true, false, true, false, false, false, false,
              "btree", rel.get().table().name(), null));
        });
  }

  /** {@code \l} [pattern] [+]: the session's database only. */
  private static QueryShape listDatabases() {
    QueryTemplate t = QueryTemplate.compile("""
        SELECT d.datname as "Name",
               pg_catalog.pg_get_userbyid(d.datdba) as "Owner",
               pg_catalog.pg_encoding_to_char(d.encoding) as "Encoding",
               d.datcollate as "Collate",
               d.datctype as "Ctype",
               d.daticulocale as "ICU Locale",
               CASE d.datlocprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' END AS "Locale Provider",
               pg_catalog.array_to_string(d.datacl, E'\\n') AS "Access privileges"[[verbose:,
               CASE WHEN pg_catalog.has_database_privilege(d.datname, 'CONNECT')
                  OR pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE')
                    THEN pg_catalog.pg_size_pretty(pg_catalog.pg_database_size(d.datname))
                    ELSE 'No Access'
               END as "Size",
               t.spcname as "Tablespace",
               pg_catalog.shobj_description(d.oid, 'pg_database') as "Description"]]
        FROM pg_catalog.pg_database d[[tablespace_join:
          JOIN pg_catalog.pg_tablespace t on d.dattablespace = t.oid]][[
        WHERE d.datname OPERATOR(pg_catalog.~) {{db:regex}} COLLATE pg_catalog.default]]
        ORDER BY 1;""");
    return new QueryShape("psql.listDatabases", "psql 15: \\l [pattern] [+]", t,
        h -> h.present("verbose") == h.present("tablespace_join"),
        holes -> {
          List<Column> c = new ArrayList<>(cols("Name", NAME, "Owner", NAME, "Encoding", NAME,
              "Collate", TEXT, "Ctype", TEXT, "ICU Locale", TEXT, "Locale Provider", TEXT,
              "Access privileges", TEXT));
          if (holes.present("verbose")) {
            c.addAll(cols("Size", TEXT, "Tablespace", NAME, "Description", TEXT));
          }
          return c;
        },
        r -> {
          String db = r.session().database();
          if (r.present("db") && !NamePatterns.regex(r.value("db")).test(db)) {
            return List.of();
          }
          // Ordo compares text by UTF-16 code unit, as the C collation does bytes (for the BMP).
          List<Object> row = new ArrayList<>(Arrays.asList(db, r.session().user(), "UTF8", "C",
              "C", null, "libc", null));
          if (r.present("verbose")) {
            row.addAll(Arrays.asList(null, "pg_default", null));
          }
          return List.of(row);
        });
  }

  /** {@code \dn} [pattern] [+]: the one schema, public. */
  private static QueryShape listSchemas() {
    QueryTemplate t = QueryTemplate.compile("""
        SELECT n.nspname AS "Name",
          pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"[[verbose:,
          pg_catalog.array_to_string(n.nspacl, E'\\n') AS "Access privileges",
          pg_catalog.obj_description(n.oid, 'pg_namespace') AS "Description"]]
        FROM pg_catalog.pg_namespace n[[system:
        WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema']][[
        WHERE n.nspname OPERATOR(pg_catalog.~) {{nsp:regex}} COLLATE pg_catalog.default]]
        ORDER BY 1;""");
    return new QueryShape("psql.listSchemas", "psql 15: \\dn [pattern] [+]", t,
        h -> !(h.present("system") && h.present("nsp")),
        holes -> {
          List<Column> c = new ArrayList<>(cols("Name", NAME, "Owner", NAME));
          if (holes.present("verbose")) {
            c.addAll(cols("Access privileges", TEXT, "Description", TEXT));
          }
          return c;
        },
        r -> {
          if (r.present("nsp") && !NamePatterns.regex(r.value("nsp")).test(PgCatalogView.SCHEMA)) {
            return List.of();
          }
          List<Object> row = new ArrayList<>(Arrays.asList(PgCatalogView.SCHEMA,
              r.session().user()));
          if (r.present("verbose")) {
            row.addAll(Arrays.asList(null, null));
          }
          return List.of(row);
        });
  }

  /** A query about something Ordo has none of (policies, publications...): no rows. */
  private static QueryShape empty(String id, String source, String template, List<Column> cols) {
    QueryTemplate t = QueryTemplate.compile(template);
    return new QueryShape(id, source, t, holes -> cols, r -> {
      if (r.present("oid")) {
        oid(r.value("oid"));
      }
      return List.of();
    });
  }

  /**
   * An oid as psql sends it back.
   *
   * @throws SqlException 22003 beyond 2^32-1, as PostgreSQL's oid input
   */
  static long oid(String text) throws SqlException {
    if (text.length() > 10 || Long.parseLong(text) > 0xFFFF_FFFFL) {
      throw new SqlException(SqlState.NUMERIC_VALUE_OUT_OF_RANGE,
          "value \"" + text + "\" is out of range for type oid");
    }
    return Long.parseLong(text);
  }

  /** Columns from alternating name and type arguments. */
  static List<Column> cols(Object... nameType) {
    List<Column> c = new ArrayList<>(nameType.length / 2);
    for (int i = 0; i < nameType.length; i += 2) {
      c.add(Column.of((String) nameType[i], (SqlType) nameType[i + 1]));
    }
    return List.copyOf(c);
  }
}
