package io.ordo.gateway.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ConnectorWorkerTest {
  /** The offsets Debezium 3 writes (snapshot as its kind) and earlier versions (a boolean). */
  @Test
  void aSnapshotIsRunningUntilItsLastRecordOrItsCompletion() {
    assertThat(ConnectorWorker.inSnapshot(Map.of("snapshot", "INITIAL",
        "last_snapshot_record", false, "snapshot_completed", false, "lsn", 10L))).isTrue();
    assertThat(ConnectorWorker.inSnapshot(Map.of("snapshot", true, "lsn", 10L))).isTrue();
    assertThat(ConnectorWorker.inSnapshot(Map.of("snapshot", "INITIAL",
        "last_snapshot_record", true, "snapshot_completed", false))).isFalse();
    assertThat(ConnectorWorker.inSnapshot(Map.of("snapshot", "INITIAL",
        "last_snapshot_record", false, "snapshot_completed", true))).isFalse();
    assertThat(ConnectorWorker.inSnapshot(Map.of("lsn", 12L, "lsn_proc", 12L))).isFalse();
    assertThat(ConnectorWorker.inSnapshot(Map.of("snapshot", false))).isFalse();
    assertThat(ConnectorWorker.inSnapshot(Map.of("snapshot", "FALSE"))).isFalse();
  }
}
