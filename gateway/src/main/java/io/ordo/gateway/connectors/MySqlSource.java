package io.ordo.gateway.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ordo.proto.Value;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.catalog.TableDef;
import java.io.IOException;
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
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * What is specific to a MySQL or MariaDB source ({@code FROM MYSQL}, {@code FROM MARIADB}: the
 * same code; Debezium's MySQL connector reads both): options, checks, the mirrored table,
 * Debezium's configuration, binary log positions.
 *
 * <p>Options: {@code host} (required), {@code port} (3306), {@code user} (required), {@code
 * password} (empty), {@code table} (required, {@code database.table}), {@code database}
 * (optional; if given, the table's database), {@code server_id} (the replica id the connector
 * uses when it reads the binary log, unique among the source's replicas; default a number
 * derived from the connector's id, 100000..2147483647), {@code heartbeat_ms} (as PostgreSQL's).
 *
 * <p>The source needs the binary log on ({@code log_bin}) with {@code binlog_format=ROW} and
 * {@code binlog_row_image=FULL}, the table a primary key, and the user the privileges Debezium
 * documents (SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT). Debezium's
 * schema history (the DDL it needs to decode the binary log) is kept in Ordo ({@link
 * OrdoSchemaHistory}).
 *
 * <p>Stateless; JDBC calls bounded by {@value PostgresSource#CONNECT_TIMEOUT_S} s to connect
 * and {@value PostgresSource#QUERY_TIMEOUT_S} s per statement.
 */
final class MySqlSource {
  static final Set<String> OPTIONS =
      Set.of("host", "port", "user", "password", "table", "database", "server_id", "heartbeat_ms");
  static final int DEFAULT_PORT = 3306;
  private static final Pattern TABLE = Pattern.compile("[A-Za-z0-9_$]{1,64}\\.[A-Za-z0-9_$]{1,64}");
  private static final ObjectMapper JSON = new ObjectMapper();

  private MySqlSource() {}

  /** The MySQL {@link SourceDialect}. */
  static final SourceDialect DIALECT = new SourceDialect() {
    @Override
    public void checkOptions(ConnectorDef def) {
      MySqlSource.checkOptions(def);
    }

    @Override
    public void checkSource(ConnectorDef def) {
      MySqlSource.checkSource(def);
    }

    @Override
    public TableDef sourceTable(ConnectorDef def, String tableId) {
      return MySqlSource.sourceTable(def, tableId);
    }

    @Override
    public Properties debezium(ConnectorDef def) {
      return MySqlSource.debezium(def);
    }

    @Override
    public boolean needsSchemaHistory() {
      return true;
    }

    @Override
    public Optional<Value> restartOffset(ConnectorDef def, Optional<Value> stored) {
      return stored.map(v -> MySqlSource.restartOffset(def, v));
    }

    @Override
    public Optional<String> positionText(Value offsetValue) {
      return binlogPosition(offsetValue).map(p -> p.file() + ":" + p.pos());
    }

    @Override
    public String recordPosition(SourceRecord record) {
      Object file = record.sourceOffset().get("file");
      Object pos = record.sourceOffset().get("pos");
      return file == null ? "" : " at binlog " + file + ":" + pos;
    }

    @Override
    public Positions positions(ConnectorDef def, Optional<Value> offset) {
      Optional<BinlogPosition> applied = offset.flatMap(MySqlSource::binlogPosition);
      Optional<BinlogPosition> source = Optional.empty();
      Optional<String> error = Optional.empty();
      try {
        source = Optional.of(currentPosition(def));
      } catch (SQLException | RuntimeException e) {
        error = Optional.of("cannot ask the source for its position: " + e.getMessage());
      }
      // Bytes of binary log between the two, when both are in one file.
      OptionalLong lag = applied.isPresent() && source.isPresent()
          && applied.get().file().equals(source.get().file())
          ? OptionalLong.of(Math.max(0, source.get().pos() - applied.get().pos()))
          : OptionalLong.empty();
      return new Positions(applied.map(BinlogPosition::text), source.map(BinlogPosition::text),
          lag, error);
    }

    @Override
    public Optional<String> release(ConnectorDef def, long waitMs) {
      return Optional.empty(); // a binary log reader holds nothing at the source
    }
  };

  /** A binary log position: file and byte offset in it. */
  record BinlogPosition(String file, long pos) {
    String text() {
      return file + ":" + pos;
    }
  }

  /** The binary log position of a stored offset (Debezium's {@code file} and {@code pos}). */
  static Optional<BinlogPosition> binlogPosition(Value offsetValue) {
    try {
      JsonNode offset = JSON.readTree(ChangeRecords.parseOffset(offsetValue).getValue());
      JsonNode file = offset.get("file");
      JsonNode pos = offset.get("pos");
      return file == null || pos == null || !pos.canConvertToLong()
          ? Optional.empty() : Optional.of(new BinlogPosition(file.asText(), pos.asLong()));
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Binary log events {@link #restartOffset} reads per statement. */
  static final int EVENTS_PAGE = 10_000;

  private static final Pattern BINLOG_FILE = Pattern.compile("[A-Za-z0-9._-]{1,255}");

  /**
   * The offset to resume from, restated for MariaDB. Debezium's MySQL connector knows a
   * transaction's start by MySQL's {@code BEGIN} event; MariaDB starts transactions with its own
   * GTID event, which the connector ignores, so the offset of a row change names the event AFTER
   * the row's event with the rows to skip ({@code row}) and no events to skip ({@code event}):
   * resumed as such, Debezium would skip rows of the next row event and lose them. Such an
   * offset (a {@code row} without an {@code event}; MySQL's offsets of row changes always have
   * both) is restated as MySQL's would be: the position of the transaction's GTID event, the
   * events from it to the row's event ({@code event}) and the rows to skip in that one; the
   * events are found with {@code SHOW BINLOG EVENTS} over the binary log file up to the stored
   * position, {@value #EVENTS_PAGE} per statement. Other offsets are returned as they are.
   *
   * @throws IllegalStateException when the source cannot be asked or the position is not in
   *     its binary log
   */
  static Value restartOffset(ConnectorDef def, Value stored) {
    java.util.Map.Entry<byte[], byte[]> kv = ChangeRecords.parseOffset(stored);
    com.fasterxml.jackson.databind.node.ObjectNode offset;
    try {
      offset = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(kv.getValue());
    } catch (IOException | ClassCastException e) {
      throw new IllegalStateException("the stored offset is not a binlog offset: " + e, e);
    }
    if (!offset.has("row") || offset.has("event") || !offset.has("file") || !offset.has("pos")) {
      return stored;
    }
    String file = offset.get("file").asText();
    long end = offset.get("pos").asLong();
    if (!BINLOG_FILE.matcher(file).matches()) {
      throw new IllegalStateException("the stored offset names binlog file '" + file + "'");
    }
    try (Connection c = connect(def, PostgresSource.QUERY_TIMEOUT_S + 5);
        Statement s = c.createStatement()) {
      s.setQueryTimeout(PostgresSource.QUERY_TIMEOUT_S);
      long gtidPos = -1;
      long events = 0;
      for (long skip = 0; ; skip += EVENTS_PAGE) {
        int rows = 0;
        try (ResultSet rs = s.executeQuery("SHOW BINLOG EVENTS IN '" + file + "' LIMIT " + skip
            + ", " + EVENTS_PAGE)) {
          while (rs.next()) {
            rows++;
            long pos = rs.getLong("Pos");
            if ("Gtid".equalsIgnoreCase(rs.getString("Event_type"))) {
              gtidPos = pos;
              events = 0;
            }
            if (rs.getLong("End_log_pos") == end) {
              if (gtidPos < 0) {
                return stored; // no transaction start seen: resume as stored
              }
              offset.put("pos", gtidPos);
              offset.put("event", events);
              return ChangeRecords.offsetValue(kv.getKey(),
                  offset.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            events++;
          }
        }
        if (rows < EVENTS_PAGE) {
          throw new IllegalStateException("binlog position " + file + ":" + end + " of the"
              + " stored offset is not the end of an event in the source's binary log (purged?)");
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the binary log of " + product(def) + " at "
          + address(def) + " to resume: " + e.getMessage(), e);
    }
  }

  /**
   * Checks the options of {@code def} (without connecting).
   *
   * @throws IllegalArgumentException naming the bad option
   */
  static void checkOptions(ConnectorDef def) {
    checkConnection(def, "connector", OPTIONS);
    serverId(def);
    SourceDialect.heartbeatMs(def);
  }

  /**
   * Checks the options every MySQL connector has (host, port, user, table, database) and that
   * no option outside {@code known} is given; {@code what} names the kind in messages.
   *
   * @throws IllegalArgumentException naming the bad option
   */
  static void checkConnection(ConnectorDef def, String what, Set<String> known) {
    for (String name : def.options().keySet()) {
      if (!known.contains(name)) {
        throw new IllegalArgumentException("unknown option \"" + name + "\" for a "
            + def.sourceKind() + " " + what + "; known: " + new TreeSet<>(known));
      }
    }
    for (String required : new String[] {"host", "user", "table"}) {
      if (def.option(required, "").isBlank()) {
        throw new IllegalArgumentException(
            "a " + def.sourceKind() + " " + what + " needs the option \"" + required + "\"");
      }
    }
    SourceDialect.checkHost(def);
    port(def);
    String table = def.option("table", "");
    if (!TABLE.matcher(table).matches()) {
      throw new IllegalArgumentException("option \"table\" must be database.table (letters,"
          + " digits, _ and $; e.g. 'shop.orders'), got '" + table + "'");
    }
    String db = def.option("database", "");
    if (!db.isEmpty() && !db.equals(table.split("\\.", 2)[0])) {
      throw new IllegalArgumentException("option \"database\" ('" + db + "') is not the database"
          + " of option \"table\" ('" + table + "'); leave it out or make them agree");
    }
  }

  static int port(ConnectorDef def) {
    return SourceDialect.port(def, DEFAULT_PORT);
  }

  /**
   * The option {@code server_id}, or a default derived from the connector's id.
   *
   * @throws IllegalArgumentException when it is not 1..4294967295
   */
  static long serverId(ConnectorDef def) {
    String v = def.option("server_id", "").trim();
    if (v.isEmpty()) {
      return 100_000 + Math.floorMod(Long.parseUnsignedLong(def.connectorId(), 16),
          2_147_483_647L - 100_000);
    }
    try {
      long id = Long.parseLong(v);
      if (id >= 1 && id <= 4_294_967_295L) {
        return id;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "option \"server_id\" must be 1..4294967295, got '" + v + "'");
  }

  private static String[] table(ConnectorDef def) {
    return def.option("table", "").split("\\.", 2);
  }

  /**
   * Connects and checks what the connector needs: the binary log on, in ROW format with full
   * row images, a server id other than the source's, the table and its primary key.
   *
   * @throws IllegalStateException with the reason
   */
  static void checkSource(ConnectorDef def) {
    try (Connection c = connect(def, PostgresSource.QUERY_TIMEOUT_S + 5)) {
      try (Statement s = c.createStatement()) {
        s.setQueryTimeout(PostgresSource.QUERY_TIMEOUT_S);
        try (ResultSet rs = s.executeQuery("SELECT @@global.log_bin, @@global.binlog_format,"
            + " @@global.binlog_row_image, @@global.server_id")) {
          rs.next();
          String logBin = rs.getString(1);
          if (!"1".equals(logBin) && !"ON".equalsIgnoreCase(logBin)) {
            throw new IllegalStateException("the source's binary log is off (log_bin); a"
                + " connector reads it: start the server with --log-bin --binlog-format=ROW"
                + " --server-id=<n>");
          }
          if (!"ROW".equalsIgnoreCase(rs.getString(2))) {
            throw new IllegalStateException("the source's binlog_format is " + rs.getString(2)
                + "; a connector needs ROW (the row changes themselves, not statements):"
                + " SET GLOBAL binlog_format = 'ROW' or --binlog-format=ROW");
          }
          if (!"FULL".equalsIgnoreCase(rs.getString(3))) {
            throw new IllegalStateException("the source's binlog_row_image is " + rs.getString(3)
                + "; a connector needs FULL (whole rows): SET GLOBAL binlog_row_image = 'FULL'");
          }
          if (rs.getLong(4) == serverId(def)) {
            throw new IllegalStateException("option \"server_id\" (" + serverId(def) + ") is the"
                + " source's own server_id; choose another, unique among its replicas");
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT (SELECT count(*) FROM information_schema.TABLE_CONSTRAINTS k"
              + " WHERE k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME"
              + " AND k.CONSTRAINT_TYPE = 'PRIMARY KEY') FROM information_schema.TABLES t"
              + " WHERE t.TABLE_SCHEMA = ? AND t.TABLE_NAME = ? AND t.TABLE_TYPE = 'BASE TABLE'")) {
        ps.setQueryTimeout(PostgresSource.QUERY_TIMEOUT_S);
        ps.setString(1, table(def)[0]);
        ps.setString(2, table(def)[1]);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new IllegalStateException("table " + def.option("table", "") + " does not"
                + " exist at " + address(def));
          }
          if (rs.getLong(1) == 0) {
            throw new IllegalStateException("table " + def.option("table", "") + " has no"
                + " primary key; a connector needs one (it is the stream's partition key)");
          }
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot reach " + product(def) + " at " + address(def) + ": " + e.getMessage(), e);
    }
  }

  /**
   * The Ordo table mirroring the source table. Types: {@code tinyint(1)}, {@code bool} and
   * {@code bit(1)} BOOLEAN; {@code tinyint}, {@code smallint} SMALLINT; {@code smallint
   * unsigned}, {@code mediumint}, {@code int} INTEGER; {@code int unsigned}, {@code bigint}
   * BIGINT; {@code bigint unsigned} DECIMAL(20, 0); {@code decimal(p, s)} DECIMAL(p, s); {@code
   * float}, {@code double} DOUBLE; {@code char(n)}, {@code varchar(n)} VARCHAR(n); the {@code
   * text} types TEXT; {@code binary}, {@code varbinary} and the {@code blob} types BYTEA; {@code
   * date} DATE; {@code datetime} TIMESTAMP; {@code timestamp} TIMESTAMPTZ; {@code json} JSONB
   * (MySQL; MariaDB's json is a longtext: TEXT). Others (time, year, enum, set, bit(n > 1),
   * spatial types) are refused naming the column.
   *
   * @throws IllegalStateException the source cannot be asked, the table is missing or has no
   *     primary key
   * @throws UnsupportedOperationException naming the first column of a type Ordo cannot hold
   */
  static TableDef sourceTable(ConnectorDef def, String tableId) {
    List<ColumnDef> columns = new ArrayList<>();
    List<String> key = new ArrayList<>();
    try (Connection c = connect(def, PostgresSource.QUERY_TIMEOUT_S + 5)) {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, CHARACTER_MAXIMUM_LENGTH,"
              + " NUMERIC_PRECISION, NUMERIC_SCALE FROM information_schema.COLUMNS"
              + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION")) {
        ps.setQueryTimeout(PostgresSource.QUERY_TIMEOUT_S);
        ps.setString(1, table(def)[0]);
        ps.setString(2, table(def)[1]);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            columns.add(column(def, columns.size() + 1, rs.getString(1),
                rs.getString(2).toLowerCase(Locale.ROOT), rs.getString(3).toLowerCase(Locale.ROOT),
                "NO".equals(rs.getString(4)), rs.getLong(5), rs.getInt(6), rs.getInt(7)));
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ?"
              + " AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION")) {
        ps.setQueryTimeout(PostgresSource.QUERY_TIMEOUT_S);
        ps.setString(1, table(def)[0]);
        ps.setString(2, table(def)[1]);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            key.add(rs.getString(1));
          }
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot reach " + product(def) + " at " + address(def) + ": " + e.getMessage(), e);
    }
    return SourceDialect.mirrorTable(def, tableId, columns, key, address(def));
  }

  private static ColumnDef column(ConnectorDef def, int id, String name, String dataType,
      String columnType, boolean notNull, long charLength, int precision, int scale) {
    boolean unsigned = columnType.contains("unsigned");
    int p = -1;
    int s = -1;
    SqlType type = switch (dataType) {
      case "tinyint" -> columnType.startsWith("tinyint(1)") ? SqlType.BOOLEAN : SqlType.SMALLINT;
      case "bool", "boolean" -> SqlType.BOOLEAN;
      case "bit" -> columnType.equals("bit(1)") ? SqlType.BOOLEAN : null;
      case "smallint" -> unsigned ? SqlType.INTEGER : SqlType.SMALLINT;
      case "mediumint" -> SqlType.INTEGER;
      case "int", "integer" -> unsigned ? SqlType.BIGINT : SqlType.INTEGER;
      case "bigint" -> {
        if (unsigned) {
          p = 20;
          s = 0;
          yield SqlType.DECIMAL;
        }
        yield SqlType.BIGINT;
      }
      case "decimal", "numeric" -> {
        p = precision;
        s = scale;
        yield SqlType.DECIMAL;
      }
      case "float", "double", "real" -> SqlType.DOUBLE;
      case "char", "varchar" -> {
        p = (int) Math.min(Integer.MAX_VALUE, charLength);
        yield SqlType.VARCHAR;
      }
      case "tinytext", "text", "mediumtext", "longtext" -> SqlType.TEXT;
      case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob" -> SqlType.BYTEA;
      case "date" -> SqlType.DATE;
      case "datetime" -> SqlType.TIMESTAMP;
      case "timestamp" -> SqlType.TIMESTAMPTZ;
      case "json" -> SqlType.JSONB;
      default -> null;
    };
    if (type == null) {
      throw new UnsupportedOperationException(
          "column \"" + name + "\" of " + def.option("table", "") + " has type " + columnType
              + ", which INTO TABLE cannot mirror (supported: tinyint, smallint, mediumint, int,"
              + " bigint, decimal, float, double, bool/tinyint(1), bit(1), char, varchar, text,"
              + " binary, varbinary, blob, date, datetime, timestamp, json); use INTO STREAM");
    }
    return new ColumnDef(name, id, type, p, s, notNull, Optional.empty());
  }

  /** Debezium's configuration for {@code def} (without the engine's own properties). */
  static Properties debezium(ConnectorDef def) {
    Properties p = new Properties();
    p.setProperty("connector.class", "io.debezium.connector.mysql.MySqlConnector");
    p.setProperty("database.hostname", def.option("host", ""));
    p.setProperty("database.port", Integer.toString(port(def)));
    p.setProperty("database.user", def.option("user", ""));
    p.setProperty("database.password", def.option("password", ""));
    p.setProperty("database.server.id", Long.toString(serverId(def)));
    p.setProperty("database.jdbc.driver", MariaDbCompatDriver.class.getName());
    p.setProperty("database.protocol", MariaDbCompatDriver.PROTOCOL);
    p.setProperty("topic.prefix", "ordo_" + def.connectorId());
    p.setProperty("database.include.list", table(def)[0]);
    p.setProperty("table.include.list", def.option("table", ""));
    p.setProperty("snapshot.mode", "initial");
    // The history holds the captured table's DDL only: small, and in one Ordo value.
    p.setProperty("schema.history.internal.store.only.captured.tables.ddl", "true");
    p.setProperty("schema.history.internal.store.only.captured.databases.ddl", "true");
    p.setProperty("include.schema.changes", "false");
    p.setProperty("tombstones.on.delete", "false");
    p.setProperty("decimal.handling.mode", "string");
    p.setProperty("bigint.unsigned.handling.mode", "precise");
    p.setProperty("connect.timeout.ms", Integer.toString(PostgresSource.CONNECT_TIMEOUT_S * 1000));
    long heartbeat = SourceDialect.heartbeatMs(def);
    if (heartbeat > 0) {
      p.setProperty("heartbeat.interval.ms", Long.toString(heartbeat));
    }
    p.setProperty("max.batch.size", Integer.toString(ConnectorWorker.BATCH_RECORDS_MAX));
    p.setProperty("max.queue.size", Integer.toString(4 * ConnectorWorker.BATCH_RECORDS_MAX));
    return p;
  }

  /** The source's current binary log position ({@code SHOW MASTER STATUS}). */
  static BinlogPosition currentPosition(ConnectorDef def) throws SQLException {
    try (Connection c = connect(def, PostgresSource.QUERY_TIMEOUT_S + 5);
        Statement s = c.createStatement()) {
      s.setQueryTimeout(PostgresSource.QUERY_TIMEOUT_S);
      ResultSet rs;
      try {
        rs = s.executeQuery("SHOW MASTER STATUS");
      } catch (SQLException e) {
        rs = s.executeQuery("SHOW BINARY LOG STATUS"); // MySQL 8.4 and later
      }
      try (ResultSet r = rs) {
        if (!r.next()) {
          throw new SQLException("the source's binary log is off");
        }
        return new BinlogPosition(r.getString(1), r.getLong(2));
      }
    }
  }

  /** {@code MySQL} or {@code MariaDB}, as the connector's kind says, for messages. */
  static String product(ConnectorDef def) {
    return ConnectorDef.MARIADB.equals(def.sourceKind()) ? "MariaDB" : "MySQL";
  }

  static String address(ConnectorDef def) {
    return def.option("host", "") + ":" + port(def);
  }

  /**
   * A JDBC connection (MySQL Connector/J) to the server {@code def}'s options name, at most
   * {@value PostgresSource#CONNECT_TIMEOUT_S} s to connect, {@code socketTimeoutS} s per
   * network read, the session in UTC.
   */
  static Connection connect(ConnectorDef def, int socketTimeoutS) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", def.option("user", ""));
    props.setProperty("password", def.option("password", ""));
    props.setProperty("connectTimeout", Integer.toString(PostgresSource.CONNECT_TIMEOUT_S * 1000));
    props.setProperty("socketTimeout", Integer.toString(socketTimeoutS * 1000));
    props.setProperty("connectionTimeZone", "UTC");
    props.setProperty("forceConnectionTimeZoneToSession", "true");
    props.setProperty("allowPublicKeyRetrieval", "true");
    // Names the connector in performance_schema.session_connect_attrs, for the administrator.
    props.setProperty("connectionAttributes",
        "program_name:ordo-" + def.name().replaceAll("[^A-Za-z0-9_-]", "_"));
    return DriverManager.getConnection(
        "jdbc:mysql://" + def.option("host", "") + ":" + port(def) + "/", props);
  }
}
