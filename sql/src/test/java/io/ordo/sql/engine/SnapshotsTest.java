package io.ordo.sql.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.Position;
import io.ordo.sequencer.KeyRanges;
import io.ordo.sql.SqlException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SnapshotsTest {
  @ParameterizedTest
  @ValueSource(ints = {1, 2, 4, 16, 64})
  void oneMarkerKeyPerKeyRange(int count) {
    List<String> markers = Snapshots.markerKeys(count);
    assertThat(markers).hasSize(count).doesNotHaveDuplicates();
    for (int r = 0; r < count; r++) {
      assertThat(KeyRanges.rangeOf(markers.get(r), count)).isEqualTo(r);
      assertThat(markers.get(r)).startsWith(Snapshots.MARKER_PREFIX);
    }
    assertThat(Snapshots.markerKeys(count)).isEqualTo(markers);
  }

  @Test
  void positionsFormatParseAndOrder() throws SqlException {
    Position p = Position.newBuilder().setTs(1765000000000L).setPartition(2).setOffset(17).build();
    assertThat(Positions.format(p)).isEqualTo("1765000000000:2:17");
    assertThat(Positions.parse(" 1765000000000:2:17 ")).isEqualTo(p);
    assertThat(Positions.ORDER.compare(p, Positions.endOf(p.getTs()))).isNegative();
    assertThat(Positions.ORDER.compare(Positions.endOf(p.getTs() - 1), p)).isNegative();
    // Frontiers just before a transaction's position (the store's predecessor positions) come
    // out as push query progress marks: they read back as the same position.
    for (Position frontier : List.of(
        Position.newBuilder().setTs(1765000000000L).setPartition(1).setOffset(Long.MAX_VALUE).build(),
        Positions.endOf(1764999999999L))) {
      assertThat(Positions.parse(Positions.format(frontier))).isEqualTo(frontier);
    }
    assertThat(Positions.format(Positions.endOf(5))).isEqualTo("5:2147483647:9223372036854775807");
    for (String bad : List.of("1:2", "a:b:c", "1:-2:3", "")) {
      assertThatThrownBy(() -> Positions.parse(bad)).isInstanceOf(SqlException.class)
          .hasMessageContaining("invalid log position");
    }
  }

  @Test
  void aSyncRefusedAtOnceFailsItsRequestAndTheNextOneTriesAgain() throws Exception {
    java.util.concurrent.atomic.AtomicInteger appends = new java.util.concurrent.atomic.AtomicInteger();
    SqlBackend refusing =
        (SqlBackend) java.lang.reflect.Proxy.newProxyInstance(
            SqlBackend.class.getClassLoader(),
            new Class<?>[] {SqlBackend.class},
            (proxy, method, args) -> switch (method.getName()) {
              case "keyRangeCount" -> 4;
              case "execute" -> {
                appends.incrementAndGet();
                yield java.util.concurrent.CompletableFuture.failedFuture(
                    new IllegalStateException("too many waiters"));
              }
              default -> throw new AssertionError(method.getName());
            });
    Snapshots snapshots = new Snapshots(refusing);
    // A sync whose append fails synchronously must not stay "in flight": before the fix the
    // second request joined it and waited out its whole timeout (57014).
    for (int i = 1; i <= 2; i++) {
      assertThatThrownBy(() -> snapshots.fresh(60_000))
          .isInstanceOfSatisfying(
              SqlException.class,
              e -> assertThat(e.sqlState()).isEqualTo(io.ordo.sql.SqlState.UNAVAILABLE));
      assertThat(appends.get()).isEqualTo(i);
    }
  }
}
