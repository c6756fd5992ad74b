package io.ordo.gateway.connectors;

import io.ordo.proto.Value;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.catalog.TableDef;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.regex.Pattern;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * What is specific to one kind of source database ({@code FROM POSTGRESQL}, {@code FROM MYSQL} /
 * {@code FROM MARIADB}): its options, the checks at CREATE, the Ordo table mirroring the source
 * table, Debezium's configuration, positions, and what DROP releases at the source. {@link
 * ConnectorWorker} and {@link ConnectorManager} are the same for every kind.
 *
 * <p>Implementations are stateless and thread-safe.
 */
interface SourceDialect {
  /**
   * The dialect of a source connector's kind.
   *
   * @throws IllegalArgumentException for a kind no dialect handles
   */
  static SourceDialect of(ConnectorDef def) {
    return switch (def.sourceKind().toLowerCase(Locale.ROOT)) {
      case ConnectorDef.POSTGRESQL -> PostgresSource.DIALECT;
      case ConnectorDef.MYSQL, ConnectorDef.MARIADB -> MySqlSource.DIALECT;
      default -> throw new IllegalArgumentException(
          "no source connector for \"" + def.sourceKind() + "\"");
    };
  }

  /**
   * Checks the options (without connecting).
   *
   * @throws IllegalArgumentException naming the bad option
   */
  void checkOptions(ConnectorDef def);

  /**
   * Connects and checks what the connector needs (the log's settings, the table, its primary
   * key).
   *
   * @throws IllegalStateException with the reason
   */
  void checkSource(ConnectorDef def);

  /**
   * The Ordo table mirroring the source table (INTO TABLE).
   *
   * @throws IllegalStateException the source cannot be asked, the table is missing or has no
   *     primary key
   * @throws UnsupportedOperationException naming the first column of a type Ordo cannot hold
   */
  TableDef sourceTable(ConnectorDef def, String tableId);

  /** Debezium's configuration (without the engine's own properties). */
  Properties debezium(ConnectorDef def);

  /**
   * The offset the engine resumes from, given the stored one (the same unless the source needs
   * it restated; the stored value stays what the worker's transactions assert).
   *
   * @throws IllegalStateException when the source cannot be asked
   */
  default Optional<Value> restartOffset(ConnectorDef def, Optional<Value> stored) {
    return stored;
  }

  /** Whether the Debezium connector keeps a schema history ({@link OrdoSchemaHistory}). */
  boolean needsSchemaHistory();

  /** A stored offset's source position in the source's own notation, or empty. */
  Optional<String> positionText(Value offsetValue);

  /** A change's source position for messages ({@code " at LSN 0/16B3748"}), or empty. */
  String recordPosition(SourceRecord record);

  /**
   * The applied position of {@code offset}, the source's current position and the lag between
   * them in bytes of log (when both are known and comparable).
   *
   * @return the positions; {@code error} says why the source could not be asked, if so
   */
  Positions positions(ConnectorDef def, Optional<Value> offset);

  /**
   * Releases what the connector holds at the source after DROP (a replication slot), waiting up
   * to {@code waitMs} for the gateway that ran it to let go.
   *
   * @return empty, or what was left and why
   */
  Optional<String> release(ConnectorDef def, long waitMs) throws InterruptedException;

  /** The redacted options, for logs. */
  default Map<String, String> describe(ConnectorDef def) {
    return def.redactedOptions();
  }

  /**
   * The Ordo table of {@code def}'s target with the source table's {@code columns} (ids from 1,
   * in the source's order) and primary {@code key}: key columns NOT NULL.
   *
   * @param address where the source is, for messages
   * @throws IllegalStateException no columns (no such table) or no primary key
   * @throws UnsupportedOperationException a key column of type JSONB
   */
  static TableDef mirrorTable(
      ConnectorDef def, String tableId, List<ColumnDef> columns, List<String> key,
      String address) {
    if (columns.isEmpty()) {
      throw new IllegalStateException("table " + def.option("table", "") + " does not exist"
          + (def.option("database", "").isEmpty() ? "" : " in database "
              + def.option("database", "")) + " at " + address);
    }
    if (key.isEmpty()) {
      throw new IllegalStateException("table " + def.option("table", "") + " has no primary key;"
          + " INTO TABLE needs one (it is the Ordo table's primary key)");
    }
    List<ColumnDef> withKeys = new ArrayList<>();
    for (ColumnDef col : columns) {
      boolean inKey = key.contains(col.name());
      if (inKey && col.type() == SqlType.JSONB) {
        throw new UnsupportedOperationException("primary key column \"" + col.name() + "\" of "
            + def.option("table", "") + " is json; an Ordo primary key cannot be");
      }
      withKeys.add(inKey && !col.notNull()
          ? new ColumnDef(col.name(), col.id(), col.type(), col.precision(), col.scale(), true,
              Optional.empty())
          : col);
    }
    return new TableDef(def.target(), tableId, withKeys, key, 1);
  }

  /** Host names and IP addresses: no characters that would add JDBC URL parameters. */
  Pattern HOST = Pattern.compile("[A-Za-z0-9._-]{1,253}|\\[[0-9A-Fa-f:.]+\\]");

  /**
   * Checks the option {@code host}.
   *
   * @throws IllegalArgumentException when it is not a host name or IP address
   */
  static void checkHost(ConnectorDef def) {
    if (!HOST.matcher(def.option("host", "")).matches()) {
      throw new IllegalArgumentException(
          "option \"host\" must be a host name or IP address, got '" + def.option("host", "") + "'");
    }
  }

  /**
   * The option {@code port}, or {@code dflt}.
   *
   * @throws IllegalArgumentException when it is not 1..65535
   */
  static int port(ConnectorDef def, int dflt) {
    String v = def.option("port", Integer.toString(dflt)).trim();
    try {
      int p = Integer.parseInt(v);
      if (p >= 1 && p <= 65_535) {
        return p;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("option \"port\" must be 1..65535, got '" + v + "'");
  }

  /**
   * The option {@code heartbeat_ms} (Debezium's {@code heartbeat.interval.ms}), 0 = off.
   *
   * @throws IllegalArgumentException when it is not 0 or 100..3600000
   */
  static long heartbeatMs(ConnectorDef def) {
    String v = def.option("heartbeat_ms", "0").trim();
    try {
      long ms = Long.parseLong(v);
      if (ms == 0 || (ms >= 100 && ms <= 3_600_000)) {
        return ms;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "option \"heartbeat_ms\" must be 0 (off) or 100..3600000, got '" + v + "'");
  }

  /** The positions {@link #positions} reports. */
  record Positions(
      Optional<String> applied, Optional<String> source, OptionalLong lagBytes,
      Optional<String> error) {}
}
