package io.ordo.executor.testing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the integration tests log through {@code log4j2-test.xml} (root level WARN).
 *
 * <p>Flink's test-jars on the test classpath carry a {@code log4j2-test.properties} with the root
 * level OFF, which log4j prefers over any {@code log4j2-test.xml}: every log line, errors
 * included, would be lost. This class selects our file through the {@code
 * log4j2.configurationFile} system property before log4j initializes, which works because
 * failsafe runs each IT class in a fresh JVM and the ITs obtain their first logger here (directly
 * or through {@link KafkaTestBed}). An explicit setting by the build wins.
 */
public final class TestLogging {
  static {
    if (System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty("log4j2.configurationFile", "log4j2-test.xml");
    }
  }

  private TestLogging() {}

  /** Ensures the configuration is selected (idempotent). */
  public static void init() {
    // The static initializer did the work.
  }

  /** A logger for {@code type}, after selecting the configuration. */
  public static Logger logger(Class<?> type) {
    return LoggerFactory.getLogger(type);
  }
}
