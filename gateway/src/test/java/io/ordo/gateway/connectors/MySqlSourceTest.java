package io.ordo.gateway.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.debezium.config.Configuration;
import io.debezium.relational.history.HistoryRecordComparator;
import io.debezium.relational.history.SchemaHistoryException;
import io.debezium.relational.history.SchemaHistoryListener;
import io.ordo.proto.Value;
import io.ordo.sql.catalog.ConnectorDef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** MySQL source options, Debezium configuration and the schema history's storage. */
class MySqlSourceTest {
  private static ConnectorDef def(Map<String, String> options) {
    return new ConnectorDef("c", ConnectorDef.MYSQL, new TreeMap<>(options),
        ConnectorDef.TargetKind.TABLE, "t", false, "0123456789abcdef");
  }

  private static Map<String, String> good() {
    return Map.of("host", "db.example", "user", "cdc", "table", "shop.orders");
  }

  private static void refused(Map<String, String> extra, String reason) {
    Map<String, String> o = new TreeMap<>(good());
    o.putAll(extra);
    assertThatThrownBy(() -> MySqlSource.checkOptions(def(o)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(reason);
  }

  @Test
  void badOptionsAreRefusedNamingTheOption() {
    MySqlSource.checkOptions(def(good()));
    refused(Map.of("slot", "x"), "unknown option \"slot\"");
    refused(Map.of("port", "0"), "option \"port\" must be 1..65535");
    refused(Map.of("table", "orders"), "must be database.table");
    refused(Map.of("database", "other"), "option \"database\" ('other') is not the database");
    refused(Map.of("server_id", "0"), "option \"server_id\" must be 1..4294967295");
    refused(Map.of("heartbeat_ms", "5"), "option \"heartbeat_ms\"");
    refused(Map.of("host", "db/evil?x=1"), "option \"host\"");
    assertThatThrownBy(() -> MySqlSource.checkOptions(def(Map.of("host", "h", "table", "a.b"))))
        .hasMessageContaining("needs the option \"user\"");
  }

  @Test
  void debeziumReadsTheOneTableWithTheDerivedServerIdAndTheCompatibleDriver() {
    Properties p = MySqlSource.debezium(def(good()));
    assertThat(p.getProperty("connector.class"))
        .isEqualTo("io.debezium.connector.mysql.MySqlConnector");
    assertThat(p.getProperty("table.include.list")).isEqualTo("shop.orders");
    assertThat(p.getProperty("database.include.list")).isEqualTo("shop");
    assertThat(p.getProperty("database.port")).isEqualTo("3306");
    assertThat(p.getProperty("database.jdbc.driver"))
        .isEqualTo(MariaDbCompatDriver.class.getName());
    long id = Long.parseLong(p.getProperty("database.server.id"));
    assertThat(id).isBetween(100_000L, 2_147_483_647L)
        .isEqualTo(MySqlSource.serverId(def(good())));
    Map<String, String> explicit = new TreeMap<>(good());
    explicit.put("server_id", "4242");
    assertThat(MySqlSource.debezium(def(explicit)).getProperty("database.server.id"))
        .isEqualTo("4242");
  }

  @Test
  void onlyMariaDbsStatusStatementIsTranslated() {
    assertThat(MariaDbCompatDriver.translate(" show binary log status "))
        .isEqualTo("SHOW MASTER STATUS");
    assertThat(MariaDbCompatDriver.translate("SELECT 1")).isEqualTo("SELECT 1");
  }

  /** An OrdoSchemaHistory over an in-memory key, as a worker registers it. */
  private static OrdoSchemaHistory history(AtomicReference<Optional<Value>> key, long bytesMax) {
    String handle = "test-" + System.nanoTime();
    OrdoSchemaHistory.register(handle, new OrdoSchemaHistory.Storage("k",
        k -> key.get(),
        (expected, next) -> {
          assertThat(expected).isEqualTo(key.get()); // the worker asserts the previous value
          key.set(Optional.of(next));
        }, bytesMax));
    OrdoSchemaHistory h = new OrdoSchemaHistory();
    h.configure(Configuration.create().with(OrdoSchemaHistory.HANDLE_PROPERTY, handle).build(),
        HistoryRecordComparator.INSTANCE, SchemaHistoryListener.NOOP, true);
    h.start();
    return h;
  }

  @Test
  void theSchemaHistoryIsStoredInTheKeyAndRecoveredByANewInstance() {
    AtomicReference<Optional<Value>> key = new AtomicReference<>(Optional.empty());
    OrdoSchemaHistory first = history(key, 1 << 20);
    assertThat(first.exists()).isFalse();
    first.record(Map.of("server", "s"), Map.of("file", "binlog.000001", "pos", 4L), "shop",
        "CREATE TABLE orders (id INT PRIMARY KEY)");
    first.record(Map.of("server", "s"), Map.of("file", "binlog.000001", "pos", 900L), "shop",
        "ALTER TABLE orders ADD COLUMN note TEXT");
    assertThat(key.get()).isPresent();

    // Another gateway: a new instance reads the same key.
    OrdoSchemaHistory second = history(key, 1 << 20);
    assertThat(second.exists()).isTrue();
    List<String> ddl = new ArrayList<>();
    second.recoverRecords(r -> ddl.add(r.document().getString("ddl")));
    assertThat(ddl).containsExactly(
        "CREATE TABLE orders (id INT PRIMARY KEY)", "ALTER TABLE orders ADD COLUMN note TEXT");

    // A snapshot from scratch starts an empty history.
    second.initializeStorage();
    assertThat(history(key, 1 << 20).exists()).isFalse();
  }

  @Test
  void aHistoryAboveItsBoundIsRefusedWithTheReason() {
    AtomicReference<Optional<Value>> key = new AtomicReference<>(Optional.empty());
    OrdoSchemaHistory h = history(key, 300);
    assertThatThrownBy(() -> h.record(Map.of("server", "s"), Map.of("pos", 4L), "shop",
        "CREATE TABLE orders (id INT PRIMARY KEY, " + "x INT, ".repeat(40) + "y INT)"))
        .isInstanceOf(SchemaHistoryException.class)
        .hasMessageContaining("more than 300");
    assertThat(key.get()).isEmpty();
  }
}
