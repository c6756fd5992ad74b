package io.ordo.launcher.bench;

import io.ordo.launcher.demo.TransferWorkload;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ordo.proto.LogEntry;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnRequest;
import io.ordo.sequencer.KafkaClientSettings;
import io.ordo.sequencer.Sequencer;
import io.ordo.sequencer.TopicLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The sequencer's ceiling: how many log entries per second the log topic takes from the
 * sequencer's own producer ({@link Sequencer}: idempotent, acks=all, linger 0 ms, ...) and hands
 * to a consumer, on one broker.
 *
 * <p>A producer thread ({@code ordo-bench-kafka-producer}) appends real transfer entries: {@code
 * LogEntry{transaction}} with the ops of a YCSB-T transfer ({@link TransferWorkload}, 10,000
 * accounts, theta 0.99) and a 36-character id (the length of the gateway's UUID ids) that encodes
 * the send time, keeping at most {@code inFlight} entries unacknowledged. A consumer thread ({@code
 * ordo-bench-kafka-consumer}) reads every partition of the log topic and measures end-to-end
 * latency (consumer poll return minus producer send, same JVM clock). Entries sent during the
 * measured window count; the result holds records/s and MB/s (entry value bytes) received, and
 * the latency percentiles.
 */
public final class KafkaCeilingBench {
  /** Length of the ids, the length of the gateway's UUID ids. */
  static final int ID_LENGTH = 36;

  /** Upper bound on unacknowledged entries. */
  public static final int IN_FLIGHT_MAX = 1_000_000;

  /** How long the consumer may take to catch up after the window before the run fails. */
  static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);

  /**
   * What the run measured.
   *
   * @param windowSeconds length of the measured window
   * @param sent entries sent during the window
   * @param received entries of the window received by the consumer
   * @param entryBytes mean serialized LogEntry size in bytes
   * @param latency end-to-end latencies of the window's entries, in ns
   * @param cpu CPU use during the window
   */
  public record Result(double windowSeconds, long sent, long received, double entryBytes,
      Histogram latency, CpuMeter.Usage cpu) {
    /** Entries received per second. */
    public double recordsPerSecond() {
      return received / windowSeconds;
    }

    /** Entry value megabytes (10^6 bytes) received per second. */
    public double megabytesPerSecond() {
      return received * entryBytes / 1e6 / windowSeconds;
    }
  }

  private KafkaCeilingBench() {}

  /**
   * Builds the transfer entry the sequencer would append for {@code request} with id {@code id}.
   */
  public static LogEntry entryOf(String id, TxnRequest request) {
    return LogEntry.newBuilder()
        .setTransaction(Transaction.newBuilder().setId(id).addAllOps(request.getOpsList()))
        .build();
  }

  /** A 36-character id that carries {@code sendNanos}: 19 digits, '-', 16 hex digits of seq. */
  static String idOf(long sendNanos, long seq) {
    return String.format(Locale.ROOT, "%019d-%016x", sendNanos, seq);
  }

  /** The send time carried by an id made by {@link #idOf}. */
  static long sendNanosOf(byte[] key) {
    return Long.parseLong(new String(key, 0, 19, StandardCharsets.US_ASCII));
  }

  /**
   * Runs the benchmark on existing topics of {@code layout} (see {@code LogTopics.ensure}).
   *
   * @param bootstrapServers the broker(s)
   * @param layout topics; only the log topic is used
   * @param warmup unmeasured time first
   * @param duration the measured window
   * @param inFlight unacknowledged entries at most, in [1, {@value #IN_FLIGHT_MAX}]
   * @param seed seed of the transfers
   * @return the measurements
   * @throws IllegalStateException if sends fail or the consumer does not catch up
   * @throws InterruptedException if interrupted
   */
  public static Result run(String bootstrapServers, TopicLayout layout, Duration warmup,
      Duration duration, int inFlight, long seed) throws InterruptedException {
    return run(KafkaClientSettings.of(bootstrapServers), layout, warmup, duration, inFlight, seed);
  }

  /**
   * Like {@link #run(String, TopicLayout, Duration, Duration, int, long)} with the client
   * settings {@code kafka} (a secured cluster's client properties) for the producer and the
   * consumer.
   */
  public static Result run(KafkaClientSettings kafka, TopicLayout layout, Duration warmup,
      Duration duration, int inFlight, long seed) throws InterruptedException {
    Objects.requireNonNull(kafka);
    Objects.requireNonNull(layout);
    if (inFlight < 1 || inFlight > IN_FLIGHT_MAX) {
      throw new IllegalArgumentException(
          "in-flight must be in [1, " + IN_FLIGHT_MAX + "], got " + inFlight);
    }
    TransferWorkload workload =
        new TransferWorkload(10_000, 0.99, 100, 16, OptionalInt.empty());
    CpuMeter cpu = new CpuMeter(OptionalInt.empty());
    Histogram latency = LoadRunner.newHistogram();
    AtomicLong received = new AtomicLong();
    AtomicLong sent = new AtomicLong();
    AtomicLong sentTotal = new AtomicLong();
    AtomicLong receivedTotal = new AtomicLong();
    AtomicLong entryBytesSum = new AtomicLong();
    AtomicBoolean stopConsumer = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long t0 = System.nanoTime();
    long windowStart = t0 + warmup.toNanos();
    long windowEnd = windowStart + duration.toNanos();

    Thread consumer = new Thread(() -> {
      Map<String, Object> config = kafka.apply(new java.util.HashMap<>());
      config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
      config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
      config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      config.put(ConsumerConfig.CLIENT_ID_CONFIG, "ordo-bench-kafka-consumer");
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(config)) {
        List<TopicPartition> parts = new ArrayList<>();
        for (int p = 0; p < layout.logPartitions(); p++) {
          parts.add(new TopicPartition(layout.logTopic(), p));
        }
        c.assign(parts);
        c.seekToEnd(parts);
        parts.forEach(c::position); // resolve the end offsets before the producer starts
        synchronized (latency) {
          latency.notifyAll();
        }
        while (!stopConsumer.get()) {
          var records = c.poll(Duration.ofMillis(100));
          long now = System.nanoTime();
          for (ConsumerRecord<byte[], byte[]> r : records) {
            long sentAt = sendNanosOf(r.key());
            receivedTotal.incrementAndGet();
            if (sentAt - windowStart >= 0 && sentAt - windowEnd < 0) {
              received.incrementAndGet();
              synchronized (latency) {
                latency.recordValue(Math.min(Math.max(0, now - sentAt),
                    LoadRunner.LATENCY_NANOS_MAX));
              }
            }
          }
        }
      } catch (RuntimeException e) {
        failure.compareAndSet(null, e);
      }
    }, "ordo-bench-kafka-consumer");
    consumer.setDaemon(true);
    synchronized (latency) {
      consumer.start();
      latency.wait(TimeUnit.SECONDS.toMillis(30));
    }

    CpuMeter.Snapshot before = null;
    CpuMeter.Snapshot after = null;
    Semaphore permits = new Semaphore(inFlight);
    Random random = new Random(seed);
    // The calling thread is the producer: name it so that the CPU report files it under the
    // load generator.
    Thread self = Thread.currentThread();
    String callerName = self.getName();
    self.setName("ordo-bench-kafka-producer");
    try (Sequencer sequencer = new Sequencer(kafka, layout)) {
      long seq = 0;
      while (failure.get() == null) {
        long now = System.nanoTime();
        if (before == null && now - windowStart >= 0) {
          before = cpu.snapshot();
        }
        if (now - windowEnd >= 0) {
          after = cpu.snapshot();
          break;
        }
        if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
          continue;
        }
        TxnRequest request = TransferWorkload.toRequest(workload.next(random));
        long sendNanos = System.nanoTime();
        Transaction txn = Transaction.newBuilder().setId(idOf(sendNanos, seq++))
            .addAllOps(request.getOpsList()).build();
        boolean inWindow = sendNanos - windowStart >= 0 && sendNanos - windowEnd < 0;
        if (inWindow) {
          sent.incrementAndGet();
          entryBytesSum.addAndGet(LogEntry.newBuilder().setTransaction(txn).build()
              .getSerializedSize());
        }
        sentTotal.incrementAndGet();
        sequencer.append(txn).whenComplete((pos, e) -> {
          permits.release();
          if (e != null) {
            failure.compareAndSet(null, e);
          }
        });
      }
    } finally {
      self.setName(callerName);
    }
    // The sequencer's close waited for every acknowledgement; let the consumer catch up.
    long drainDeadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
    while (failure.get() == null && receivedTotal.get() < sentTotal.get()
        && System.nanoTime() - drainDeadline < 0) {
      TimeUnit.MILLISECONDS.sleep(20);
    }
    stopConsumer.set(true);
    consumer.join(TimeUnit.SECONDS.toMillis(10));
    if (failure.get() != null) {
      throw new IllegalStateException("the Kafka benchmark failed", failure.get());
    }
    if (receivedTotal.get() < sentTotal.get()) {
      throw new IllegalStateException("the consumer received " + receivedTotal.get() + " of "
          + sentTotal.get() + " entries within " + DRAIN_TIMEOUT.toSeconds() + " s");
    }
    if (before == null || after == null) {
      throw new IllegalStateException("the measured window did not run");
    }
    double entryBytes = sent.get() == 0 ? 0 : entryBytesSum.get() / (double) sent.get();
    return new Result(duration.toNanos() / 1e9, sent.get(), received.get(), entryBytes,
        latency, cpu.between(before, after));
  }

  /** The result as pretty-printed JSON with the given settings. */
  public static String toJson(Result r, Map<String, Object> machine, Map<String, Object> settings) {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.put("benchmark", "kafka");
    root.set("machine", mapper.valueToTree(machine));
    root.set("settings", mapper.valueToTree(settings));
    root.put("windowSeconds", r.windowSeconds());
    root.put("sent", r.sent());
    root.put("received", r.received());
    root.put("entryBytes", Math.round(r.entryBytes() * 10) / 10.0);
    root.put("recordsPerSecond", Math.round(r.recordsPerSecond() * 10) / 10.0);
    root.put("megabytesPerSecond", Math.round(r.megabytesPerSecond() * 1000) / 1000.0);
    ObjectNode lat = root.putObject("latencyMs");
    lat.put("count", r.latency().getTotalCount());
    lat.put("p50", YcsbtReport.ms(r.latency(), 50.0));
    lat.put("p99", YcsbtReport.ms(r.latency(), 99.0));
    lat.put("p999", YcsbtReport.ms(r.latency(), 99.9));
    ObjectNode cpu = root.putObject("cpu");
    cpu.put("processCores", Math.round(r.cpu().processCores() * 1000) / 1000.0);
    ObjectNode groups = cpu.putObject("groupCores");
    r.cpu().groupCores().forEach((g, c) -> groups.put(g, Math.round(c * 1000) / 1000.0));
    cpu.set("topThreads", mapper.valueToTree(r.cpu().topThreads()));
    try {
      return mapper.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the result as JSON", e);
    }
  }

  /** The result as a Markdown table (one row) and a CPU line. */
  public static String toMarkdown(Result r, int inFlight) {
    StringBuilder sb = new StringBuilder();
    sb.append("| entry bytes | in flight | records/s | MB/s | p50 ms | p99 ms | p99.9 ms |"
        + " JVM CPU cores |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    sb.append(String.format(Locale.ROOT, "| %.1f | %d | %.1f | %.3f | %.2f | %.2f | %.2f |"
            + " %.2f |%n", r.entryBytes(), inFlight, r.recordsPerSecond(),
        r.megabytesPerSecond(), YcsbtReport.ms(r.latency(), 50.0),
        YcsbtReport.ms(r.latency(), 99.0), YcsbtReport.ms(r.latency(), 99.9),
        r.cpu().processCores()));
    sb.append("\nCPU by thread group (cores): ");
    List<String> parts = new ArrayList<>();
    r.cpu().groupCores().forEach((g, c) -> parts.add(String.format(Locale.ROOT, "%s %.2f", g,
        c)));
    sb.append(String.join(", ", parts)).append('\n');
    return sb.toString();
  }
}
