package io.ordo.sql.catalog;

import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A connector of the catalog: a source ({@code CREATE SOURCE CONNECTOR}: changes of an external
 * table into an Ordo stream or table) or a sink ({@code CREATE SINK CONNECTOR}: changes of an Ordo
 * table, materialized view or stream to an external table). The gateway that holds the
 * connector's lease runs it (io.ordo.gateway connectors); this record is only its definition.
 *
 * @param name the connector name
 * @param sourceKind the external system, lower case ({@link #POSTGRESQL}): where a source reads,
 *     where a sink writes
 * @param options the WITH options, names lower case, sorted (values as written; passwords
 *     included: the catalog is readable by every session with read access, see README
 *     "Connectors")
 * @param targetKind {@link TargetKind#STREAM}, {@link TargetKind#TABLE} or (sinks) {@link
 *     TargetKind#VIEW}
 * @param target the Ordo stream, table or view name (a source's target, a sink's source)
 * @param paused whether PAUSE CONNECTOR stopped it
 * @param connectorId 16 lower-case hex digits chosen at CREATE; keys of the connector's offset
 *     and lease carry it, so a re-created connector starts afresh
 * @param sink whether this is a sink
 */
public record ConnectorDef(
    String name,
    String sourceKind,
    SortedMap<String, String> options,
    TargetKind targetKind,
    String target,
    boolean paused,
    String connectorId,
    boolean sink) {
  /** The PostgreSQL source kind (Debezium's PostgreSQL connector). */
  public static final String POSTGRESQL = "postgresql";

  /** The Kafka kind: a topic's records (source) or a table's changelog into a topic (sink). */
  public static final String KAFKA = "kafka";

  /** The MySQL source and sink kind (Debezium's MySQL connector; MySQL Connector/J). */
  public static final String MYSQL = "mysql";

  /** MariaDB: the same connector and driver as {@link #MYSQL}, a name for the reader. */
  public static final String MARIADB = "mariadb";

  /** The kinds CREATE accepts, in the order error messages name them. */
  public static final java.util.List<String> KINDS = java.util.List.of(POSTGRESQL, MYSQL, MARIADB, KAFKA);

  /** Where a connector's changes go. */
  public enum TargetKind {
    /** Each change a record of an Ordo stream. */
    STREAM,
    /** The source table mirrored as an Ordo SQL table. */
    TABLE,
    /** A sink's source only: an Ordo materialized view (its rows, the table of its name). */
    VIEW
  }

  /** A source connector. */
  public ConnectorDef(
      String name, String sourceKind, SortedMap<String, String> options, TargetKind targetKind,
      String target, boolean paused, String connectorId) {
    this(name, sourceKind, options, targetKind, target, paused, connectorId, false);
  }

  public ConnectorDef {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(sourceKind, "sourceKind");
    options = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(options));
    Objects.requireNonNull(targetKind, "targetKind");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(connectorId, "connectorId");
  }

  /** This definition with {@code paused} set as given. */
  public ConnectorDef withPaused(boolean p) {
    return new ConnectorDef(name, sourceKind, options, targetKind, target, p, connectorId, sink);
  }

  /** The option {@code name}, or {@code dflt}. */
  public String option(String optionName, String dflt) {
    return options.getOrDefault(optionName, dflt);
  }

  /** The options with secrets (password) replaced by {@code ***}, for display and logs. */
  public Map<String, String> redactedOptions() {
    TreeMap<String, String> out = new TreeMap<>(options);
    out.computeIfPresent("password", (k, v) -> "***");
    return out;
  }
}
