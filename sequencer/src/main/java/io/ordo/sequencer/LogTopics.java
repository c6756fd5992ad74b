package io.ordo.sequencer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.record.TimestampType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and checks Ordo's topics (see {@link TopicLayout}).
 *
 * <p>Topic configs set at creation:
 *
 * <ul>
 *   <li>log topic: {@code logPartitions} partitions, {@code message.timestamp.type=LogAppendTime}
 *       (the broker's time defines the order), {@code retention.ms=-1} (the log is the source of
 *       truth and is replayed on recovery, so it is never deleted by time);
 *   <li>results, changelog and feedback topics: {@code outputPartitions} partitions;
 *   <li>changelog topic: also {@code retention.ms=-1}: it carries every version of every stream
 *       shard, i.e. the stream data itself, which gateways materialize from the beginning, so
 *       deleting old segments by time would lose records (an existing changelog topic with a
 *       finite retention is logged as a warning, not changed);
 *   <li>feedback topic: {@link #FEEDBACK_CONFIGS} ({@code retention.ms=-1}, {@code
 *       retention.bytes=-1}, {@code cleanup.policy=delete}): a job restored from a checkpoint
 *       reads the write results written after that checkpoint, however old the checkpoint is, and
 *       a multi-range transaction whose write result was deleted would hold its locks forever. It
 *       is internal to Ordo (only the executor job reads it), so {@link #ensure} also sets these
 *       configs on an existing feedback topic that lacks them, and {@link #requireExisting} (the
 *       job's check at start) refuses such a topic, naming the command that fixes it;
 *   <li>every topic: {@code max.message.bytes=}{@value #MESSAGE_BYTES_MAX} (large transactions and
 *       their results must fit; the {@link Sequencer}'s {@code max.request.size} matches), and
 *       {@code min.insync.replicas=min(2, rf)} when the replication factor is above 1.
 * </ul>
 */
public final class LogTopics {
  /**
   * Configs the feedback topic must have, in a fixed order: nothing is ever deleted (by time, by
   * size, or by compaction, which would keep only the latest write result per key range).
   */
  public static final Map<String, String> FEEDBACK_CONFIGS = feedbackConfigs();

  /** {@code max.message.bytes} of every Ordo topic: 16 MiB. */
  public static final int MESSAGE_BYTES_MAX = 16 * 1024 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(LogTopics.class);

  /** Pause between attempts while waiting for topics to get leaders or for a retriable error. */
  private static final long RETRY_PAUSE_MS = 50;

  private LogTopics() {}

  /**
   * {@link #ensure(KafkaClientSettings, TopicLayout, Duration)} for a plain-text cluster at
   * {@code bootstrapServers}.
   */
  public static void ensure(String bootstrapServers, TopicLayout layout, Duration timeout) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers must not be blank");
    }
    ensure(KafkaClientSettings.of(bootstrapServers), layout, timeout);
  }

  /**
   * Like {@link #ensure(Admin, TopicLayout, Duration)} with a short-lived Admin client with the
   * client settings {@code kafka} (a secured cluster's security properties). First checks that
   * the cluster answers at all ({@link #checkReachable}), so that a cluster Ordo cannot
   * authenticate to fails with a message saying so instead of a bare timeout.
   *
   * @throws IllegalStateException if the cluster refuses the client's authentication, or does not
   *     answer within {@code timeout} (naming the likely causes and the options that set the
   *     client's security); and as {@link #ensure(Admin, TopicLayout, Duration)}
   */
  public static void ensure(KafkaClientSettings kafka, TopicLayout layout, Duration timeout) {
    Objects.requireNonNull(kafka, "kafka");
    Objects.requireNonNull(layout, "layout");
    checkTimeout(timeout);
    long deadlineNs = System.nanoTime() + timeout.toNanos();
    try (Admin admin = Admin.create(adminProperties(kafka, timeout))) {
      checkReachable(admin, kafka, timeout);
      ensure(admin, layout, remaining(deadlineNs));
    }
  }

  /**
   * Asks the cluster for its id, which every broker answers to any authenticated client: the
   * first contact of a process with its Kafka, where a wrong address or wrong security settings
   * show.
   *
   * @param admin a client with the settings {@code kafka}
   * @param kafka the settings, for the message (secrets redacted)
   * @param timeout how long to wait for the answer
   * @throws IllegalStateException when the cluster refuses the client's authentication (SASL
   *     credentials, TLS handshake), or does not answer within {@code timeout}: a client whose
   *     {@code security.protocol} differs from the listener's sees the broker close every
   *     connection and never gets an answer, the same as for an address where no broker listens,
   *     so the message names both causes and the options that set the client's security
   */
  public static void checkReachable(Admin admin, KafkaClientSettings kafka, Duration timeout) {
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(kafka, "kafka");
    checkTimeout(timeout);
    try {
      admin.describeCluster().clusterId().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptException(e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw noAnswer(kafka, timeout, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof AuthenticationException) {
        throw new IllegalStateException(
            "Kafka at " + kafka.bootstrapServers() + " refused the authentication of Ordo's"
                + " client: " + cause.getMessage() + ". Check the client's security settings"
                + " (--kafka-config FILE, --kafka-property NAME=VALUE); in use: "
                + describeSecurity(kafka),
            cause);
      }
      if (cause instanceof TimeoutException) {
        throw noAnswer(kafka, timeout, cause);
      }
      throw new IllegalStateException(
          "Kafka at " + kafka.bootstrapServers() + " cannot be reached: " + cause, cause);
    }
  }

  private static IllegalStateException noAnswer(
      KafkaClientSettings kafka, Duration timeout, Throwable cause) {
    return new IllegalStateException(
        "Kafka at " + kafka.bootstrapServers() + " did not answer within " + timeout.toMillis()
            + " ms. Either no broker listens there, or the cluster requires authentication or TLS"
            + " that Ordo's client does not use (a broker closes the connections of a client"
            + " whose security.protocol differs from its listener's); in use: "
            + describeSecurity(kafka) + ". Give a secured cluster's client settings with"
            + " --kafka-config FILE (a Kafka client properties file) or --kafka-property"
            + " NAME=VALUE (security.protocol, sasl.mechanism, sasl.jaas.config,"
            + " ssl.truststore.location, ...).",
        cause);
  }

  /** The client's security settings for a message: the redacted properties, or plain text. */
  private static String describeSecurity(KafkaClientSettings kafka) {
    return kafka.isPlain()
        ? "no client properties (security.protocol=PLAINTEXT, no authentication)"
        : "client properties " + kafka.redacted();
  }

  /** What is left of the time until {@code deadlineNs}, at least 1 ms. */
  private static Duration remaining(long deadlineNs) {
    return Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), deadlineNs - System.nanoTime()));
  }

  private static Map<String, String> feedbackConfigs() {
    Map<String, String> configs = new LinkedHashMap<>();
    configs.put(TopicConfig.RETENTION_MS_CONFIG, "-1");
    configs.put(TopicConfig.RETENTION_BYTES_CONFIG, "-1");
    configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
    return java.util.Collections.unmodifiableMap(configs);
  }

  /**
   * A short-lived Admin client's settings: every call bounded by {@code timeout}, then the
   * client settings {@code kafka} on top.
   */
  private static Properties adminProperties(KafkaClientSettings kafka, Duration timeout) {
    Properties props = new Properties();
    int apiTimeoutMs = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, apiTimeoutMs);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(apiTimeoutMs, 15_000));
    return kafka.apply(props);
  }

  /**
   * Checks that every topic of {@code layout} exists, without creating any: what the executor job
   * does at start unless it is allowed to create them, so that a job submitted before its topics
   * exist fails once with this message instead of restarting forever on
   * {@code UnknownTopicOrPartitionException}.
   *
   * @param bootstrapServers the Kafka cluster to ask
   * @param timeout the longest this call waits for the cluster's answer
   * <p>Also checks that the feedback topic keeps its records forever ({@link #FEEDBACK_CONFIGS}).
   *
   * @throws IllegalStateException naming every missing topic and the two ways to create them
   *     (start a gateway, which creates them on start, or let the job create them); or naming
   *     the feedback topic, its deleting configs and the {@code kafka-configs.sh} command that
   *     sets {@link #FEEDBACK_CONFIGS}
   * @throws TimeoutException (Kafka's, unchecked) if the cluster does not answer within
   *     {@code timeout}
   */
  public static void requireExisting(String bootstrapServers, TopicLayout layout, Duration timeout) {
    requireExisting(KafkaClientSettings.of(bootstrapServers), layout, timeout);
  }

  /**
   * Like {@link #requireExisting(String, TopicLayout, Duration)} with the client settings {@code
   * kafka}; first checks that the cluster answers ({@link #checkReachable}).
   *
   * @throws IllegalStateException also when the cluster refuses the client's authentication or
   *     does not answer within {@code timeout}
   */
  public static void requireExisting(KafkaClientSettings kafka, TopicLayout layout, Duration timeout) {
    Objects.requireNonNull(kafka, "kafka");
    Objects.requireNonNull(layout, "layout");
    checkTimeout(timeout);
    String bootstrapServers = kafka.bootstrapServers();
    List<String> missing;
    Map<String, String> feedbackMismatch = Map.of();
    try (Admin admin = Admin.create(adminProperties(kafka, timeout))) {
      long deadlineNs = System.nanoTime() + timeout.toNanos();
      checkReachable(admin, kafka, timeout);
      missing = missingTopics(admin, layout, deadlineNs, timeout);
      if (missing.isEmpty()) {
        feedbackMismatch = feedbackConfigMismatch(admin, layout, deadlineNs, timeout);
      }
    }
    if (!feedbackMismatch.isEmpty()) {
      throw new IllegalStateException(feedbackRetentionMessage(bootstrapServers, layout.feedbackTopic(), feedbackMismatch));
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "Ordo's topics " + missing + " do not exist on " + bootstrapServers + ". Create them by"
              + " starting a gateway against this Kafka first (ordo gateway --bootstrap-servers "
              + bootstrapServers + " creates every topic of the deployment with the settings Ordo"
              + " needs), or pass --create-topics to the executor job to create them itself.");
    }
  }

  /**
   * Checks, without changing anything, that the existing feedback topic of {@code layout} has
   * {@link #FEEDBACK_CONFIGS}: what a job that was not started through {@link #requireExisting}
   * (the embedded executor) checks before it runs.
   *
   * @throws IllegalStateException naming the topic, its deleting configs and the {@code
   *     kafka-configs.sh} command that fixes them, or saying that the topic does not exist
   * @throws TimeoutException (Kafka's, unchecked) if the cluster does not answer within {@code
   *     timeout}
   */
  public static void requireFeedbackRetention(String bootstrapServers, TopicLayout layout, Duration timeout) {
    requireFeedbackRetention(KafkaClientSettings.of(bootstrapServers), layout, timeout);
  }

  /**
   * Like {@link #requireFeedbackRetention(String, TopicLayout, Duration)} with the client
   * settings {@code kafka}.
   */
  public static void requireFeedbackRetention(
      KafkaClientSettings kafka, TopicLayout layout, Duration timeout) {
    Objects.requireNonNull(kafka, "kafka");
    Objects.requireNonNull(layout, "layout");
    checkTimeout(timeout);
    String bootstrapServers = kafka.bootstrapServers();
    Map<String, String> mismatch;
    try (Admin admin = Admin.create(adminProperties(kafka, timeout))) {
      mismatch = feedbackConfigMismatch(admin, layout, System.nanoTime() + timeout.toNanos(), timeout);
    } catch (org.apache.kafka.common.errors.UnknownTopicOrPartitionException e) {
      throw new IllegalStateException(
          "Feedback topic " + layout.feedbackTopic() + " does not exist on " + bootstrapServers
              + "; create Ordo's topics first (a gateway creates them on start)", e);
    }
    if (!mismatch.isEmpty()) {
      throw new IllegalStateException(feedbackRetentionMessage(bootstrapServers, layout.feedbackTopic(), mismatch));
    }
  }

  /**
   * The configs of the existing feedback topic that differ from {@link #FEEDBACK_CONFIGS}, name →
   * current value (the broker's default when the topic does not set it), in {@link
   * #FEEDBACK_CONFIGS} order; empty when it keeps everything.
   */
  static Map<String, String> feedbackConfigMismatch(Admin admin, TopicLayout layout, long deadlineNs, Duration timeout) {
    String name = layout.feedbackTopic();
    Config config = topicConfig(admin, name, "feedback", deadlineNs, timeout);
    Map<String, String> mismatch = new LinkedHashMap<>();
    for (Map.Entry<String, String> wanted : FEEDBACK_CONFIGS.entrySet()) {
      ConfigEntry entry = config.get(wanted.getKey());
      String value = entry == null ? null : entry.value();
      if (!wanted.getValue().equals(value)) {
        mismatch.put(wanted.getKey(), value);
      }
    }
    return mismatch;
  }

  /** Why a feedback topic that deletes records is refused, and the command that fixes it. */
  static String feedbackRetentionMessage(String bootstrapServers, String topic, Map<String, String> mismatch) {
    StringBuilder current = new StringBuilder();
    mismatch.forEach((k, v) -> current.append(current.length() == 0 ? "" : ", ").append(k).append('=').append(v));
    StringBuilder wanted = new StringBuilder();
    FEEDBACK_CONFIGS.forEach((k, v) -> wanted.append(wanted.length() == 0 ? "" : ",").append(k).append('=').append(v));
    return "Feedback topic " + topic + " deletes records (" + current + "): a job restored from a"
        + " checkpoint needs every write result written after it, and a multi-range transaction"
        + " whose write result is gone keeps its locks forever. Make it keep every record with"
        + " kafka-configs.sh --bootstrap-server " + bootstrapServers + " --alter --entity-type topics"
        + " --entity-name " + topic + " --add-config " + wanted
        + " (or start a gateway, or the job with --create-topics, which set these configs).";
  }

  /** The topics of {@code layout} that do not exist, in {@link #newTopics} order. */
  static List<String> missingTopics(Admin admin, TopicLayout layout, long deadlineNs, Duration timeout) {
    Set<String> existing;
    try {
      existing = await(admin.listTopics().names(), deadlineNs, timeout, "listing topics");
    } catch (ExecutionException e) {
      throw rethrow(e, "listing topics");
    }
    List<String> missing = new ArrayList<>();
    for (String name : newTopics(layout).keySet()) {
      if (!existing.contains(name)) {
        missing.add(name);
      }
    }
    return missing;
  }

  /**
   * Creates the missing topics of {@code layout} and checks the log topic.
   *
   * <p>Idempotent and safe when several processes race: a topic that already exists (or that
   * another process creates concurrently) is left as it is. Returns once every partition of the
   * four topics has a leader that serves it (answers a request for its end offset), so that the
   * first writes do not race the partitions' creation.
   *
   * @param timeout the longest this call waits in total
   * @throws IllegalStateException if the existing log topic does not use LogAppendTime or has a
   *     partition count other than {@code layout.logPartitions()}, or if a topic cannot be created
   *     (for example a replication factor above the number of brokers); the message says why
   * @throws TimeoutException (Kafka's, unchecked) if the topics are not ready within {@code timeout}
   * @throws InterruptException if the calling thread is interrupted
   */
  public static void ensure(Admin admin, TopicLayout layout, Duration timeout) {
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(layout, "layout");
    checkTimeout(timeout);
    long deadlineNs = System.nanoTime() + timeout.toNanos();
    Map<String, NewTopic> wanted = newTopics(layout);
    RuntimeException lastRetriable = null;
    while (true) {
      try {
        createMissing(admin, wanted, deadlineNs, timeout);
        checkLogTopic(admin, layout, deadlineNs, timeout);
        warnOnChangelogRetention(admin, layout, deadlineNs, timeout);
        fixFeedbackRetention(admin, layout, deadlineNs, timeout);
        if (allPartitionsHaveLeaders(admin, wanted, deadlineNs, timeout)
            && allPartitionsServeOffsets(admin, layout, deadlineNs, timeout)) {
          return;
        }
      } catch (RetriableException e) {
        // Typical right after a broker starts (not yet a controller, metadata not propagated).
        lastRetriable = e;
        LOG.debug("Retrying after retriable error while ensuring topics", e);
      }
      if (System.nanoTime() - deadlineNs >= 0) {
        TimeoutException timeoutException =
            new TimeoutException(
                "Timed out after " + timeout.toMillis() + " ms ensuring topics "
                    + wanted.keySet() + " (not all created with a leader on every partition)");
        if (lastRetriable != null) {
          timeoutException.initCause(lastRetriable);
        }
        throw timeoutException;
      }
      sleepMs(RETRY_PAUSE_MS);
    }
  }

  /** The topics of a layout, in a fixed order (log first), with their creation configs. */
  static Map<String, NewTopic> newTopics(TopicLayout layout) {
    Map<String, NewTopic> topics = new LinkedHashMap<>();
    Map<String, String> logConfigs = commonConfigs(layout);
    logConfigs.put(
        TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, TimestampType.LOG_APPEND_TIME.name);
    logConfigs.put(TopicConfig.RETENTION_MS_CONFIG, "-1");
    topics.put(
        layout.logTopic(),
        new NewTopic(layout.logTopic(), layout.logPartitions(), layout.replicationFactor())
            .configs(logConfigs));
    for (String name :
        List.of(layout.resultsTopic(), layout.changelogTopic(), layout.feedbackTopic())) {
      Map<String, String> configs = commonConfigs(layout);
      if (name.equals(layout.changelogTopic())) {
        configs.put(TopicConfig.RETENTION_MS_CONFIG, "-1");
      }
      if (name.equals(layout.feedbackTopic())) {
        configs.putAll(FEEDBACK_CONFIGS);
      }
      topics.put(
          name,
          new NewTopic(name, layout.outputPartitions(), layout.replicationFactor())
              .configs(configs));
    }
    return topics;
  }

  private static Map<String, String> commonConfigs(TopicLayout layout) {
    Map<String, String> configs = new LinkedHashMap<>();
    configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(MESSAGE_BYTES_MAX));
    if (layout.replicationFactor() > 1) {
      configs.put(
          TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG,
          Integer.toString(Math.min(2, (int) layout.replicationFactor())));
    }
    return configs;
  }

  private static void createMissing(
      Admin admin, Map<String, NewTopic> wanted, long deadlineNs, Duration timeout) {
    Map<String, KafkaFuture<Void>> results = admin.createTopics(wanted.values()).values();
    for (String name : wanted.keySet()) {
      try {
        await(results.get(name), deadlineNs, timeout, "creating topic " + name);
        LOG.info("Created topic {}", name);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof TopicExistsException) {
          continue;
        }
        if (cause instanceof RetriableException retriable) {
          throw retriable;
        }
        throw new IllegalStateException(
            "Cannot create topic " + name + ": " + cause.getMessage(), cause);
      }
    }
  }

  private static void checkLogTopic(
      Admin admin, TopicLayout layout, long deadlineNs, Duration timeout) {
    String name = layout.logTopic();
    TopicDescription description;
    Config config;
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, name);
    try {
      description =
          await(
              admin.describeTopics(List.of(name)).topicNameValues().get(name),
              deadlineNs, timeout, "describing topic " + name);
      config =
          await(
              admin.describeConfigs(List.of(resource)).values().get(resource),
              deadlineNs, timeout, "describing the configs of topic " + name);
    } catch (ExecutionException e) {
      throw rethrow(e, "describing log topic " + name);
    }
    int partitions = description.partitions().size();
    if (partitions != layout.logPartitions()) {
      throw new IllegalStateException(
          "Log topic " + name + " has " + partitions + " partitions but the layout expects "
              + layout.logPartitions() + "; the partition of a transaction id depends on the "
              + "count, so use a layout with " + partitions + " log partitions or a new topic");
    }
    ConfigEntry timestampType = config.get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG);
    String value = timestampType == null ? null : timestampType.value();
    if (!TimestampType.LOG_APPEND_TIME.name.equals(value)) {
      throw new IllegalStateException(
          "Log topic " + name + " has " + TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG + "=" + value
              + " but Ordo needs " + TimestampType.LOG_APPEND_TIME.name + " (the broker's "
              + "append time defines the global order); set it with kafka-configs.sh --alter "
              + "--entity-type topics --entity-name " + name + " --add-config "
              + TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG + "="
              + TimestampType.LOG_APPEND_TIME.name);
    }
  }

  /**
   * Warns when an existing changelog topic deletes by time: it was created before the changelog
   * carried stream data. Only a warning, since changing a topic's retention is an operator's
   * decision (kafka-configs.sh); the message says how.
   */
  /** The configs of topic {@code name} ({@code kind} names it in errors: "feedback", "changelog"). */
  private static Config topicConfig(Admin admin, String name, String kind, long deadlineNs, Duration timeout) {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, name);
    try {
      return await(
          admin.describeConfigs(List.of(resource)).values().get(resource),
          deadlineNs, timeout, "describing the configs of topic " + name);
    } catch (ExecutionException e) {
      throw rethrow(e, "describing " + kind + " topic " + name);
    }
  }

  private static void warnOnChangelogRetention(
      Admin admin, TopicLayout layout, long deadlineNs, Duration timeout) {
    String name = layout.changelogTopic();
    Config config = topicConfig(admin, name, "changelog", deadlineNs, timeout);
    ConfigEntry retention = config.get(TopicConfig.RETENTION_MS_CONFIG);
    String value = retention == null ? null : retention.value();
    if (!"-1".equals(value)) {
      LOG.warn(
          "Changelog topic {} has {}={}: stream records older than that will be deleted and "
              + "gateways materializing from the beginning will miss them; set it with "
              + "kafka-configs.sh --alter --entity-type topics --entity-name {} --add-config {}=-1",
          name, TopicConfig.RETENTION_MS_CONFIG, value, name, TopicConfig.RETENTION_MS_CONFIG);
    }
  }

  /**
   * Sets {@link #FEEDBACK_CONFIGS} on an existing feedback topic that lacks them (one created
   * before they were part of its settings). Unlike the changelog's retention, this is no
   * operator's decision to keep: only the executor job reads the topic, and it needs every record.
   */
  private static void fixFeedbackRetention(Admin admin, TopicLayout layout, long deadlineNs, Duration timeout) {
    Map<String, String> mismatch = feedbackConfigMismatch(admin, layout, deadlineNs, timeout);
    if (mismatch.isEmpty()) {
      return;
    }
    String name = layout.feedbackTopic();
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, name);
    List<AlterConfigOp> ops = new ArrayList<>();
    for (String key : mismatch.keySet()) {
      ops.add(new AlterConfigOp(new ConfigEntry(key, FEEDBACK_CONFIGS.get(key)), AlterConfigOp.OpType.SET));
    }
    try {
      await(admin.incrementalAlterConfigs(Map.of(resource, ops)).all(), deadlineNs, timeout, "altering the configs of topic " + name);
    } catch (ExecutionException e) {
      throw rethrow(e, "setting " + FEEDBACK_CONFIGS + " on feedback topic " + name);
    }
    LOG.warn("Feedback topic {} had {}; set {} so that a restored job finds every write result", name, mismatch, FEEDBACK_CONFIGS);
  }

  private static boolean allPartitionsHaveLeaders(
      Admin admin, Map<String, NewTopic> wanted, long deadlineNs, Duration timeout) {
    Map<String, TopicDescription> descriptions;
    try {
      descriptions =
          await(
              admin.describeTopics(new ArrayList<>(wanted.keySet())).allTopicNames(),
              deadlineNs, timeout, "describing topics " + wanted.keySet());
    } catch (ExecutionException e) {
      throw rethrow(e, "describing topics " + wanted.keySet());
    }
    for (String name : wanted.keySet()) {
      TopicDescription description = descriptions.get(name);
      if (description == null || description.partitions().isEmpty()) {
        return false;
      }
      for (TopicPartitionInfo partition : description.partitions()) {
        if (partition.leader() == null || partition.leader().isEmpty()) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Asks every partition's leader for its end offset. The cluster metadata names a leader
   * slightly before that broker has opened the partition; a produce request in this window fails
   * with NOT_LEADER_OR_FOLLOWER, and when an idempotent producer's first batch fails this way while
   * its next batch succeeds, the broker (which accepts any sequence from a producer it has not
   * seen) rejects the retried first batch as out of order until the delivery timeout. Returning
   * only when every leader answers closes that window for the topics' first writers.
   */
  private static boolean allPartitionsServeOffsets(
      Admin admin, TopicLayout layout, long deadlineNs, Duration timeout) {
    Map<TopicPartition, OffsetSpec> request = new LinkedHashMap<>();
    addPartitions(request, layout.logTopic(), layout.logPartitions());
    for (String name :
        List.of(layout.resultsTopic(), layout.changelogTopic(), layout.feedbackTopic())) {
      addPartitions(request, name, layout.outputPartitions());
    }
    try {
      await(admin.listOffsets(request).all(), deadlineNs, timeout, "listing end offsets");
      return true;
    } catch (ExecutionException e) {
      throw rethrow(e, "listing the end offsets of " + request.keySet());
    }
  }

  private static void addPartitions(
      Map<TopicPartition, OffsetSpec> request, String topic, int partitions) {
    for (int p = 0; p < partitions; p++) {
      request.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
  }

  private static RuntimeException rethrow(ExecutionException e, String what) {
    Throwable cause = e.getCause();
    if (cause instanceof RetriableException retriable) {
      return retriable;
    }
    return new IllegalStateException(what + " failed: " + cause.getMessage(), cause);
  }

  private static <T> T await(
      KafkaFuture<T> future, long deadlineNs, Duration timeout, String what)
      throws ExecutionException {
    long remainingNs = Math.max(0, deadlineNs - System.nanoTime());
    try {
      return future.get(remainingNs, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new TimeoutException(
          "Timed out after " + timeout.toMillis() + " ms " + what, e);
    } catch (InterruptedException e) {
      throw new InterruptException(e);
    }
  }

  private static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      throw new InterruptException(e);
    }
  }

  private static void checkTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
  }
}
