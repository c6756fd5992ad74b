package io.ordo.sequencer;

import java.util.regex.Pattern;

/**
 * Names and shapes of Ordo's topics.
 *
 * <ul>
 *   <li>{@code logTopic}: the log (source of truth) with {@code logPartitions} partitions.
 *   <li>{@code resultsTopic}: transaction results (txn id to outcome and reads).
 *   <li>{@code changelogTopic}: the change data capture of every applied write.
 *   <li>{@code feedbackTopic}: the executor's feedback loop (write results back to the keys).
 * </ul>
 *
 * The results, changelog and feedback topics have {@code outputPartitions} partitions each. Every
 * topic has {@code replicationFactor} replicas.
 *
 * <p>The canonical constructor validates: names must be legal Kafka topic names (1..{@value
 * #TOPIC_NAME_LENGTH_MAX} characters of {@code [a-zA-Z0-9._-]}, not "." or "..") and pairwise
 * distinct; partition counts must be in [1, {@value #PARTITION_COUNT_MAX}]; the replication factor
 * must be >= 1. Violations throw {@link IllegalArgumentException} naming the field.
 */
public record TopicLayout(
    String logTopic,
    int logPartitions,
    String resultsTopic,
    String changelogTopic,
    String feedbackTopic,
    int outputPartitions,
    short replicationFactor) {

  /** Kafka's limit on the length of a topic name. */
  public static final int TOPIC_NAME_LENGTH_MAX = 249;

  /** Upper bound on a topic's partition count (a sanity bound, far above any sensible layout). */
  public static final int PARTITION_COUNT_MAX = 4096;

  /** Partition count of the log topic in {@link #withPrefix}. */
  public static final int DEFAULT_LOG_PARTITIONS = 4;

  /** Partition count of each output topic in {@link #withPrefix}. */
  public static final int DEFAULT_OUTPUT_PARTITIONS = 4;

  private static final Pattern LEGAL_NAME = Pattern.compile("[a-zA-Z0-9._-]+");

  /** Validates every component; see the class comment. */
  public TopicLayout {
    checkName("logTopic", logTopic);
    checkName("resultsTopic", resultsTopic);
    checkName("changelogTopic", changelogTopic);
    checkName("feedbackTopic", feedbackTopic);
    checkPartitions("logPartitions", logPartitions);
    checkPartitions("outputPartitions", outputPartitions);
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("replicationFactor must be >= 1, got " + replicationFactor);
    }
    String[] names = {logTopic, resultsTopic, changelogTopic, feedbackTopic};
    for (int i = 0; i < names.length; i++) {
      for (int j = i + 1; j < names.length; j++) {
        if (names[i].equals(names[j])) {
          throw new IllegalArgumentException(
              "topic names must be distinct, but '" + names[i] + "' is used twice");
        }
      }
    }
  }

  /**
   * {@code prefix-log} (4 partitions), {@code prefix-results}, {@code prefix-changelog}, {@code
   * prefix-feedback} (4 partitions each), replication factor 1.
   *
   * @throws IllegalArgumentException if the prefix is blank or makes illegal topic names
   */
  public static TopicLayout withPrefix(String prefix) {
    if (prefix == null || prefix.isBlank()) {
      throw new IllegalArgumentException("topic prefix must not be blank");
    }
    return new TopicLayout(
        prefix + "-log",
        DEFAULT_LOG_PARTITIONS,
        prefix + "-results",
        prefix + "-changelog",
        prefix + "-feedback",
        DEFAULT_OUTPUT_PARTITIONS,
        (short) 1);
  }

  /** {@code withPrefix("ordo")}. */
  public static TopicLayout defaults() {
    return withPrefix("ordo");
  }

  /**
   * This layout with another replication factor.
   *
   * @throws IllegalArgumentException if {@code rf < 1}
   */
  public TopicLayout withReplicationFactor(short rf) {
    return new TopicLayout(
        logTopic, logPartitions, resultsTopic, changelogTopic, feedbackTopic, outputPartitions, rf);
  }

  /**
   * This layout with another log partition count.
   *
   * @throws IllegalArgumentException if {@code n} is not in [1, {@value #PARTITION_COUNT_MAX}]
   */
  public TopicLayout withLogPartitions(int n) {
    return new TopicLayout(
        logTopic, n, resultsTopic, changelogTopic, feedbackTopic, outputPartitions,
        replicationFactor);
  }

  /**
   * This layout with another partition count for the output topics.
   *
   * @throws IllegalArgumentException if {@code n} is not in [1, {@value #PARTITION_COUNT_MAX}]
   */
  public TopicLayout withOutputPartitions(int n) {
    return new TopicLayout(
        logTopic, logPartitions, resultsTopic, changelogTopic, feedbackTopic, n,
        replicationFactor);
  }

  private static void checkName(String field, String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(field + " must not be blank");
    }
    if (name.length() > TOPIC_NAME_LENGTH_MAX) {
      throw new IllegalArgumentException(
          field + " must be at most " + TOPIC_NAME_LENGTH_MAX + " characters, got "
              + name.length());
    }
    if (!LEGAL_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException(
          field + " '" + name + "' is not a legal Kafka topic name (use [a-zA-Z0-9._-])");
    }
  }

  private static void checkPartitions(String field, int n) {
    if (n < 1 || n > PARTITION_COUNT_MAX) {
      throw new IllegalArgumentException(
          field + " must be in [1, " + PARTITION_COUNT_MAX + "], got " + n);
    }
  }
}
