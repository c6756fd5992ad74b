package io.ordo.launcher.bench;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.ordo.proto.AppendRequest;
import io.ordo.proto.AppendResponse;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.ListShardsRequest;
import io.ordo.proto.ReadFrom;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadShardRequest;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.Shard;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.StreamsGrpc;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Recorder;

/**
 * Stream append throughput and end-to-end latency through a gateway (the streams issue's
 * figures): {@code clients} threads append closed-loop batches of {@code batch} records of
 * {@code payloadBytes} bytes (partition keys drawn from {@code keys} keys with a seeded {@link
 * Random}) to a fresh stream of {@code shards} shards, while one reader per shard follows the tail
 * with {@code ReadShard(follow)}.
 *
 * <p>Measured after {@code warmup}, for {@code duration}: committed appends/s and records/s, append
 * latency (request → committed response) and append→read latency (request sent → record received
 * by a reader), both in milliseconds at p50/p99/p999. The send time travels in the first 8 bytes
 * of each payload ({@link System#nanoTime()} of this process), so the two ends share one clock.
 */
public final class StreamBench {
  /** Upper bound on latencies recorded (one minute, in nanoseconds). */
  private static final long LATENCY_NS_MAX = TimeUnit.MINUTES.toNanos(1);

  /**
   * Settings of one run.
   *
   * @param shards shards of the stream, 1..1024
   * @param clients appending threads, 1..1024
   * @param batch records per Append, 1..10,000
   * @param payloadBytes bytes per payload, 8..1 MiB (the first 8 carry the send time)
   * @param keys distinct partition keys, >= 1
   * @param keyPerBatch when true, all records of one Append share one partition key (so one
   *     shard, as a Kafka producer batches per partition); when false, each record draws its own
   *     key, so a batch spans shards and its transaction spans key ranges
   * @param warmup unmeasured time first
   * @param duration measured time, > 0
   * @param seed seed of the keys and payload filler
   */
  public record Settings(int shards, int clients, int batch, int payloadBytes, int keys,
      boolean keyPerBatch, Duration warmup, Duration duration, long seed) {
    public Settings {
      check("shards", shards, 1, 1024);
      check("clients", clients, 1, 1024);
      check("batch", batch, 1, 10_000);
      check("payloadBytes", payloadBytes, 8, 1 << 20);
      check("keys", keys, 1, Integer.MAX_VALUE);
      if (duration.isZero() || duration.isNegative() || warmup.isNegative()) {
        throw new IllegalArgumentException("duration must be > 0 and warmup >= 0");
      }
    }

    private static void check(String name, int v, int min, int max) {
      if (v < min || v > max) {
        throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], got " + v);
      }
    }
  }

  /**
   * What a run measured.
   *
   * @param settings the run's settings
   * @param stream the stream appended to
   * @param windowSeconds the measured window
   * @param appends committed Append calls in the window
   * @param records records they carried
   * @param errors failed Append calls in the window (first error in {@code firstError})
   * @param appendMs append latency percentiles in ms (p50, p99, p999, max)
   * @param endToEndMs append→read latency percentiles in ms (p50, p99, p999, max)
   * @param readRecords records the readers received in the window
   */
  public record Result(Settings settings, String stream, double windowSeconds, long appends,
      long records, long errors, String firstError, double[] appendMs, double[] endToEndMs,
      long readRecords) {
    public double recordsPerSecond() {
      return records / windowSeconds;
    }

    public double appendsPerSecond() {
      return appends / windowSeconds;
    }
  }

  private StreamBench() {}

  /**
   * Runs one measurement on {@code channel} (a gateway) and returns its figures.
   *
   * @param streamName a stream name not yet in use
   * @throws StatusRuntimeException if the stream cannot be created or its shards listed
   */
  public static Result run(Channel channel, String streamName, Settings s)
      throws InterruptedException {
    StreamsGrpc.StreamsBlockingStub streams = StreamsGrpc.newBlockingStub(channel);
    streams.withDeadlineAfter(60, TimeUnit.SECONDS).createStream(CreateStreamRequest.newBuilder()
        .setName(streamName).setShardCount(s.shards()).build());
    List<Shard> shards = streams.withDeadlineAfter(60, TimeUnit.SECONDS)
        .listShards(ListShardsRequest.newBuilder().setStream(streamName).build()).getShardsList();

    Recorder appendLatency = new Recorder(LATENCY_NS_MAX, 3);
    Recorder endToEnd = new Recorder(LATENCY_NS_MAX, 3);
    AtomicLong appends = new AtomicLong();
    AtomicLong records = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicLong readRecords = new AtomicLong();
    AtomicReference<String> firstError = new AtomicReference<>();
    long startNs = System.nanoTime();
    long measureFromNs = startNs + s.warmup().toNanos();
    long endNs = measureFromNs + s.duration().toNanos();

    List<Context.CancellableContext> readers = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (Shard shard : shards) {
      Context.CancellableContext ctx = Context.current().withCancellation();
      readers.add(ctx);
      Thread reader = new Thread(() -> ctx.run(() -> {
        try {
          Iterator<ReadResponse> it = StreamsGrpc.newBlockingStub(channel).readShard(
              ReadShardRequest.newBuilder().setStream(streamName).setShardId(shard.getId())
                  .setFrom(ReadFrom.newBuilder().setSpecial(ReadFrom.Special.EARLIEST))
                  .setFollow(true).build());
          while (it.hasNext()) {
            ReadResponse response = it.next();
            long now = System.nanoTime();
            for (ReceivedRecord r : response.getRecordsList()) {
              long sentNs = r.getRecord().getRaw().asReadOnlyByteBuffer().getLong(0);
              if (sentNs >= measureFromNs && sentNs < endNs) {
                endToEnd.recordValue(Math.min(LATENCY_NS_MAX, Math.max(0, now - sentNs)));
                readRecords.incrementAndGet();
              }
            }
          }
        } catch (StatusRuntimeException e) {
          // Cancelled at the end of the run (or the gateway went away): the reader stops.
        }
      }), "ordo-bench-stream-reader-" + shard.getId());
      reader.setDaemon(true);
      reader.start();
    }
    for (int c = 0; c < s.clients(); c++) {
      Random random = new Random(s.seed() * 1_000_003L + c);
      Thread client = new Thread(() -> {
        StreamsGrpc.StreamsBlockingStub stub = StreamsGrpc.newBlockingStub(channel);
        byte[] filler = new byte[s.payloadBytes()];
        random.nextBytes(filler);
        while (System.nanoTime() < endNs) {
          long sentNs = System.nanoTime();
          AppendRequest.Builder request = AppendRequest.newBuilder().setStream(streamName);
          String batchKey = "key-" + random.nextInt(s.keys());
          for (int i = 0; i < s.batch(); i++) {
            ByteBuffer payload = ByteBuffer.wrap(filler.clone());
            payload.putLong(0, sentNs);
            request.addRecords(StreamRecord.newBuilder()
                .setPartitionKey(s.keyPerBatch() ? batchKey : "key-" + random.nextInt(s.keys()))
                .setRaw(ByteString.copyFrom(payload.array())));
          }
          try {
            AppendResponse response =
                stub.withDeadlineAfter(30, TimeUnit.SECONDS).append(request.build());
            long doneNs = System.nanoTime();
            if (sentNs >= measureFromNs && doneNs <= endNs) {
              appendLatency.recordValue(Math.min(LATENCY_NS_MAX, doneNs - sentNs));
              appends.incrementAndGet();
              records.addAndGet(response.getRecordIdsCount());
            }
          } catch (StatusRuntimeException e) {
            if (sentNs >= measureFromNs) {
              errors.incrementAndGet();
              firstError.compareAndSet(null, e.getStatus().getCode() + ": " + e.getStatus().getDescription());
            }
          }
        }
      }, "ordo-bench-stream-client-" + c);
      client.setDaemon(true);
      threads.add(client);
      client.start();
    }
    for (Thread t : threads) {
      t.join(s.warmup().toMillis() + s.duration().toMillis() + 60_000);
    }
    // Let the readers catch up with the last appends of the window (bounded).
    long settleUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (readRecords.get() < records.get() && System.nanoTime() < settleUntil) {
      Thread.sleep(20);
    }
    readers.forEach(ctx -> ctx.cancel(null));
    double window = s.duration().toNanos() / 1e9;
    return new Result(s, streamName, window, appends.get(), records.get(), errors.get(),
        firstError.get(), percentilesMs(appendLatency), percentilesMs(endToEnd), readRecords.get());
  }

  private static double[] percentilesMs(Recorder recorder) {
    org.HdrHistogram.Histogram h = recorder.getIntervalHistogram();
    if (h.getTotalCount() == 0) {
      return new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
    }
    return new double[] {
      h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6,
      h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6
    };
  }

  /** A Markdown table of results, one row each. */
  public static String toMarkdown(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    sb.append("| batch | keys | clients | shards | payload B | appends/s | records/s"
        + " | append p50 / p99 / p999 ms | append→read p50 / p99 / p999 ms | read | errors |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      Settings s = r.settings();
      sb.append(String.format(Locale.ROOT,
          "| %d | %s | %d | %d | %d | %,.0f | %,.0f | %.1f / %.1f / %.1f | %.1f / %.1f / %.1f | %d | %d |%n",
          s.batch(), s.keyPerBatch() ? "one per batch" : "one per record", s.clients(), s.shards(), s.payloadBytes(), r.appendsPerSecond(),
          r.recordsPerSecond(), r.appendMs()[0], r.appendMs()[1], r.appendMs()[2],
          r.endToEndMs()[0], r.endToEndMs()[1], r.endToEndMs()[2], r.readRecords(), r.errors()));
    }
    return sb.toString();
  }

  /** The results as a JSON-ready map (Jackson serializes it). */
  public static Map<String, Object> toJson(List<Result> results, Map<String, Object> machine) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("benchmark", "stream");
    root.put("machine", machine);
    List<Map<String, Object>> runs = new ArrayList<>();
    for (Result r : results) {
      Map<String, Object> m = new LinkedHashMap<>();
      Settings s = r.settings();
      Map<String, Object> settings = new LinkedHashMap<>();
      settings.put("shards", s.shards());
      settings.put("clients", s.clients());
      settings.put("batch", s.batch());
      settings.put("payloadBytes", s.payloadBytes());
      settings.put("keys", s.keys());
      settings.put("keyPerBatch", s.keyPerBatch());
      settings.put("warmupSeconds", s.warmup().toMillis() / 1000.0);
      settings.put("durationSeconds", s.duration().toMillis() / 1000.0);
      m.put("settings", settings);
      m.put("stream", r.stream());
      m.put("appendsPerSecond", r.appendsPerSecond());
      m.put("recordsPerSecond", r.recordsPerSecond());
      m.put("appendLatencyMs", latencies(r.appendMs()));
      m.put("appendToReadLatencyMs", latencies(r.endToEndMs()));
      m.put("readRecords", r.readRecords());
      m.put("errors", r.errors());
      if (r.firstError() != null) {
        m.put("firstError", r.firstError());
      }
      runs.add(m);
    }
    root.put("runs", runs);
    return root;
  }

  private static Map<String, Object> latencies(double[] ms) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("p50", Double.isNaN(ms[0]) ? null : ms[0]);
    m.put("p99", Double.isNaN(ms[1]) ? null : ms[1]);
    m.put("p999", Double.isNaN(ms[2]) ? null : ms[2]);
    m.put("max", Double.isNaN(ms[3]) ? null : ms[3]);
    return m;
  }
}
