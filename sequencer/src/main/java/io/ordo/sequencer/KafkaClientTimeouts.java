package io.ordo.sequencer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * The request timeouts of Ordo's Kafka clients, chosen for failover: how long a client waits for a
 * broker that stopped answering (paused, cut off, overloaded) before it drops the connection,
 * refreshes its metadata and sends the request to the partition's new leader.
 *
 * <p>Why it matters: a client only learns that a partition's leadership moved when a request fails.
 * A request parked at a silent broker fails after {@code request.timeout.ms} (Kafka's default: 30
 * s for consumers and producers), so with the defaults one paused broker stalls Ordo for the
 * whole pause even after the controller has moved its leaderships away (after {@code
 * broker.session.timeout.ms}; the broker settings recommended with these are in the README,
 * "Kafka settings for failover"). The executor's order needs every log partition, so the slowest
 * of these clients sets how long no transaction commits.
 *
 * <p>Every client sets these as its own tuning, before the {@link KafkaClientSettings} (a
 * {@code --kafka-property request.timeout.ms=...} still wins). A consumer's request timeout must
 * exceed its {@code fetch.max.wait.ms} (the broker holds an empty fetch that long), else every
 * idle fetch would time out and reconnect: {@link #consumerRequestTimeoutMs} keeps that margin.
 */
public final class KafkaClientTimeouts {
  private KafkaClientTimeouts() {}

  /**
   * {@code request.timeout.ms} of Ordo's producers (the sequencer and the executor job's sinks),
   * in ms. With {@code acks=all} the broker also answers a produce request within it (its
   * replication wait is bounded by the same value), so it must cover a replication round trip
   * under load, and exceed the brokers' {@code broker.session.timeout.ms} (a retry after it must
   * find the partition led elsewhere): 2 s, where Kafka's default is 30 s.
   */
  public static final int PRODUCER_REQUEST_TIMEOUT_MS = 2_000;

  /**
   * What a consumer's request timeout exceeds its {@code fetch.max.wait.ms} by, in ms: the time
   * a broker may need to answer a fetch once its wait is over (on 2 busy cores about a second at
   * worst; a late answer only costs a reconnect).
   */
  public static final int FETCH_ANSWER_MARGIN_MS = 1_500;

  /**
   * {@code fetch.max.wait.ms} of Ordo's idle consumers (the gateway's results listener, the
   * store's changelog materializer) when the topic is replicated, in ms. On a single broker they
   * park fetches for longer (fewer wake-ups when idle; a single broker has no failover to wait
   * for); on a replicated topic the shorter wait allows a request timeout of {@code
   * REPLICATED_FETCH_WAIT_MS + FETCH_ANSWER_MARGIN_MS} = 2 s, the producers' timeout.
   */
  public static final int REPLICATED_FETCH_WAIT_MS = 500;

  /**
   * {@code metadata.max.age.ms} of Ordo's clients that may have nothing in flight when a broker
   * goes silent (the executor job's sinks and sources, the results listener, the changelog
   * materializer) on a replicated cluster, in ms (Kafka's default: 5 min). A client learns that a
   * partition's leader moved from a failed request or a metadata refresh; one that sends its first
   * request after the failover with old metadata waits a whole request timeout at the silent
   * broker. Refreshing every second lets it find the new leader first; a metadata request is small,
   * and a single broker (nothing to fail over to) keeps Kafka's default.
   */
  public static final int REPLICATED_METADATA_MAX_AGE_MS = 1_000;

  /**
   * {@code reconnect.backoff.ms} and {@code reconnect.backoff.max.ms} of the same clients on a
   * replicated cluster, in ms (Kafka's defaults: 50 ms growing to 1 s). A client sends metadata
   * requests to its "least loaded" broker, and prefers a broker it is still connecting to over
   * one it has no connection with. A consumer whose partitions all had one leader holds a single
   * connection; when that broker goes silent (paused: its kernel still completes the TCP
   * handshake) the consumer times out, re-dials it 50 ms later for the same fetch, and its
   * metadata request then waits on that new connection, whose first request times out again:
   * round after round until the broker answers, although its partitions moved to other leaders
   * seconds earlier. Seen in Ordo's fault runs as the executor's source consumers stalling for a
   * whole 10 s pause (JEPSEN.md). Backing off a whole second after a failed connection leaves the
   * metadata request room to reach a live broker and learn the new leaders first.
   */
  public static final int REPLICATED_RECONNECT_BACKOFF_MS = 1_000;

  /**
   * Puts the failover tuning of a client on a replicated cluster into its config: {@code
   * metadata.max.age.ms} = {@value #REPLICATED_METADATA_MAX_AGE_MS} and the reconnect backoff
   * ({@value #REPLICATED_RECONNECT_BACKOFF_MS} ms, not growing); when not {@code replicated}
   * leaves the config alone (a single broker has nothing to fail over to). Its own tuning: apply
   * the {@link KafkaClientSettings} after this.
   *
   * @return {@code clientConfig}
   */
  public static <M extends Map<Object, Object>> M putReplicatedFailover(M clientConfig, boolean replicated) {
    Objects.requireNonNull(clientConfig, "clientConfig");
    if (replicated) {
      clientConfig.put("metadata.max.age.ms", Integer.toString(REPLICATED_METADATA_MAX_AGE_MS));
      String backoff = Integer.toString(REPLICATED_RECONNECT_BACKOFF_MS);
      clientConfig.put("reconnect.backoff.ms", backoff);
      clientConfig.put("reconnect.backoff.max.ms", backoff);
    }
    return clientConfig;
  }

  /**
   * The {@code request.timeout.ms} for a consumer whose {@code fetch.max.wait.ms} is {@code
   * fetchMaxWaitMs}: {@code fetchMaxWaitMs + }{@value #FETCH_ANSWER_MARGIN_MS}.
   *
   * @param fetchMaxWaitMs the consumer's fetch wait, in ms, 0..{@code Integer.MAX_VALUE -
   *     FETCH_ANSWER_MARGIN_MS}
   * @throws IllegalArgumentException if fetchMaxWaitMs is out of that range
   */
  public static int consumerRequestTimeoutMs(int fetchMaxWaitMs) {
    if (fetchMaxWaitMs < 0 || fetchMaxWaitMs > Integer.MAX_VALUE - FETCH_ANSWER_MARGIN_MS) {
      throw new IllegalArgumentException("fetchMaxWaitMs must be in 0.." + (Integer.MAX_VALUE - FETCH_ANSWER_MARGIN_MS)
          + ", got " + fetchMaxWaitMs);
    }
    return fetchMaxWaitMs + FETCH_ANSWER_MARGIN_MS;
  }

  /**
   * The fetch wait of an idle consumer: {@code idleFetchWaitMs} on a topic without replicas (one
   * broker: nothing to fail over to), else at most {@value #REPLICATED_FETCH_WAIT_MS}.
   *
   * @param idleFetchWaitMs the consumer's own idle wait, in ms, >= 0
   * @param replicated whether the topic has more than one replica ({@link #replicatedOrUnknown})
   * @throws IllegalArgumentException if idleFetchWaitMs is negative
   */
  public static int idleFetchWaitMs(int idleFetchWaitMs, boolean replicated) {
    if (idleFetchWaitMs < 0) {
      throw new IllegalArgumentException("idleFetchWaitMs must be >= 0, got " + idleFetchWaitMs);
    }
    return replicated ? Math.min(idleFetchWaitMs, REPLICATED_FETCH_WAIT_MS) : idleFetchWaitMs;
  }

  /**
   * Whether {@code topic} is replicated (some partition has more than one replica), asked of the
   * cluster with a short-lived admin client; true when the answer does not come within {@code
   * timeout} (the topic is missing, the cluster unreachable): the failover tuning is the safe
   * guess, since it only costs an idle consumer more frequent empty fetches.
   *
   * @param kafka the cluster and its client properties
   * @param topic the topic's name
   * @param timeout how long to wait for the answer, > 0
   * @throws IllegalArgumentException if timeout is not positive
   */
  public static boolean replicatedOrUnknown(KafkaClientSettings kafka, String topic, Duration timeout) {
    Objects.requireNonNull(kafka, "kafka");
    Objects.requireNonNull(topic, "topic");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be > 0, got " + timeout);
    }
    Properties props = new Properties();
    int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms);
    kafka.apply(props);
    try (Admin admin = Admin.create(props)) {
      TopicDescription d = admin.describeTopics(List.of(topic)).topicNameValues().get(topic)
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      for (TopicPartitionInfo p : d.partitions()) {
        if (p.replicas().size() > 1) {
          return true;
        }
      }
      return false;
    } catch (ExecutionException | java.util.concurrent.TimeoutException | KafkaException e) {
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  /**
   * Puts {@code fetch.max.wait.ms} = {@code fetchMaxWaitMs} and the matching {@code
   * request.timeout.ms} ({@link #consumerRequestTimeoutMs}) into a consumer config (its own
   * tuning; apply the {@link KafkaClientSettings} after this).
   *
   * @return {@code consumerConfig}
   * @throws IllegalArgumentException as {@link #consumerRequestTimeoutMs}
   */
  public static <M extends Map<Object, Object>> M putConsumerTimeouts(M consumerConfig, int fetchMaxWaitMs) {
    Objects.requireNonNull(consumerConfig, "consumerConfig");
    int requestTimeoutMs = consumerRequestTimeoutMs(fetchMaxWaitMs);
    consumerConfig.put("fetch.max.wait.ms", Integer.toString(fetchMaxWaitMs));
    consumerConfig.put("request.timeout.ms", Integer.toString(requestTimeoutMs));
    return consumerConfig;
  }
}
