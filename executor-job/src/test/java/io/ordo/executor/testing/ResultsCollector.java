package io.ordo.executor.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.proto.TxnResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Consumes a results topic from its beginning on a background thread and keeps, per transaction
 * id, the <em>distinct</em> results seen (byte-identical repeats are replayed duplicates and are
 * dropped, as a client would drop them by id).
 *
 * <p>An id can legitimately have more than one distinct result: a re-submitted id is sequenced
 * twice and its second entry gets a DUPLICATE result with the same id. Results of one id are kept
 * in the order they were read (the results topic is keyed by txn id, so that is topic order).
 *
 * <p>Waits are bounded by the caller's timeout; the number of ids is bounded by {@code idsMax}.
 * Thread-safe.
 */
public final class ResultsCollector implements AutoCloseable {
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(20);
  private static final long CLOSE_TIMEOUT_MS = 10_000;

  private final String topic;
  private final int idsMax;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread thread;
  private final Object lock = new Object();
  // All guarded by lock.
  private final Map<String, LinkedHashSet<ByteString>> byId = new HashMap<>();
  private long recordsRead;
  private long duplicatesDropped;
  private Throwable failure;
  private volatile boolean closing;

  private ResultsCollector(String topic, int idsMax, KafkaConsumer<byte[], byte[]> consumer) {
    this.topic = topic;
    this.idsMax = idsMax;
    this.consumer = consumer;
    this.thread = new Thread(this::run, "results-collector-" + topic);
    this.thread.setDaemon(true);
  }

  /**
   * Starts consuming {@code topic} from its beginning.
   *
   * @param idsMax the most distinct transaction ids kept; more fail every later wait
   */
  public static ResultsCollector start(String bootstrapServers, String topic, int idsMax) {
    if (idsMax < 1) {
      throw new IllegalArgumentException("idsMax must be >= 1, got " + idsMax);
    }
    ResultsCollector c = new ResultsCollector(topic, idsMax, TopicReader.open(bootstrapServers, topic, Duration.ofSeconds(30)));
    c.thread.start();
    return c;
  }

  private void run() {
    try {
      while (!closing) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL_TIMEOUT)) {
          add(r);
        }
      }
    } catch (WakeupException e) {
      // close() woke the consumer up.
    } catch (Throwable t) {
      synchronized (lock) {
        failure = t;
        lock.notifyAll();
      }
    } finally {
      consumer.close();
    }
  }

  private void add(ConsumerRecord<byte[], byte[]> r) throws InvalidProtocolBufferException {
    TxnResult result = TxnResult.parseFrom(r.value());
    String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    if (!result.getTxnId().equals(key)) {
      throw new IllegalStateException(
          "result of txn " + result.getTxnId() + " has record key " + key + " at " + r.topic() + "-" + r.partition() + "@" + r.offset());
    }
    synchronized (lock) {
      recordsRead++;
      LinkedHashSet<ByteString> seen = byId.get(result.getTxnId());
      if (seen == null) {
        if (byId.size() >= idsMax) {
          throw new IllegalStateException("more than " + idsMax + " transaction ids in " + topic);
        }
        seen = new LinkedHashSet<>();
        byId.put(result.getTxnId(), seen);
      }
      if (!seen.add(ByteString.copyFrom(r.value()))) {
        duplicatesDropped++;
      }
      lock.notifyAll();
    }
  }

  /**
   * The first result of {@code txnId}, waiting up to {@code timeout} for it.
   *
   * @throws AssertionError on timeout or if the consumer failed
   */
  public TxnResult await(String txnId, Duration timeout) throws InterruptedException {
    return awaitDistinct(txnId, 1, timeout).get(0);
  }

  /**
   * The first {@code count} distinct results of {@code txnId} in topic order, waiting up to
   * {@code timeout} for them.
   *
   * @throws AssertionError on timeout or if the consumer failed
   */
  public List<TxnResult> awaitDistinct(String txnId, int count, Duration timeout) throws InterruptedException {
    long deadlineNs = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (true) {
        checkFailure();
        LinkedHashSet<ByteString> seen = byId.get(txnId);
        if (seen != null && seen.size() >= count) {
          List<TxnResult> out = new ArrayList<>();
          for (ByteString b : seen) {
            if (out.size() == count) {
              break;
            }
            out.add(parse(b));
          }
          return out;
        }
        long leftMs = TopicReader.remainingMs(deadlineNs);
        if (leftMs == 0) {
          throw new AssertionError(
              "no " + count + " distinct result(s) of txn " + txnId + " in " + topic + " within " + timeout.toMillis()
                  + " ms (have " + (seen == null ? 0 : seen.size()) + "; " + byId.size() + " ids, " + recordsRead + " records read)");
        }
        lock.wait(leftMs);
      }
    }
  }

  /**
   * Waits until every id of {@code expectedCounts} has at least its count of distinct results.
   *
   * @throws AssertionError on timeout (naming a few missing ids) or if the consumer failed
   */
  public void awaitAll(Map<String, Integer> expectedCounts, Duration timeout) throws InterruptedException {
    long deadlineNs = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (true) {
        checkFailure();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Integer> e : new TreeMap<>(expectedCounts).entrySet()) {
          LinkedHashSet<ByteString> seen = byId.get(e.getKey());
          if (seen == null || seen.size() < e.getValue()) {
            missing.add(e.getKey());
          }
        }
        if (missing.isEmpty()) {
          return;
        }
        long leftMs = TopicReader.remainingMs(deadlineNs);
        if (leftMs == 0) {
          throw new AssertionError(
              missing.size() + " of " + expectedCounts.size() + " txns lack results in " + topic + " after "
                  + timeout.toMillis() + " ms, e.g. " + missing.subList(0, Math.min(10, missing.size())));
        }
        lock.wait(Math.min(leftMs, 200));
      }
    }
  }

  /** Distinct results per txn id (ids sorted; results of an id in topic order, as raw bytes). */
  public SortedMap<String, List<ByteString>> snapshot() {
    synchronized (lock) {
      checkFailure();
      SortedMap<String, List<ByteString>> out = new TreeMap<>();
      for (Map.Entry<String, LinkedHashSet<ByteString>> e : byId.entrySet()) {
        out.put(e.getKey(), List.copyOf(e.getValue()));
      }
      return out;
    }
  }

  /** Number of distinct transaction ids with a result so far. */
  public int idCount() {
    synchronized (lock) {
      return byId.size();
    }
  }

  /** Records read so far, duplicates included. */
  public long recordsRead() {
    synchronized (lock) {
      return recordsRead;
    }
  }

  /** Byte-identical repeats dropped so far. */
  public long duplicatesDropped() {
    synchronized (lock) {
      return duplicatesDropped;
    }
  }

  private void checkFailure() {
    if (failure != null) {
      throw new AssertionError("results collector of " + topic + " failed", failure);
    }
  }

  private static TxnResult parse(ByteString b) {
    try {
      return TxnResult.parseFrom(b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored result does not parse", e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    closing = true;
    consumer.wakeup();
    thread.join(TimeUnit.MILLISECONDS.toMillis(CLOSE_TIMEOUT_MS));
  }
}
