package io.ordo.sql.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.StreamDef;
import io.ordo.sql.parser.OrdoSqlParser;
import io.ordo.sql.parser.ddl.SqlCreateMaterializedView;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.calcite.sql.SqlSelect;
import org.junit.jupiter.api.Test;

/** What CREATE MATERIALIZED VIEW accepts and refuses of an event-time window ({@link ViewWindow}).
 */
class ViewWindowTest {
  private static final StreamDef CLICKS = new StreamDef("clicks", List.of(
      new ColumnDef("k", 1, SqlType.TEXT, -1, -1, false, Optional.empty()),
      new ColumnDef("ts", 2, SqlType.TIMESTAMP, -1, -1, false, Optional.empty()),
      new ColumnDef("n", 3, SqlType.INTEGER, -1, -1, false, Optional.empty())), Optional.empty());

  private static SqlSelect select(String from, String groupBy) throws SqlException {
    SqlCreateMaterializedView v = (SqlCreateMaterializedView) OrdoSqlParser.parseOne(
        "CREATE MATERIALIZED VIEW v AS SELECT k, window_start, window_end, count(*) AS c FROM "
            + from + " GROUP BY " + groupBy).node();
    return (SqlSelect) v.query();
  }

  private static ViewWindow window(String from) throws SqlException {
    return ViewWindow.of(select(from, "k, window_start, window_end").getFrom(), 1).orElseThrow();
  }

  private static String state(String from, String groupBy) {
    try {
      SqlSelect s = select(from, groupBy);
      ViewWindow.of(s.getFrom(), 1).orElseThrow().check(CLICKS, s.getGroup(), 1);
      return "ok";
    } catch (SqlException e) {
      return e.sqlState();
    }
  }

  @Test
  void tumbleHopAndSessionAreRead() throws Exception {
    assertThat(window("TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE))"))
        .isEqualTo(new ViewWindow("TUMBLE", "clicks", "clicks", "ts", 60_000, 60_000, List.of()));
    assertThat(window("TABLE(HOP(TABLE clicks, DESCRIPTOR(_log_time), INTERVAL '10' SECOND,"
        + " INTERVAL '30' SECOND)) AS w"))
        .isEqualTo(new ViewWindow("HOP", "clicks", "w", "_log_time", 30_000, 10_000, List.of()));
    assertThat(window("TABLE(SESSION(TABLE clicks PARTITION BY k, DESCRIPTOR(ts),"
        + " INTERVAL '5' SECOND))"))
        .isEqualTo(new ViewWindow("SESSION", "clicks", "clicks", "ts", 5_000, 5_000, List.of("k")));
    assertThat(ViewWindow.of(select("clicks", "k").getFrom(), 1)).isEmpty();
  }

  @Test
  void aWindowOverAStreamGroupedPerWindowPasses() {
    assertThat(state("TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE))",
        "k, window_start, window_end")).isEqualTo("ok");
    assertThat(state("TABLE(SESSION(TABLE clicks PARTITION BY k, DESCRIPTOR(_log_time),"
        + " INTERVAL '5' SECOND))", "k, window_start, window_end")).isEqualTo("ok");
  }

  @Test
  void badWindowsAreRefusedWithTheirReason() {
    String group = "k, window_start, window_end";
    assertThat(state("TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(nope), INTERVAL '1' MINUTE))", group))
        .isEqualTo(SqlState.UNDEFINED_COLUMN);
    assertThat(state("TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(n), INTERVAL '1' MINUTE))", group))
        .isEqualTo(SqlState.DATATYPE_MISMATCH);
    assertThat(state("TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '0' SECOND))", group))
        .isEqualTo(SqlState.INVALID_PARAMETER_VALUE);
    assertThat(state("TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '-1' SECOND))", group))
        .isEqualTo(SqlState.INVALID_PARAMETER_VALUE);
    assertThat(state("TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MONTH))", group))
        .isEqualTo(SqlState.INVALID_PARAMETER_VALUE);
    assertThat(state("TABLE(HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '7' SECOND,"
        + " INTERVAL '30' SECOND))", group)).isEqualTo(SqlState.INVALID_PARAMETER_VALUE);
    assertThat(state("TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE,"
        + " INTERVAL '10' SECOND))", group)).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
    assertThat(state("TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts)))", group))
        .isEqualTo(SqlState.SYNTAX_ERROR);
    assertThat(state("TABLE(CUMULATE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' SECOND,"
        + " INTERVAL '1' MINUTE))", group)).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
    assertThat(state("TABLE(TUMBLE(DATA => TABLE clicks, TIMECOL => DESCRIPTOR(ts),"
        + " SIZE => INTERVAL '1' MINUTE))", group)).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
    assertThat(state("TABLE(SESSION(TABLE clicks PARTITION BY nope, DESCRIPTOR(ts),"
        + " INTERVAL '5' SECOND))", group)).isEqualTo(SqlState.UNDEFINED_COLUMN);
    // Not per window: the aggregate would grow without bound.
    assertThat(state("TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE))",
        "k, window_start")).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
    assertThat(state("TABLE(SESSION(TABLE clicks PARTITION BY n, DESCRIPTOR(ts),"
        + " INTERVAL '5' SECOND))", group)).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
  }

  @Test
  void allowedLatenessIsADuration() throws Exception {
    assertThat(ViewWindow.allowedLatenessMs(Map.of(), 1)).isZero();
    assertThat(ViewWindow.allowedLatenessMs(Map.of("allowed_lateness", "5 seconds"), 1))
        .isEqualTo(5_000);
    assertThat(ViewWindow.allowedLatenessMs(Map.of("allowed_lateness", "250ms"), 1))
        .isEqualTo(250);
    assertThat(ViewWindow.allowedLatenessMs(Map.of("allowed_lateness", "2 Minutes"), 1))
        .isEqualTo(120_000);
    assertThat(ViewWindow.allowedLatenessMs(Map.of("allowed_lateness", "0 s"), 1)).isZero();
    for (String bad : List.of("-5 seconds", "5", "soon", "5 fortnights")) {
      assertThatThrownBy(() -> ViewWindow.allowedLatenessMs(Map.of("allowed_lateness", bad), 1))
          .isInstanceOf(SqlException.class)
          .hasMessageContaining("allowed_lateness must be a duration");
    }
    assertThatThrownBy(() -> ViewWindow.allowedLatenessMs(Map.of("lateness", "5 s"), 1))
        .hasMessageContaining("unknown option \"lateness\"");
  }
}
