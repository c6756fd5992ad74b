package io.ordo.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class DurationConverterTest {
  @Test
  void parsesUnitsAndPlainSeconds() {
    assertThat(DurationConverter.parse("30")).isEqualTo(Duration.ofSeconds(30));
    assertThat(DurationConverter.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(DurationConverter.parse("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(DurationConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(DurationConverter.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(DurationConverter.parse("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(DurationConverter.parse(" 8S ")).isEqualTo(Duration.ofSeconds(8));
    assertThat(DurationConverter.parse("PT1M30S")).isEqualTo(Duration.ofSeconds(90));
    assertThat(DurationConverter.parse("0")).isEqualTo(Duration.ZERO);
  }

  @Test
  void rejectsGarbageWithAClearMessage() {
    for (String bad : new String[] {"", "s", "5x", "-3s", "1.5s", "thirty", "P-1D", "PTXS"}) {
      assertThatThrownBy(() -> DurationConverter.parse(bad))
          .as("'%s'", bad)
          .isInstanceOf(TypeConversionException.class)
          .hasMessageContaining("'" + bad + "'");
    }
  }
}
