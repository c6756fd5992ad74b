package io.ordo.jepsen.checker.elle.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The consistency-model table and the judgement of found anomalies against it. */
class ConsistencyModelsTest {
  @Test
  void strongerModelsForbidSupersets() {
    List<String> chain = List.of("read-uncommitted", "read-committed", "snapshot-isolation", "strong-session-snapshot-isolation",
        "strong-snapshot-isolation", "strict-serializable");
    for (int i = 1; i < chain.size(); i++) {
      assertThat(ConsistencyModels.forbidden(chain.get(i))).containsAll(ConsistencyModels.forbidden(chain.get(i - 1)));
    }
    assertThat(ConsistencyModels.forbidden("serializable")).containsAll(ConsistencyModels.forbidden("snapshot-isolation")).contains("G2-item");
    assertThat(ConsistencyModels.forbidden("snapshot-isolation")).doesNotContain("G2-item");
    assertThat(ConsistencyModels.forbidden("serializable")).doesNotContain("G-single-realtime", "G0-process");
    assertThat(ConsistencyModels.forbidden("strong-session-serializable")).contains("G0-process").doesNotContain("G0-realtime");
    assertThat(ConsistencyModels.forbidden("strict-serializable")).contains("G2-item-realtime", "G-single-process");
    assertThat(ConsistencyModels.forbidden("strong-serializable")).isEqualTo(ConsistencyModels.forbidden("strict-serializable"));
  }

  @Test
  void judgementNamesTheWeakestViolatedModels() {
    Map<String, List<String>> writeSkew = ConsistencyModels.judge(List.of("G2-item"));
    assertThat(writeSkew.get("not")).containsExactly("repeatable-read", "serializable");
    assertThat(writeSkew.get("possible")).contains("snapshot-isolation", "strong-snapshot-isolation", "read-committed");
    Map<String, List<String>> staleRead = ConsistencyModels.judge(List.of("G-single-realtime"));
    // Strong snapshot isolation forbids a subset of what strict serializability forbids.
    assertThat(staleRead.get("not")).containsExactly("strong-snapshot-isolation");
    assertThat(staleRead.get("also-not")).containsExactly("strict-serializable", "strong-serializable");
    assertThat(staleRead.get("possible")).contains("serializable", "snapshot-isolation");
    assertThat(ConsistencyModels.judge(List.of()).get("not")).isEmpty();
  }

  @Test
  void aggregatesAndUnknownModels() {
    assertThat(ConsistencyModels.expandAnomaly("G1")).containsExactly("G1a", "G1b", "G1c");
    assertThat(ConsistencyModels.expandAnomaly("G2")).containsExactly("G2-item", "G-single", "G-nonadjacent");
    assertThat(ConsistencyModels.expandAnomaly("lost-update")).containsExactly("lost-update");
    assertThatThrownBy(() -> ConsistencyModels.forbidden("linearizable")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("known: [read-uncommitted");
  }
}
