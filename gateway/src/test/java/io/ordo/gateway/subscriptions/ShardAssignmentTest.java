package io.ordo.gateway.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShardAssignmentTest {
  @Test
  void shardsAreDealtRoundRobinOverSortedNames() {
    Map<String, List<Long>> out =
        ShardAssignment.assign(List.of("c", "a", "b"), List.of(4L, 0L, 3L, 1L, 2L));
    assertThat(out).containsExactly(
        Map.entry("a", List.of(0L, 3L)),
        Map.entry("b", List.of(1L, 4L)),
        Map.entry("c", List.of(2L)));
  }

  @Test
  void theAnswerDependsOnlyOnTheSetsNotTheirOrder() {
    assertThat(ShardAssignment.assign(List.of("x", "y"), List.of(9L, 7L, 8L)))
        .isEqualTo(ShardAssignment.assign(List.of("y", "x"), List.of(8L, 9L, 7L)));
  }

  @Test
  void aLeavingConsumersShardsGoToTheOthers() {
    Map<String, List<Long>> two = ShardAssignment.assign(List.of("a", "b"), List.of(0L, 1L, 2L, 3L));
    assertThat(two.get("a")).containsExactly(0L, 2L);
    assertThat(two.get("b")).containsExactly(1L, 3L);
    Map<String, List<Long>> one = ShardAssignment.assign(List.of("a"), List.of(0L, 1L, 2L, 3L));
    assertThat(one).containsExactly(Map.entry("a", List.of(0L, 1L, 2L, 3L)));
  }

  @Test
  void moreConsumersThanShardsLeavesSomeIdleAndNoConsumersAssignsNothing() {
    Map<String, List<Long>> out = ShardAssignment.assign(List.of("a", "b", "c"), List.of(5L));
    assertThat(out.get("a")).containsExactly(5L);
    assertThat(out.get("b")).isEmpty();
    assertThat(out.get("c")).isEmpty();
    assertThat(ShardAssignment.assign(List.of(), List.of(1L))).isEmpty();
  }
}
