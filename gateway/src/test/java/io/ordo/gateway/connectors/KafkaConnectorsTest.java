package io.ordo.gateway.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.ConnectorDef;
import java.math.BigDecimal;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Kafka connector options, offset values, positions and column JSON, without a broker. */
class KafkaConnectorsTest {
  private static ConnectorDef def(boolean sink, ConnectorDef.TargetKind kind, Map<String, String> options) {
    return new ConnectorDef("k", ConnectorDef.KAFKA, new TreeMap<>(options), kind, "t", false,
        "0123456789abcdef", sink);
  }

  private static ConnectorDef source(Map<String, String> options) {
    return def(false, ConnectorDef.TargetKind.STREAM, options);
  }

  @Test
  void checksOptions() {
    Map<String, String> ok = Map.of("topic", "t.1", "bootstrap", "127.0.0.1:9092");
    KafkaConnectors.checkOptions(source(ok));
    KafkaConnectors.checkOptions(source(Map.of("topic", "t", "bootstrap", "a:1,b:2",
        "format", "json", "key", "id", "start_from", "latest")));
    assertThatThrownBy(() -> KafkaConnectors.checkOptions(source(Map.of("bootstrap", "h:1"))))
        .hasMessageContaining("option \"topic\" is required");
    assertThatThrownBy(() -> KafkaConnectors.checkOptions(source(Map.of("topic", "t"))))
        .hasMessageContaining("option \"bootstrap\" is required");
    assertThatThrownBy(() -> KafkaConnectors.checkOptions(
        source(Map.of("topic", "t", "bootstrap", "nohost"))))
        .hasMessageContaining("host:port");
    assertThatThrownBy(() -> KafkaConnectors.checkOptions(
        source(Map.of("topic", "t", "bootstrap", "h:1", "group", "g"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown option \"group\"");
    assertThatThrownBy(() -> KafkaConnectors.checkOptions(
        source(Map.of("topic", "t", "bootstrap", "h:1", "format", "bytes", "key", "id"))))
        .hasMessageContaining("needs format 'json'");
    assertThatThrownBy(() -> KafkaConnectors.checkOptions(
        source(Map.of("topic", "t", "bootstrap", "h:1", "start_from", "middle"))))
        .hasMessageContaining("start_from");
    assertThatThrownBy(() -> KafkaConnectors.checkOptions(
        def(false, ConnectorDef.TargetKind.TABLE, ok)))
        .isInstanceOf(UnsupportedOperationException.class);
    KafkaConnectors.checkOptions(def(true, ConnectorDef.TargetKind.TABLE,
        Map.of("topic", "t", "bootstrap", "h:1", "format", "debezium", "partitions", "3")));
    assertThatThrownBy(() -> KafkaConnectors.checkOptions(def(true, ConnectorDef.TargetKind.TABLE,
        Map.of("topic", "t", "bootstrap", "h:1", "partitions", "0"))))
        .hasMessageContaining("partitions");
    assertThatThrownBy(() -> KafkaConnectors.checkOptions(def(true, ConnectorDef.TargetKind.TABLE,
        Map.of("topic", "t", "bootstrap", "h:1", "format", "bytes"))))
        .hasMessageContaining("format");
  }

  @Test
  void offsetValuesRoundTrip() {
    TreeMap<Integer, Long> next = new TreeMap<>(Map.of(0, 12L, 1, 40L, 10, 0L));
    assertThat(KafkaConnectors.parseOffsets(KafkaConnectors.offsetValue("t", next)))
        .isEqualTo(next);
    assertThat(KafkaConnectors.offsetsText(next)).isEqualTo("0:12,1:40,10:0");
  }

  @Test
  void positionsCompareInLogOrderAndAPositionWithoutRowNumberEndsItsEntry() {
    assertThat(KafkaSink.comparePositions("5:1:7:2", "5:1:7:10")).isNegative();
    assertThat(KafkaSink.comparePositions("5:1:7:99", "5:1:7")).isNegative();
    assertThat(KafkaSink.comparePositions("6:0:0:1", "5:9:9")).isPositive();
    assertThat(KafkaSink.comparePositions("5:1:7:2", "5:1:7:2")).isZero();
  }

  @Test
  void columnValuesAsJson() {
    ColumnDef n = new ColumnDef("n", 1, SqlType.INTEGER, 0, 0, false,
        java.util.Optional.empty());
    ColumnDef j = new ColumnDef("j", 2, SqlType.JSONB, 0, 0, false,
        java.util.Optional.empty());
    ColumnDef b = new ColumnDef("b", 3, SqlType.BYTEA, 0, 0, false,
        java.util.Optional.empty());
    ColumnDef d = new ColumnDef("d", 4, SqlType.DECIMAL, 0, 0, false,
        java.util.Optional.empty());
    assertThat(KafkaSink.json(n, 7).toString()).isEqualTo("7");
    assertThat(KafkaSink.json(n, null).isNull()).isTrue();
    assertThat(KafkaSink.json(j, "{\"a\":[1]}").toString()).isEqualTo("{\"a\":[1]}");
    assertThat(KafkaSink.json(b, new byte[] {1, 2}).asText()).isEqualTo("AQI=");
    assertThat(KafkaSink.json(d, new BigDecimal("1.50")).toString()).isEqualTo("1.50");
  }
}
