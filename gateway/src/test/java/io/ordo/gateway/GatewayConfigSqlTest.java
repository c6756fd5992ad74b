package io.ordo.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sequencer.KeyRanges;
import io.ordo.sequencer.TopicLayout;
import io.ordo.sql.engine.SqlConfig;
import org.junit.jupiter.api.Test;

/** The SQL components of {@link GatewayConfig}: defaults, copies and bounds. */
class GatewayConfigSqlTest {
  private static final GatewayConfig DEFAULTS =
      GatewayConfig.defaults("localhost:9092", TopicLayout.defaults());

  @Test
  void defaultsServePostgresOn6566WithTheExecutorsKeyRangeCount() {
    assertThat(DEFAULTS.pgPort()).isEqualTo(6566);
    assertThat(DEFAULTS.keyRangeCount()).isEqualTo(KeyRanges.DEFAULT_KEY_RANGE_COUNT);
    assertThat(DEFAULTS.sqlSessionsMax()).isEqualTo(GatewayConfig.DEFAULT_SQL_SESSIONS_MAX);
    assertThat(DEFAULTS.sql()).isEqualTo(SqlConfig.DEFAULTS);
  }

  @Test
  void everyCopyKeepsTheSqlSettings() {
    SqlConfig limits = new SqlConfig(1024, 10, 500, 0, 1);
    GatewayConfig config =
        DEFAULTS.withPgPort(0).withKeyRangeCount(8).withSqlSessionsMax(3).withSql(limits);
    GatewayConfig copied =
        config.withPorts(1, 2).withBindAddress("0.0.0.0").withIngest(false).withMetricsPort(0)
            .withHeartbeatIntervalMs(5).withDefaultDeadlineMs(100).withRetentionIntervalMs(10);
    assertThat(copied.pgPort()).isEqualTo(GatewayConfig.NO_PG_PORT);
    assertThat(copied.keyRangeCount()).isEqualTo(8);
    assertThat(copied.sqlSessionsMax()).isEqualTo(3);
    assertThat(copied.sql()).isEqualTo(limits);
  }

  @Test
  void outOfRangeValuesAreRejectedByName() {
    assertThatThrownBy(() -> DEFAULTS.withPgPort(70_000)).hasMessageContaining("pgPort");
    assertThatThrownBy(() -> DEFAULTS.withPgPort(-2)).hasMessageContaining("pgPort");
    assertThat(DEFAULTS.withPgPort(GatewayConfig.ANY_FREE_PG_PORT).pgPort()).isEqualTo(-1);
    assertThatThrownBy(() -> DEFAULTS.withKeyRangeCount(0)).hasMessageContaining("keyRangeCount");
    assertThatThrownBy(() -> DEFAULTS.withKeyRangeCount(KeyRanges.KEY_RANGE_COUNT_MAX + 1))
        .hasMessageContaining("keyRangeCount");
    assertThatThrownBy(() -> DEFAULTS.withSqlSessionsMax(0)).hasMessageContaining("sqlSessionsMax");
    assertThatThrownBy(() -> DEFAULTS.withSql(null)).isInstanceOf(NullPointerException.class);
  }
}
