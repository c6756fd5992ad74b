package io.ordo.gateway.connectors;

import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.catalog.TableDef;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import io.ordo.proto.Value;
import org.apache.kafka.connect.source.SourceRecord;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What is specific to a PostgreSQL source: its options, the checks at CREATE, Debezium's
 * configuration and the replication slot's release at DROP.
 *
 * <p>Options (names lower case): {@code host} (required), {@code port} (5432), {@code database}
 * (required), {@code user} (required), {@code password} (empty), {@code table} (required, {@code
 * schema.table}, e.g. {@code public.orders}), {@code slot} (the logical replication slot,
 * default {@code ordo_<connector>}), {@code publication} (default {@code ordo_<connector>};
 * created for the table if missing, Debezium's {@code publication.autocreate.mode=filtered}),
 * {@code heartbeat_ms} (0 = off: Debezium's {@code heartbeat.interval.ms}; with it the offset
 * moves while the table is idle, one transaction per interval, so the slot releases WAL that
 * other tables write).
 * The source needs {@code wal_level=logical}, and the table a primary key (it is the stream's
 * partition key).
 *
 * <p>Stateless; the JDBC calls are bounded by {@value #CONNECT_TIMEOUT_S} s to connect and
 * {@value #QUERY_TIMEOUT_S} s per statement.
 */
final class PostgresSource {
  static final Set<String> OPTIONS =
      Set.of("host", "port", "database", "user", "password", "table", "slot", "publication",
          "heartbeat_ms");
  static final int CONNECT_TIMEOUT_S = 5;
  static final int QUERY_TIMEOUT_S = 5;
  private static final Pattern SLOT = Pattern.compile("[a-z0-9_]{1,63}");
  private static final Pattern DATABASE = Pattern.compile("[^/?&=#\\s]{1,63}");
  private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*\\.[A-Za-z_][A-Za-z0-9_$]*");

  /** The PostgreSQL {@link SourceDialect}: this class's functions. */
  static final SourceDialect DIALECT = new SourceDialect() {
    @Override
    public void checkOptions(ConnectorDef def) {
      PostgresSource.checkOptions(def);
    }

    @Override
    public void checkSource(ConnectorDef def) {
      PostgresSource.checkSource(def);
    }

    @Override
    public TableDef sourceTable(ConnectorDef def, String tableId) {
      return PostgresSource.sourceTable(def, tableId);
    }

    @Override
    public Properties debezium(ConnectorDef def) {
      return PostgresSource.debezium(def);
    }

    @Override
    public boolean needsSchemaHistory() {
      return false;
    }

    @Override
    public Optional<String> positionText(Value offsetValue) {
      return ChangeRecords.lsnOf(offsetValue).map(ChangeRecords::lsnText);
    }

    @Override
    public String recordPosition(SourceRecord record) {
      Object lsn = record.sourceOffset().get("lsn");
      return lsn == null ? "" : " at LSN " + ChangeRecords.lsnText(((Number) lsn).longValue());
    }

    @Override
    public Positions positions(ConnectorDef def, Optional<Value> offset) {
      Optional<Long> applied = offset.flatMap(ChangeRecords::lsnOf);
      Optional<Long> source;
      Optional<String> error = Optional.empty();
      try {
        source = Optional.of(currentLsn(def));
      } catch (SQLException | RuntimeException e) {
        source = Optional.empty();
        error = Optional.of("cannot ask the source for its position: " + e.getMessage());
      }
      OptionalLong lag = applied.isPresent() && source.isPresent()
          ? OptionalLong.of(Math.max(0, source.get() - applied.get())) : OptionalLong.empty();
      return new Positions(applied.map(ChangeRecords::lsnText),
          source.map(ChangeRecords::lsnText), lag, error);
    }

    @Override
    public Optional<String> release(ConnectorDef def, long waitMs) throws InterruptedException {
      return PostgresSource.release(def, waitMs);
    }
  };

  private PostgresSource() {}

  /**
   * Checks the options of {@code def} (without connecting).
   *
   * @throws IllegalArgumentException naming the bad option
   */
  static void checkOptions(ConnectorDef def) {
    for (String name : def.options().keySet()) {
      if (!OPTIONS.contains(name)) {
        throw new IllegalArgumentException(
            "unknown option \"" + name + "\" for a postgresql connector; known: "
                + new TreeSet<>(OPTIONS));
      }
    }
    checkConnection(def, "connector");
    heartbeatMs(def);
    if (!TABLE.matcher(def.option("table", "")).matches()) {
      throw new IllegalArgumentException(
          "option \"table\" must be schema.table (e.g. 'public.orders'), got '"
              + def.option("table", "") + "'");
    }
    for (String name : new String[] {"slot", "publication"}) {
      String v = name.equals("slot") ? slot(def) : publication(def);
      if (!SLOT.matcher(v).matches()) {
        throw new IllegalArgumentException(
            "option \"" + name + "\" must be 1..63 characters of a-z, 0-9 and _, got '" + v + "'");
      }
    }
  }

  /**
   * Checks the options that say where PostgreSQL is and who connects (host, port, database,
   * user) and that {@code table} is given; {@code what} names the connector kind in messages.
   *
   * @throws IllegalArgumentException naming the bad option
   */
  static void checkConnection(ConnectorDef def, String what) {
    for (String required : new String[] {"host", "database", "user", "table"}) {
      if (def.option(required, "").isBlank()) {
        throw new IllegalArgumentException(
            "a postgresql " + what + " needs the option \"" + required + "\"");
      }
    }
    port(def);
    // Host and database go into a JDBC URL: no characters that would add URL parameters.
    SourceDialect.checkHost(def);
    if (!DATABASE.matcher(def.option("database", "")).matches()) {
      throw new IllegalArgumentException(
          "option \"database\" must not contain / ? & = # or spaces, got '"
              + def.option("database", "") + "'");
    }
  }

  static int port(ConnectorDef def) {
    return SourceDialect.port(def, 5432);
  }

  static long heartbeatMs(ConnectorDef def) {
    return SourceDialect.heartbeatMs(def);
  }

  static String slot(ConnectorDef def) {
    return def.option("slot", defaultName(def));
  }

  static String publication(ConnectorDef def) {
    return def.option("publication", defaultName(def));
  }

  private static String defaultName(ConnectorDef def) {
    String n = ("ordo_" + def.name()).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    return n.length() > 63 ? n.substring(0, 63) : n;
  }

  /**
   * Connects and checks what the connector needs: {@code wal_level=logical}, the table, its
   * primary key.
   *
   * @throws IllegalStateException with the reason
   */
  static void checkSource(ConnectorDef def) {
    String[] table = def.option("table", "").split("\\.", 2);
    try (Connection c = connect(def)) {
      try (Statement s = c.createStatement()) {
        s.setQueryTimeout(QUERY_TIMEOUT_S);
        try (ResultSet rs = s.executeQuery("SHOW wal_level")) {
          rs.next();
          String level = rs.getString(1);
          if (!"logical".equals(level)) {
            throw new IllegalStateException(
                "the source's wal_level is '" + level + "'; a connector needs wal_level=logical"
                    + " (postgresql.conf, then restart PostgreSQL)");
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT c.oid, (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)"
              + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
              + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')")) {
        ps.setQueryTimeout(QUERY_TIMEOUT_S);
        ps.setString(1, table[0]);
        ps.setString(2, table[1]);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new IllegalStateException(
                "table " + def.option("table", "") + " does not exist in database "
                    + def.option("database", "") + " at " + address(def));
          }
          if (rs.getLong(2) == 0) {
            throw new IllegalStateException(
                "table " + def.option("table", "") + " has no primary key; a connector needs one"
                    + " (it is the stream's partition key)");
          }
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot reach PostgreSQL at " + address(def) + ": " + e.getMessage(), e);
    }
  }

  /**
   * The Ordo table that mirrors the connector's source table: one column per source column, in
   * the source's order (ids from 1), named as at the source, with the source's primary key
   * (NOT NULL) and NOT NULL constraints. Types: {@code smallint, integer, bigint} as such,
   * {@code real, double precision} DOUBLE, {@code numeric[(p, s)]} DECIMAL, {@code boolean},
   * {@code text}, {@code varchar[(n)]}, {@code bytea}, {@code date}, {@code timestamp}, {@code
   * timestamptz}, {@code json, jsonb} JSONB. Any other type (char(n), uuid, time, interval,
   * arrays, enums, domains, ...) is refused naming the column: a mirror that silently changes
   * values would not be one.
   *
   * @param tableId the id of the table if CREATE makes it
   * @throws IllegalStateException the source cannot be asked, or the table is missing or has no
   *     primary key
   * @throws UnsupportedOperationException naming the first column of a type Ordo cannot hold
   */
  static TableDef sourceTable(ConnectorDef def, String tableId) {
    String[] table = def.option("table", "").split("\\.", 2);
    List<ColumnDef> columns = new ArrayList<>();
    List<String> key = new ArrayList<>();
    try (Connection c = connect(def)) {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT a.attname, t.typname, a.atttypmod, a.attnotnull, format_type(a.atttypid,"
              + " a.atttypmod), t.typtype FROM pg_attribute a"
              + " JOIN pg_type t ON t.oid = a.atttypid"
              + " JOIN pg_class c ON c.oid = a.attrelid"
              + " JOIN pg_namespace n ON n.oid = c.relnamespace"
              + " WHERE n.nspname = ? AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped"
              + " ORDER BY a.attnum")) {
        ps.setQueryTimeout(QUERY_TIMEOUT_S);
        ps.setString(1, table[0]);
        ps.setString(2, table[1]);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            columns.add(column(def, columns.size() + 1, rs.getString(1), rs.getString(2),
                rs.getInt(3), rs.getBoolean(4), rs.getString(5)));
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT a.attname FROM pg_index i"
              + " JOIN pg_class c ON c.oid = i.indrelid"
              + " JOIN pg_namespace n ON n.oid = c.relnamespace"
              + " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)"
              + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
              + " WHERE n.nspname = ? AND c.relname = ? AND i.indisprimary ORDER BY k.ord")) {
        ps.setQueryTimeout(QUERY_TIMEOUT_S);
        ps.setString(1, table[0]);
        ps.setString(2, table[1]);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            key.add(rs.getString(1));
          }
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot reach PostgreSQL at " + address(def) + ": " + e.getMessage(), e);
    }
    return SourceDialect.mirrorTable(def, tableId, columns, key, address(def));
  }

  private static ColumnDef column(
      ConnectorDef def, int id, String name, String typname, int typmod, boolean notNull,
      String formatted) {
    SqlType type;
    int precision = -1;
    int scale = -1;
    switch (typname) {
      case "int2" -> type = SqlType.SMALLINT;
      case "int4" -> type = SqlType.INTEGER;
      case "int8" -> type = SqlType.BIGINT;
      case "float4", "float8" -> type = SqlType.DOUBLE;
      case "numeric" -> {
        type = SqlType.DECIMAL;
        if (typmod >= 4) { // (precision << 16 | scale) + 4, PostgreSQL's numeric typmod
          precision = ((typmod - 4) >> 16) & 0xFFFF;
          scale = (typmod - 4) & 0xFFFF;
        }
      }
      case "bool" -> type = SqlType.BOOLEAN;
      case "text" -> type = SqlType.TEXT;
      case "varchar" -> {
        type = SqlType.VARCHAR;
        precision = typmod >= 4 ? typmod - 4 : -1;
      }
      case "bytea" -> type = SqlType.BYTEA;
      case "date" -> type = SqlType.DATE;
      case "timestamp" -> type = SqlType.TIMESTAMP;
      case "timestamptz" -> type = SqlType.TIMESTAMPTZ;
      case "json", "jsonb" -> type = SqlType.JSONB;
      default -> throw new UnsupportedOperationException(
          "column \"" + name + "\" of " + def.option("table", "") + " has type " + formatted
              + ", which INTO TABLE cannot mirror (supported: smallint, integer, bigint, real,"
              + " double precision, numeric, boolean, text, varchar, bytea, date, timestamp,"
              + " timestamptz, json, jsonb); use INTO STREAM");
    }
    if (type == SqlType.DECIMAL && scale > precision) {
      throw new UnsupportedOperationException("column \"" + name + "\" of "
          + def.option("table", "") + " has type " + formatted + " (scale above precision),"
          + " which Ordo cannot hold");
    }
    return new ColumnDef(name, id, type, precision, scale, notNull, Optional.empty());
  }

  /**
   * The source's current WAL position ({@code pg_current_wal_lsn()}).
   *
   * @throws SQLException if the source cannot be asked
   */
  static long currentLsn(ConnectorDef def) throws SQLException {
    try (Connection c = connect(def); Statement s = c.createStatement()) {
      s.setQueryTimeout(QUERY_TIMEOUT_S);
      try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
        rs.next();
        return ChangeRecords.parseLsn(rs.getString(1));
      }
    }
  }

  /**
   * Drops the connector's replication slot (and its publication when the connector's default
   * name was used, i.e. the connector created it), retrying while the slot is still in use by a
   * gateway that has not stopped the connector yet, at most {@code waitMs}.
   *
   * @return empty, or what was left and why
   */
  static java.util.Optional<String> release(ConnectorDef def, long waitMs)
      throws InterruptedException {
    long deadline = System.nanoTime() + waitMs * 1_000_000L;
    String slot = slot(def);
    String last = "";
    while (true) {
      try (Connection c = connect(def)) {
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                + " WHERE slot_name = ?")) {
          ps.setQueryTimeout(QUERY_TIMEOUT_S);
          ps.setString(1, slot);
          ps.execute();
        }
        if (!def.options().containsKey("publication")) {
          try (Statement s = c.createStatement()) {
            s.setQueryTimeout(QUERY_TIMEOUT_S);
            s.execute("DROP PUBLICATION IF EXISTS " + publication(def));
          }
        }
        return java.util.Optional.empty();
      } catch (SQLException e) {
        last = e.getMessage();
      }
      if (System.nanoTime() > deadline) {
        return java.util.Optional.of(
            "replication slot " + slot + " at " + address(def) + " was not dropped: " + last
                + "; drop it with SELECT pg_drop_replication_slot('" + slot + "')");
      }
      Thread.sleep(200);
    }
  }

  /** Debezium's configuration for {@code def} (without the engine's own properties). */
  static Properties debezium(ConnectorDef def) {
    Properties p = new Properties();
    p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    p.setProperty("database.hostname", def.option("host", ""));
    p.setProperty("database.port", Integer.toString(port(def)));
    p.setProperty("database.user", def.option("user", ""));
    p.setProperty("database.password", def.option("password", ""));
    p.setProperty("database.dbname", def.option("database", ""));
    p.setProperty("topic.prefix", "ordo_" + def.connectorId());
    p.setProperty("table.include.list", def.option("table", ""));
    p.setProperty("plugin.name", "pgoutput");
    p.setProperty("slot.name", slot(def));
    p.setProperty("publication.name", publication(def));
    p.setProperty("publication.autocreate.mode", "filtered");
    p.setProperty("snapshot.mode", "initial");
    // A delete is one record (op d); no Kafka-style tombstone after it.
    p.setProperty("tombstones.on.delete", "false");
    // JSON-friendly values: decimals as strings, not Connect's bytes.
    p.setProperty("decimal.handling.mode", "string");

    long heartbeat = heartbeatMs(def);
    if (heartbeat > 0) {
      p.setProperty("heartbeat.interval.ms", Long.toString(heartbeat));
    }
    p.setProperty("max.batch.size", Integer.toString(ConnectorWorker.BATCH_RECORDS_MAX));
    p.setProperty("max.queue.size", Integer.toString(4 * ConnectorWorker.BATCH_RECORDS_MAX));
    return p;
  }

  static String address(ConnectorDef def) {
    return def.option("host", "") + ":" + def.option("port", "5432") + "/"
        + def.option("database", "");
  }

  private static Connection connect(ConnectorDef def) throws SQLException {
    return connect(def, QUERY_TIMEOUT_S + 5);
  }

  /**
   * A JDBC connection to the PostgreSQL {@code def}'s options name (host, port, database, user,
   * password), at most {@value #CONNECT_TIMEOUT_S} s to connect, {@code socketTimeoutS} s per
   * network read, application name {@code ordo-<connector>}.
   */
  static Connection connect(ConnectorDef def, int socketTimeoutS) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", def.option("user", ""));
    props.setProperty("password", def.option("password", ""));
    props.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_S));
    props.setProperty("socketTimeout", Integer.toString(socketTimeoutS));
    // Names the connector in pg_stat_activity, for the source's administrator.
    props.setProperty("ApplicationName", "ordo-" + def.name());
    props.setProperty("loginTimeout", Integer.toString(CONNECT_TIMEOUT_S));
    String url = "jdbc:postgresql://" + def.option("host", "") + ":" + port(def) + "/"
        + def.option("database", "");
    return DriverManager.getConnection(url, props);
  }

  /** The redacted options, for logs. */
  static Map<String, String> describe(ConnectorDef def) {
    return def.redactedOptions();
  }
}
