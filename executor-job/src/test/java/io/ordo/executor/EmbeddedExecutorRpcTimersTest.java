package io.ordo.executor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The embedded executor's quiet Pekko tick, and that an operator's own setting wins. */
class EmbeddedExecutorRpcTimersTest {
  private String saved;

  @BeforeEach
  void save() {
    saved = System.getProperty(EmbeddedExecutor.PEKKO_TICK_PROPERTY);
  }

  @AfterEach
  void restore() {
    if (saved == null) {
      System.clearProperty(EmbeddedExecutor.PEKKO_TICK_PROPERTY);
    } else {
      System.setProperty(EmbeddedExecutor.PEKKO_TICK_PROPERTY, saved);
    }
  }

  @Test
  void withoutASettingTheTickBecomesTheQuietOne() {
    System.clearProperty(EmbeddedExecutor.PEKKO_TICK_PROPERTY);

    assertThat(EmbeddedExecutor.quietRpcTimers()).isEqualTo("100ms");
    assertThat(System.getProperty(EmbeddedExecutor.PEKKO_TICK_PROPERTY)).isEqualTo("100ms");
  }

  @Test
  void aTickTheJvmWasStartedWithIsKept() {
    System.setProperty(EmbeddedExecutor.PEKKO_TICK_PROPERTY, "20ms");

    assertThat(EmbeddedExecutor.quietRpcTimers()).isEqualTo("20ms");
    assertThat(System.getProperty(EmbeddedExecutor.PEKKO_TICK_PROPERTY)).isEqualTo("20ms");
  }
}
