package io.ordo.sequencer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ClockStepDetectorTest {
  private final List<LogEvent> events = new CopyOnWriteArrayList<>();
  private AbstractAppender appender;

  @BeforeEach
  void captureLog() {
    appender =
        new AbstractAppender("clock-steps", null, null, true, Property.EMPTY_ARRAY) {
          @Override
          public void append(LogEvent event) {
            events.add(event.toImmutable());
          }
        };
    appender.start();
    LoggerContext context = LoggerContext.getContext(false);
    Configuration config = context.getConfiguration();
    LoggerConfig logger = new LoggerConfig(ClockStepDetector.class.getName(), Level.INFO, false);
    logger.addAppender(appender, Level.INFO, null);
    config.addLogger(ClockStepDetector.class.getName(), logger);
    context.updateLoggers();
  }

  @AfterEach
  void stopCapture() {
    LoggerContext context = LoggerContext.getContext(false);
    context.getConfiguration().removeLogger(ClockStepDetector.class.getName());
    context.updateLoggers();
    appender.stop();
  }

  private List<String> lines(Level level) {
    return events.stream()
        .filter(e -> e.getLevel() == level)
        .map(e -> e.getMessage().getFormattedMessage())
        .toList();
  }

  @Test
  void forwardTimestampsAndEqualOnesAreNoStep() {
    ClockStepDetector d = new ClockStepDetector("test");
    for (long ts : new long[] {1_000, 1_000, 1_001, 1_500}) {
      assertThat(d.observe(0, ts)).isZero();
    }
    assertThat(d.steps()).isZero();
    assertThat(d.largestStepMs()).isZero();
    assertThat(events).isEmpty();
  }

  @Test
  void aBackwardStepIsCountedWarnedWithPartitionSizeAndStallAndItsEndLogged() {
    ClockStepDetector d = new ClockStepDetector("test acks");
    d.observe(3, 10_000);
    d.observe(1, 10_000); // another partition, unaffected
    assertThat(d.observe(3, 7_500)).isEqualTo(2_500);
    // Catching up inside the step: held, not another step.
    assertThat(d.observe(3, 8_000)).isZero();
    assertThat(d.observe(3, 9_999)).isZero();
    assertThat(d.observe(1, 10_001)).isZero();
    assertThat(d.steps()).isEqualTo(1);
    assertThat(d.largestStepMs()).isEqualTo(2_500);
    assertThat(d.heldRecords()).isEqualTo(3);
    assertThat(d.partitionsInStep()).isEqualTo(1);
    assertThat(lines(Level.WARN))
        .containsExactly(
            "log partition 3 (test acks): broker timestamp stepped back 2500 ms (from 10000 to"
                + " 7500); this partition's log time stays at 10000 until its leader's clock"
                + " passes it, so every transaction in the log waits up to about 2500 ms; keep"
                + " broker clocks slewed, not stepped (NTP/chrony without makestep), and in step"
                + " with each other");
    assertThat(d.observe(3, 10_000)).isZero();
    assertThat(d.partitionsInStep()).isZero();
    assertThat(lines(Level.INFO))
        .containsExactly(
            "clock step over on log partition 3 (test acks): broker timestamps passed 10000"
                + " again; 3 records in between were ordered at that time (step 2500 ms)");
  }

  @Test
  void aFurtherStepBackDuringAStepCountsAgainAndTheLargestIsKept() {
    ClockStepDetector d = new ClockStepDetector("test");
    d.observe(0, 5_000);
    assertThat(d.observe(0, 4_900)).isEqualTo(100);
    assertThat(d.observe(0, 4_950)).isZero();
    assertThat(d.observe(0, 1_000)).isEqualTo(4_000);
    assertThat(d.steps()).isEqualTo(2);
    assertThat(d.largestStepMs()).isEqualTo(4_000);
    // Over; a later, smaller step leaves the largest at 4000.
    d.observe(0, 6_000);
    assertThat(d.observe(0, 5_990)).isEqualTo(10);
    assertThat(d.steps()).isEqualTo(3);
    assertThat(d.largestStepMs()).isEqualTo(4_000);
    assertThat(lines(Level.WARN)).hasSize(3);
  }
}
