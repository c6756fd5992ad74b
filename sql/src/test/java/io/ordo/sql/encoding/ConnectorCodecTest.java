package io.ordo.sql.encoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ordo.proto.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.catalog.ConnectorDef;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ConnectorCodecTest {
  private static ConnectorDef def(Map<String, String> options) {
    return new ConnectorDef("pg_orders", ConnectorDef.POSTGRESQL, new TreeMap<>(options),
        ConnectorDef.TargetKind.STREAM, "orders_cdc", false, "0123456789abcdef");
  }

  @Test
  void aDefinitionRoundTripsAndItsBytesDoNotDependOnOptionOrder() throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("table", "public.orders");
    a.put("host", "db");
    a.put("password", "secret");
    Map<String, String> b = new LinkedHashMap<>();
    b.put("password", "secret");
    b.put("host", "db");
    b.put("table", "public.orders");
    Value va = ConnectorCodec.encode(def(a));
    assertThat(ConnectorCodec.encode(def(b))).isEqualTo(va);
    ConnectorDef back = ConnectorCodec.decode(va);
    assertThat(back).isEqualTo(def(a));
    assertThat(back.withPaused(true).paused()).isTrue();
    assertThat(ConnectorCodec.decode(ConnectorCodec.encode(back.withPaused(true))).paused()).isTrue();
    assertThat(back.redactedOptions()).containsEntry("password", "***").containsEntry("host", "db");
  }

  @Test
  void aSinkRoundTripsAsASinkAndASourceEncodesAsBefore() throws Exception {
    ConnectorDef sink = new ConnectorDef("pg_out", ConnectorDef.POSTGRESQL,
        new TreeMap<>(Map.of("table", "public.orders_copy")), ConnectorDef.TargetKind.TABLE,
        "orders", false, "0123456789abcdef", true);
    ConnectorDef back = ConnectorCodec.decode(ConnectorCodec.encode(sink));
    assertThat(back).isEqualTo(sink);
    assertThat(back.sink()).isTrue();
    assertThat(back.withPaused(true).sink()).isTrue();
    for (ConnectorDef.TargetKind kind : ConnectorDef.TargetKind.values()) {
      ConnectorDef other = new ConnectorDef("pg_out", ConnectorDef.POSTGRESQL, sink.options(),
          kind, "orders", false, "0123456789abcdef", true);
      assertThat(ConnectorCodec.decode(ConnectorCodec.encode(other)).targetKind()).isEqualTo(kind);
    }
    // A source leaves the field at its default: entries written before sinks existed decode
    // as sources, and a source's bytes are what they were.
    ConnectorDef source = def(Map.of("host", "db"));
    assertThat(source.sink()).isFalse();
    assertThat(io.ordo.proto.state.SqlConnectorDef.parseFrom(
        ConnectorCodec.encode(source).getBytes()).hasField(
            io.ordo.proto.state.SqlConnectorDef.getDescriptor().findFieldByName("sink")))
        .isFalse();
  }

  @Test
  void keysAreUnderTheirPrefixesAndValuesThatAreNotDefinitionsAreRefused() throws Exception {
    assertThat(ConnectorCodec.connectorKey("c")).isEqualTo("\u0000ordo/sql/catalog/connector/c");
    assertThat(ConnectorCodec.offsetKey("0123456789abcdef"))
        .isEqualTo("\u0000ordo/connector/0123456789abcdef/offset");
    assertThat(ConnectorCodec.leaseKey("0123456789abcdef"))
        .isEqualTo("\u0000ordo/connector/0123456789abcdef/lease");
    assertThat(ConnectorCodec.historyKey("0123456789abcdef"))
        .isEqualTo("\u0000ordo/connector/0123456789abcdef/schema_history");
    assertThatThrownBy(() -> ConnectorCodec.connectorKey(""))
        .isInstanceOf(SqlException.class);
    assertThatThrownBy(() -> ConnectorCodec.decode(Value.newBuilder().setCounter(1).build()))
        .isInstanceOfSatisfying(SqlException.class, e -> assertThat(e.sqlState()).isEqualTo("XX001"));
    assertThatThrownBy(() -> ConnectorCodec.decode(
            Value.newBuilder().setBytes(ByteString.copyFromUtf8("\u00ff\u00ff")).build()))
        .isInstanceOfSatisfying(SqlException.class, e -> assertThat(e.sqlState()).isEqualTo("XX001"));
  }
}
