package io.ordo.sql.encoding;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.proto.Value;
import io.ordo.proto.state.SqlConnectorDef;
import io.ordo.proto.state.SqlConnectorOption;
import io.ordo.sql.SqlException;
import io.ordo.sql.catalog.ConnectorDef;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Source connectors in the store (sql/ENCODING.md, "Connectors"):
 *
 * <ul>
 *   <li>{@code "\u0000ordo/sql/catalog/connector/" + name}: {@code Value{bytes}} of {@code
 *       SqlConnectorDef} (ordo/internal/sql_storage.proto), options sorted by name, so the
 *       encoding is deterministic and may be asserted byte-exactly
 *   <li>{@code "\u0000ordo/connector/" + connectorId + "/offset"}: the source offset the
 *       connector's changes reached (written by the gateway that runs it, in the same
 *       transaction as those changes)
 *   <li>{@code "\u0000ordo/connector/" + connectorId + "/lease"}: which gateway runs it
 * </ul>
 *
 * <p>Stateless; thread-safe.
 */
public final class ConnectorCodec {
  private ConnectorCodec() {}

  /** Prefix of every connector's catalog key (scan it to list connectors). */
  public static final String CONNECTOR_KEY_PREFIX = "\u0000ordo/sql/catalog/connector/";

  /** Prefix of the keys a running connector writes (offset, lease). */
  public static final String STATE_KEY_PREFIX = "\u0000ordo/connector/";

  /**
   * The catalog key of the connector {@code name}.
   *
   * @throws SqlException 42602 / 22021 / 42622 for a bad name (as tables)
   */
  public static String connectorKey(String name) throws SqlException {
    CatalogCodec.tableKey(name); // the same name rules as tables and streams
    return CONNECTOR_KEY_PREFIX + name;
  }

  /** The key holding the source offset of the connector with id {@code connectorId}. */
  public static String offsetKey(String connectorId) {
    return STATE_KEY_PREFIX + connectorId + "/offset";
  }

  /**
   * The key holding the schema history of the connector with id {@code connectorId} (sources
   * whose Debezium connector keeps one: MySQL).
   */
  public static String historyKey(String connectorId) {
    return STATE_KEY_PREFIX + connectorId + "/schema_history";
  }

  /** The key of the lease of the connector with id {@code connectorId}. */
  public static String leaseKey(String connectorId) {
    return STATE_KEY_PREFIX + connectorId + "/lease";
  }

  /** Encodes a connector definition (options in name order). */
  public static Value encode(ConnectorDef def) throws SqlException {
    connectorKey(def.name());
    SqlConnectorDef.Builder out =
        SqlConnectorDef.newBuilder()
            .setFormatVersion(CatalogCodec.FORMAT_VERSION)
            .setName(def.name())
            .setSourceKind(def.sourceKind())
            .setTargetKind(def.targetKind().name().toLowerCase(Locale.ROOT))
            .setTarget(def.target())
            .setPaused(def.paused())
            .setConnectorId(def.connectorId())
            .setSink(def.sink());
    for (Map.Entry<String, String> e : def.options().entrySet()) {
      out.addOptions(SqlConnectorOption.newBuilder().setName(e.getKey()).setValue(e.getValue()));
    }
    return Value.newBuilder().setBytes(out.build().toByteString()).build();
  }

  /**
   * Decodes a connector definition written by {@link #encode}.
   *
   * @throws SqlException XX001 when the value is not one
   */
  public static ConnectorDef decode(Value value) throws SqlException {
    if (value.getKindCase() != Value.KindCase.BYTES) {
      throw SqlValues.corrupt("a connector catalog entry is a " + value.getKindCase() + " value");
    }
    SqlConnectorDef def;
    try {
      def = SqlConnectorDef.parseFrom(value.getBytes());
    } catch (InvalidProtocolBufferException e) {
      throw SqlValues.corrupt("a connector catalog entry does not parse: " + e.getMessage());
    }
    if (def.getFormatVersion() != CatalogCodec.FORMAT_VERSION) {
      throw SqlValues.corrupt(
          "connector " + def.getName() + " is stored in format "
              + Integer.toUnsignedString(def.getFormatVersion()) + ", which this version does not read");
    }
    ConnectorDef.TargetKind kind;
    try {
      kind = ConnectorDef.TargetKind.valueOf(def.getTargetKind().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw SqlValues.corrupt("connector " + def.getName() + " has target kind " + def.getTargetKind());
    }
    TreeMap<String, String> options = new TreeMap<>();
    for (SqlConnectorOption o : def.getOptionsList()) {
      options.put(o.getName(), o.getValue());
    }
    return new ConnectorDef(
        def.getName(), def.getSourceKind(), options, kind, def.getTarget(), def.getPaused(),
        def.getConnectorId(), def.getSink());
  }
}
