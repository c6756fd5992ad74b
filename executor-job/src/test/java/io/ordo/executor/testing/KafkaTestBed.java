package io.ordo.executor.testing;

import io.ordo.executor.ExecutorConfig;
import io.ordo.sequencer.HeartbeatService;
import io.ordo.sequencer.LogTopics;
import io.ordo.sequencer.Sequencer;
import io.ordo.sequencer.TopicLayout;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A real single-node Kafka broker (embedded KRaft) for one test class, with the sequencers and
 * heartbeat services the tests start on it. {@link #close()} stops heartbeats first, then
 * sequencers, then the broker, so nothing writes to a broker that is going away.
 *
 * <p>Not thread-safe: create helpers from the test thread; the returned sequencers themselves are
 * thread-safe.
 */
public final class KafkaTestBed implements AutoCloseable {
  /** How long topic creation may take. */
  public static final Duration TOPIC_CREATE_TIMEOUT = Duration.ofSeconds(30);

  static {
    // Before the broker or the job create their first logger.
    TestLogging.init();
  }

  private final EmbeddedKafkaBroker broker;
  // Closed in reverse order of creation.
  private final Deque<AutoCloseable> owned = new ArrayDeque<>();

  private KafkaTestBed(EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  /**
   * Starts a broker with its data under {@code dataDir} on a free port (about 3 s).
   *
   * @throws IllegalStateException if the broker does not start
   */
  public static KafkaTestBed start(Path dataDir) {
    return new KafkaTestBed(EmbeddedKafkaBroker.start(dataDir, 0));
  }

  /** The broker's bootstrap servers ("127.0.0.1:PORT"). */
  public String bootstrapServers() {
    return broker.bootstrapServers();
  }

  /**
   * A layout {@code prefix-log} (4 partitions), {@code prefix-results}, {@code prefix-changelog},
   * {@code prefix-feedback} (4 partitions each), with all four topics created.
   */
  public TopicLayout createTopics(String prefix) {
    return createTopics(TopicLayout.withPrefix(prefix));
  }

  /** Creates the topics of {@code layout} (idempotent) and returns it. */
  public TopicLayout createTopics(TopicLayout layout) {
    LogTopics.ensure(bootstrapServers(), layout, TOPIC_CREATE_TIMEOUT);
    return layout;
  }

  /**
   * A layout with the same log topic as {@code base} but new output topics {@code
   * outputPrefix-results}, {@code -changelog}, {@code -feedback}, created: a second job over the
   * same log writes to these, so two runs can be compared.
   */
  public TopicLayout createOutputsOver(TopicLayout base, String outputPrefix) {
    TopicLayout fresh = TopicLayout.withPrefix(outputPrefix);
    return createTopics(
        new TopicLayout(
            base.logTopic(),
            base.logPartitions(),
            fresh.resultsTopic(),
            fresh.changelogTopic(),
            fresh.feedbackTopic(),
            base.outputPartitions(),
            base.replicationFactor()));
  }

  /** A sequencer appending to {@code layout}'s log topic; closed with this test bed. */
  public Sequencer sequencer(TopicLayout layout) {
    Sequencer sequencer = new Sequencer(bootstrapServers(), layout);
    owned.push(sequencer);
    return sequencer;
  }

  /**
   * Started heartbeats every {@code intervalMs} to every partition of the sequencer's log topic;
   * stopped with this test bed (or earlier by closing it).
   */
  public HeartbeatService heartbeats(Sequencer sequencer, long intervalMs) {
    HeartbeatService heartbeats = new HeartbeatService(sequencer, intervalMs, "it-" + sequencer.layout().logTopic());
    owned.push(heartbeats);
    heartbeats.start();
    return heartbeats;
  }

  /**
   * An executor configuration over {@code layout} with its own consumer group; no checkpoint
   * directory, 1 s checkpoints, the default dedup window and the default watermark interval.
   *
   * @param keyRangeCount number of key ranges
   * @param parallelism operator parallelism
   * @param consumerGroupId the job's consumer group (distinct per job over one log topic)
   */
  public ExecutorConfig executorConfig(TopicLayout layout, int keyRangeCount, int parallelism, String consumerGroupId) {
    return new ExecutorConfig(
        bootstrapServers(),
        layout,
        keyRangeCount,
        parallelism,
        ExecutorConfig.DEFAULT_CHECKPOINT_INTERVAL_MS,
        null,
        ExecutorConfig.DEFAULT_DEDUP_WINDOW_MS,
        ExecutorConfig.DEFAULT_WATERMARK_INTERVAL_MS,
        consumerGroupId,
        ExecutorConfig.DEFAULT_BUFFER_TIMEOUT_MS,
        ExecutorConfig.DEFAULT_STATE_BACKEND);
  }

  @Override
  public void close() throws Exception {
    Exception first = null;
    while (!owned.isEmpty()) {
      try {
        owned.pop().close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        }
      }
    }
    broker.close();
    if (first != null) {
      throw first;
    }
  }
}
