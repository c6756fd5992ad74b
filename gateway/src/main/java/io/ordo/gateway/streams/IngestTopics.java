package io.ordo.gateway.streams;

import io.ordo.sequencer.TopicLayout;

/**
 * The name of a stream's Kafka ingest topic, {@code <prefix>-ingest-<stream>}: part of what a
 * stream is (GetStream reports it as {@code ingest_topic}, whether or not this gateway runs
 * ingest bridges), so the streams package owns it and the ingest package, which consumes those
 * topics, reads it from here.
 *
 * <p>A stream name is 1..255 characters of {@code [A-Za-z0-9._-]}, all legal in Kafka topic
 * names; the whole name may still exceed Kafka's {@value TopicLayout#TOPIC_NAME_LENGTH_MAX}
 * characters, which the ingest bridge refuses.
 */
public final class IngestTopics {
  private IngestTopics() {}

  /**
   * The prefix of Ordo's topics: the log topic's name without its {@code -log} suffix (the name as
   * it is when the layout was not made by {@link TopicLayout#withPrefix}).
   */
  public static String prefix(TopicLayout topics) {
    String log = topics.logTopic();
    return log.endsWith("-log") ? log.substring(0, log.length() - "-log".length()) : log;
  }

  /** The ingest topic of {@code stream}: {@code <prefix>-ingest-<stream>}. */
  public static String topic(TopicLayout topics, String stream) {
    return prefix(topics) + "-ingest-" + stream;
  }
}
