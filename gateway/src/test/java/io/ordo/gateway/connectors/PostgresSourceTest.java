package io.ordo.gateway.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sql.catalog.ConnectorDef;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class PostgresSourceTest {
  private static ConnectorDef def(String name, Map<String, String> options) {
    return new ConnectorDef(name, ConnectorDef.POSTGRESQL, new TreeMap<>(options),
        ConnectorDef.TargetKind.STREAM, "s", false, "0123456789abcdef");
  }

  private static Map<String, String> good() {
    return Map.of("host", "db.example", "database", "shop", "user", "cdc",
        "table", "public.orders");
  }

  private static void refused(Map<String, String> extra, String reason) {
    Map<String, String> o = new TreeMap<>(good());
    o.putAll(extra);
    assertThatThrownBy(() -> PostgresSource.checkOptions(def("c", o)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(reason);
  }

  @Test
  void badOptionsAreRefusedNamingTheOption() {
    PostgresSource.checkOptions(def("c", good()));
    refused(Map.of("colour", "red"), "unknown option \"colour\"");
    refused(Map.of("port", "70000"), "option \"port\" must be 1..65535");
    refused(Map.of("port", "x"), "option \"port\"");
    refused(Map.of("table", "orders"), "must be schema.table");
    refused(Map.of("heartbeat_ms", "5"), "option \"heartbeat_ms\"");
    refused(Map.of("slot", "Bad-Slot"), "option \"slot\"");
    refused(Map.of("host", "db/evil?socketFactory=x"), "option \"host\"");
    refused(Map.of("database", "shop?ssl=true"), "option \"database\"");
    Map<String, String> noTable = new TreeMap<>(good());
    noTable.remove("table");
    assertThatThrownBy(() -> PostgresSource.checkOptions(def("c", noTable)))
        .hasMessageContaining("needs the option \"table\"");
  }

  @Test
  void debeziumGetsTheSourceTheSlotAndNoTombstones() {
    Properties p = PostgresSource.debezium(def("Pg-Orders", good()));
    assertThat(p.getProperty("database.hostname")).isEqualTo("db.example");
    assertThat(p.getProperty("database.port")).isEqualTo("5432");
    assertThat(p.getProperty("table.include.list")).isEqualTo("public.orders");
    assertThat(p.getProperty("plugin.name")).isEqualTo("pgoutput");
    // Default slot and publication: ordo_<name> made a legal slot name.
    assertThat(p.getProperty("slot.name")).isEqualTo("ordo_pg_orders");
    assertThat(p.getProperty("publication.name")).isEqualTo("ordo_pg_orders");
    assertThat(p.getProperty("tombstones.on.delete")).isEqualTo("false");
    assertThat(p.getProperty("topic.prefix")).isEqualTo("ordo_0123456789abcdef");
    assertThat(p.getProperty("heartbeat.interval.ms")).isNull();
    Map<String, String> withHeartbeat = new TreeMap<>(good());
    withHeartbeat.put("heartbeat_ms", "1000");
    assertThat(PostgresSource.debezium(def("c", withHeartbeat)).getProperty("heartbeat.interval.ms"))
        .isEqualTo("1000");
  }
}
