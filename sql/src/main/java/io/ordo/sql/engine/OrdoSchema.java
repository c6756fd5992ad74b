package io.ordo.sql.engine;

import io.ordo.sql.catalog.StreamDef;
import io.ordo.sql.catalog.TableDef;
import java.util.Map;
import java.util.TreeMap;
import org.apache.calcite.schema.Table;
import org.apache.calcite.schema.impl.AbstractSchema;

/**
 * Calcite's view of the catalog: schema {@code public} with one table per SQL table and stream of
 * the calling thread's {@link ReadContext} (the statement's snapshot), so a query always plans
 * against the catalog of the snapshot it reads.
 */
final class OrdoSchema extends AbstractSchema {
  @Override
  protected Map<String, Table> getTableMap() {
    TreeMap<String, Table> tables = new TreeMap<>();
    ReadContext ctx;
    try {
      ctx = ReadContext.current();
    } catch (IllegalStateException e) {
      return tables;
    }
    for (TableDef def : ctx.catalog.snapshot().tables()) {
      tables.put(def.name(), new OrdoTable(def));
    }
    for (StreamDef def : ctx.catalog.snapshot().streams()) {
      tables.putIfAbsent(def.name(), new StreamTable(def));
    }
    return tables;
  }

  @Override
  public boolean isMutable() {
    return true;
  }
}
