package io.ordo.sequencer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TopicLayoutTest {

  @Test
  void withPrefixNamesTopicsAndUsesDefaults() {
    TopicLayout layout = TopicLayout.withPrefix("bank");
    assertThat(layout.logTopic()).isEqualTo("bank-log");
    assertThat(layout.resultsTopic()).isEqualTo("bank-results");
    assertThat(layout.changelogTopic()).isEqualTo("bank-changelog");
    assertThat(layout.feedbackTopic()).isEqualTo("bank-feedback");
    assertThat(layout.logPartitions()).isEqualTo(4);
    assertThat(layout.outputPartitions()).isEqualTo(4);
    assertThat(layout.replicationFactor()).isEqualTo((short) 1);
  }

  @Test
  void defaultsIsOrdoPrefix() {
    assertThat(TopicLayout.defaults()).isEqualTo(TopicLayout.withPrefix("ordo"));
    assertThat(TopicLayout.defaults().logTopic()).isEqualTo("ordo-log");
  }

  @Test
  void withersChangeOneComponent() {
    TopicLayout base = TopicLayout.defaults();
    TopicLayout rf3 = base.withReplicationFactor((short) 3);
    assertThat(rf3.replicationFactor()).isEqualTo((short) 3);
    assertThat(rf3.withReplicationFactor((short) 1)).isEqualTo(base);

    TopicLayout p8 = base.withLogPartitions(8);
    assertThat(p8.logPartitions()).isEqualTo(8);
    assertThat(p8.outputPartitions()).isEqualTo(4);
    assertThat(p8.logTopic()).isEqualTo(base.logTopic());

    assertThat(base.withOutputPartitions(2).outputPartitions()).isEqualTo(2);
  }

  @Test
  void rejectsBlankOrIllegalNames() {
    assertThatThrownBy(() -> new TopicLayout(" ", 1, "r", "c", "f", 1, (short) 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("logTopic");
    assertThatThrownBy(() -> new TopicLayout("l", 1, null, "c", "f", 1, (short) 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("resultsTopic");
    assertThatThrownBy(() -> new TopicLayout("l", 1, "r", "", "f", 1, (short) 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("changelogTopic");
    assertThatThrownBy(() -> new TopicLayout("l", 1, "r", "c", "bad/name", 1, (short) 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("feedbackTopic")
        .hasMessageContaining("bad/name");
    assertThatThrownBy(() -> new TopicLayout("..", 1, "r", "c", "f", 1, (short) 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TopicLayout("x".repeat(250), 1, "r", "c", "f", 1, (short) 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("249");
    assertThatThrownBy(() -> TopicLayout.withPrefix(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("prefix");
    assertThatThrownBy(() -> TopicLayout.withPrefix("has space"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsDuplicateNames() {
    assertThatThrownBy(() -> new TopicLayout("a", 1, "b", "a", "c", 1, (short) 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("distinct")
        .hasMessageContaining("'a'");
  }

  @Test
  void rejectsBadCounts() {
    TopicLayout base = TopicLayout.defaults();
    assertThatThrownBy(() -> base.withLogPartitions(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("logPartitions")
        .hasMessageContaining("0");
    assertThatThrownBy(() -> base.withLogPartitions(-3))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> base.withLogPartitions(TopicLayout.PARTITION_COUNT_MAX + 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> base.withOutputPartitions(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outputPartitions");
    assertThatThrownBy(() -> base.withReplicationFactor((short) 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("replicationFactor");
    assertThatThrownBy(() -> base.withReplicationFactor((short) -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(base.withLogPartitions(TopicLayout.PARTITION_COUNT_MAX).logPartitions())
        .isEqualTo(TopicLayout.PARTITION_COUNT_MAX);
  }
}
