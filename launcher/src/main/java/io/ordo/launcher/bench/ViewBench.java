package io.ordo.launcher.bench;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.ordo.proto.SqlGrpc;
import io.ordo.proto.SqlPushResponse;
import io.ordo.proto.SqlRequest;
import io.ordo.proto.SqlRow;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * Continuous SQL through a gateway: how fast a materialized view and a push query follow a
 * table's inserts. {@code clients} threads insert rows {@code (seq, k = seq mod keys, seq)} into a
 * fresh table, each insert one autocommit statement (Sql/Execute), closed loop; a materialized
 * view {@code SELECT k, count(*), max(seq) FROM t GROUP BY k} follows the table, and two push
 * queries follow the table and the view (Sql/Push).
 *
 * <p>Measured, for the inserts sent after {@code warmup} during {@code duration} (times in ms,
 * from the moment the insert was sent, on this process's {@link System#nanoTime} clock, so they
 * include the insert's own commit latency, reported beside them):
 *
 * <ul>
 *   <li>commit latency: insert sent → its Execute answered;
 *   <li>push-query delivery: insert sent → its row arrived on the table's push query;
 *   <li>change → view: insert sent → the view's push query showed a row whose {@code max(seq)}
 *       covers it (the first view row of its key with {@code last_seq >= seq}; rows of one key
 *       that the view folds into one update share that arrival);
 *   <li>throughput: inserts committed per second in the window, and how long after the last
 *       commit the view reflected every insert (its rows' count sum equal to the inserts).
 * </ul>
 *
 * <p>Needs a gateway whose views are maintained (embedded mode: {@code ordo start}).
 */
public final class ViewBench {
  private static final long LATENCY_NS_MAX = TimeUnit.MINUTES.toNanos(1);
  private static final long CALL_DEADLINE_S = 30;
  /** How long the view may take to reflect every insert after the last one. */
  static final Duration CATCH_UP_MAX = Duration.ofSeconds(120);

  /**
   * @param clients inserting threads, 1..256
   * @param keys distinct GROUP BY keys, 1..1,000,000, a multiple of {@code clients}: client
   *     {@code c} writes seqs {@code i * clients + c}, so each key is written by one client, one
   *     insert at a time, and a view row's {@code max(seq)} covering a seq means every earlier
   *     insert of that key is in the view too
   * @param warmup unmeasured time first
   * @param duration measured time, > 0
   */
  public record Settings(int clients, int keys, Duration warmup, Duration duration) {
    public Settings {
      if (clients < 1 || clients > 256) {
        throw new IllegalArgumentException("clients must be in [1, 256], got " + clients);
      }
      if (keys < 1 || keys > 1_000_000 || keys % clients != 0) {
        throw new IllegalArgumentException(
            "keys must be in [1, 1000000] and a multiple of clients (" + clients + "), got " + keys);
      }
      if (duration.isZero() || duration.isNegative() || warmup.isNegative()) {
        throw new IllegalArgumentException("duration must be > 0 and warmup >= 0");
      }
    }
  }

  /** Percentiles of one latency, in ms, and how many samples they summarize. */
  public record Latency(long samples, double p50, double p99, double max) {
    static Latency of(Histogram h) {
      return new Latency(h.getTotalCount(), ms(h.getValueAtPercentile(50)),
          ms(h.getValueAtPercentile(99)), ms(h.getMaxValue()));
    }

    private static double ms(long ns) {
      return ns / 1e6;
    }
  }

  /**
   * One run's figures.
   *
   * @param inserts inserts committed in the measured window
   * @param insertsPerSecond {@code inserts} over the window
   * @param viewCaughtUpMs from the last commit of the run to the view reflecting every insert
   *     (-1: not within {@link #CATCH_UP_MAX})
   */
  public record Result(Settings settings, long inserts, double insertsPerSecond, Latency commit,
      Latency push, Latency view, long viewCaughtUpMs) {}

  private ViewBench() {}

  /**
   * Runs once against the gateway behind {@code channel}, in tables named after {@code name}.
   *
   * @throws io.grpc.StatusRuntimeException a statement of the set-up failed (e.g. views are not
   *     maintained there)
   */
  public static Result run(ManagedChannel channel, String name, Settings s) throws InterruptedException {
    String table = name + "_src";
    String view = name + "_view";
    execute(channel, "CREATE TABLE " + table + " (id BIGINT PRIMARY KEY, k INT NOT NULL,"
        + " seq BIGINT NOT NULL)");
    execute(channel, "CREATE MATERIALIZED VIEW " + view + " AS SELECT k, count(*) AS n,"
        + " max(seq) AS last_seq FROM " + table + " GROUP BY k");

    // The view's job starts some seconds after CREATE: measure the running view, not its start.
    awaitViewRunning(channel, view);

    // Send times by seq, for the inserts sent in the window; removed once the view covered them.
    Map<Long, Long> sentNs = new ConcurrentHashMap<>();
    Map<Long, Boolean> pushed = new ConcurrentHashMap<>();
    Histogram commit = new Histogram(LATENCY_NS_MAX, 3);
    Histogram push = new Histogram(LATENCY_NS_MAX, 3);
    Histogram viewLatency = new Histogram(LATENCY_NS_MAX, 3);
    AtomicLong viewRows = new AtomicLong();
    Map<Long, Long> viewCount = new ConcurrentHashMap<>(); // n per key, as the view shows it

    Context.CancellableContext pushes = Context.current().withCancellation();
    CountDownLatch started = new CountDownLatch(2);
    AtomicReference<Throwable> pushFailure = new AtomicReference<>();
    pushes.run(() -> {
      follow(channel, "SELECT seq FROM " + table + " EMIT CHANGES", started, pushFailure, row -> {
        long seq = longOf(row.getValues(2));
        Long t0 = sentNs.get(seq);
        if (t0 != null && pushed.putIfAbsent(seq, true) == null) {
          synchronized (push) {
            push.recordValue(Math.min(LATENCY_NS_MAX, System.nanoTime() - t0));
          }
        }
      });
      follow(channel, "SELECT k, n, last_seq FROM " + view + " EMIT CHANGES", started, pushFailure, row -> {
        if (!"update_after".equals(row.getValues(1).getStringValue())
            && !"insert".equals(row.getValues(1).getStringValue())) {
          return;
        }
        long now = System.nanoTime();
        long k = longOf(row.getValues(2));
        long n = longOf(row.getValues(3));
        long lastSeq = longOf(row.getValues(4));
        viewCount.put(k, n);
        viewRows.incrementAndGet();
        // Every insert of key k up to lastSeq is now in the view.
        for (long seq = lastSeq; seq >= 0; seq -= s.keys()) {
          Long t0 = sentNs.remove(seq);
          if (t0 == null) {
            if (seq < lastSeq) {
              break; // covered by an earlier view row (or sent outside the window)
            }
            continue;
          }
          synchronized (viewLatency) {
            viewLatency.recordValue(Math.min(LATENCY_NS_MAX, now - t0));
          }
        }
      });
    });
    try {
      if (!started.await(CALL_DEADLINE_S, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the push queries did not start within " + CALL_DEADLINE_S + " s");
      }
      AtomicLong committed = new AtomicLong();
      AtomicLong windowCommits = new AtomicLong();
      AtomicBoolean stop = new AtomicBoolean();
      long startNs = System.nanoTime();
      long windowStartNs = startNs + s.warmup().toNanos();
      long windowEndNs = windowStartNs + s.duration().toNanos();
      AtomicLong lastCommitNs = new AtomicLong(startNs);
      Thread[] writers = new Thread[s.clients()];
      AtomicReference<Throwable> writerFailure = new AtomicReference<>();
      for (int c = 0; c < writers.length; c++) {
        int client = c;
        writers[c] = new Thread(() -> {
          SqlGrpc.SqlBlockingStub stub = SqlGrpc.newBlockingStub(channel);
          try {
            for (long i = 0; !stop.get(); i++) {
              long seq = i * s.clients() + client;
              long t0 = System.nanoTime();
              boolean measured = t0 >= windowStartNs && t0 < windowEndNs;
              if (measured) {
                sentNs.put(seq, t0);
              }
              stub.withDeadlineAfter(CALL_DEADLINE_S, TimeUnit.SECONDS).execute(SqlRequest.newBuilder()
                  .setSql("INSERT INTO " + table + " VALUES (" + seq + ", " + (seq % s.keys()) + ", "
                      + seq + ")").build());
              long t1 = System.nanoTime();
              committed.incrementAndGet();
              lastCommitNs.accumulateAndGet(t1, Math::max);
              if (measured) {
                windowCommits.incrementAndGet();
                synchronized (commit) {
                  commit.recordValue(Math.min(LATENCY_NS_MAX, t1 - t0));
                }
              }
              if (t1 >= windowEndNs) {
                stop.set(true);
              }
            }
          } catch (RuntimeException e) {
            writerFailure.compareAndSet(null, e);
            stop.set(true);
          }
        }, "view-bench-writer-" + c);
        writers[c].start();
      }
      for (Thread w : writers) {
        w.join();
      }
      if (writerFailure.get() != null) {
        throw new IllegalStateException("an insert failed", writerFailure.get());
      }
      // The view has caught up when its counts add up to every committed insert.
      long total = committed.get();
      long deadline = System.nanoTime() + CATCH_UP_MAX.toNanos();
      long caughtUpMs = -1;
      while (System.nanoTime() < deadline && pushFailure.get() == null) {
        if (viewCount.values().stream().mapToLong(Long::longValue).sum() == total) {
          caughtUpMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastCommitNs.get());
          break;
        }
        Thread.sleep(10);
      }
      if (pushFailure.get() != null) {
        throw new IllegalStateException("a push query failed", pushFailure.get());
      }
      double seconds = s.duration().toNanos() / 1e9;
      return new Result(s, windowCommits.get(), windowCommits.get() / seconds,
          Latency.of(commit), Latency.of(push), Latency.of(viewLatency), caughtUpMs);
    } finally {
      pushes.cancel(null);
      try {
        execute(channel, "DROP VIEW IF EXISTS " + view);
        execute(channel, "DROP TABLE IF EXISTS " + table);
      } catch (RuntimeException e) {
        // Best effort: the run's figures stand without the clean-up.
      }
    }
  }

  /** A BIGINT or INTEGER value of a row: a JSON number, or a string for 64-bit values. */
  static long longOf(com.google.protobuf.Value v) {
    return switch (v.getKindCase()) {
      case NUMBER_VALUE -> (long) v.getNumberValue();
      case STRING_VALUE -> Long.parseLong(v.getStringValue());
      default -> throw new IllegalStateException("not an integer: " + v);
    };
  }

  /**
   * Waits until SHOW VIEWS says {@code view}'s job has written (state {@code caught up}), at most
   * {@link #CATCH_UP_MAX}; then the run goes on either way (its latencies then include the start).
   */
  private static void awaitViewRunning(ManagedChannel channel, String view) throws InterruptedException {
    long deadline = System.nanoTime() + CATCH_UP_MAX.toNanos();
    while (System.nanoTime() < deadline) {
      var response = SqlGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_DEADLINE_S, TimeUnit.SECONDS)
          .execute(SqlRequest.newBuilder().setSql("SHOW VIEWS").build());
      for (SqlRow row : response.getResults(0).getRowsList()) {
        if (row.getValues(0).getStringValue().equals(view)
            && row.getValues(4).getStringValue().equals("caught up")) {
          return;
        }
      }
      Thread.sleep(100);
    }
  }

  private static void execute(ManagedChannel channel, String sql) {
    SqlGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_DEADLINE_S, TimeUnit.SECONDS)
        .execute(SqlRequest.newBuilder().setSql(sql).build());
  }

  /** Starts a push query; {@code onRow} gets each row ({@code _position}, {@code _op}, items). */
  private static void follow(ManagedChannel channel, String sql, CountDownLatch started,
      AtomicReference<Throwable> failure, java.util.function.Consumer<SqlRow> onRow) {
    SqlGrpc.newStub(channel).push(SqlRequest.newBuilder().setSql(sql).build(),
        new StreamObserver<>() {
          @Override
          public void onNext(SqlPushResponse r) {
            if (r.getColumnsCount() > 0) {
              started.countDown();
            }
            if (r.hasRow()) {
              onRow.accept(r.getRow());
            }
          }

          @Override
          public void onError(Throwable t) {
            if (!(io.grpc.Status.fromThrowable(t).getCode() == io.grpc.Status.Code.CANCELLED)) {
              failure.compareAndSet(null, t);
            }
            started.countDown();
          }

          @Override
          public void onCompleted() {}
        });
  }

  /** The figures as a Markdown table. */
  public static String toMarkdown(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    sb.append("| clients | keys | inserts/s | commit p50 / p99 ms | push query p50 / p99 ms"
        + " | change -> view p50 / p99 ms | view caught up after last commit |\n");
    sb.append("|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      sb.append(String.format(Locale.ROOT, "| %d | %d | %.1f | %.2f / %.2f | %.2f / %.2f | %.1f / %.1f | %s |%n",
          r.settings().clients(), r.settings().keys(), r.insertsPerSecond(),
          r.commit().p50(), r.commit().p99(), r.push().p50(), r.push().p99(),
          r.view().p50(), r.view().p99(),
          r.viewCaughtUpMs() < 0 ? "not within " + CATCH_UP_MAX.toSeconds() + " s" : r.viewCaughtUpMs() + " ms"));
    }
    return sb.toString();
  }

  /** The figures as a JSON-ready map. */
  public static Map<String, Object> toJson(List<Result> results, Map<String, Object> machine) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("machine", machine);
    List<Map<String, Object>> runs = new java.util.ArrayList<>();
    for (Result r : results) {
      Map<String, Object> run = new LinkedHashMap<>();
      run.put("clients", r.settings().clients());
      run.put("keys", r.settings().keys());
      run.put("warmupSeconds", r.settings().warmup().toMillis() / 1000.0);
      run.put("durationSeconds", r.settings().duration().toMillis() / 1000.0);
      run.put("inserts", r.inserts());
      run.put("insertsPerSecond", r.insertsPerSecond());
      run.put("commit", r.commit());
      run.put("push", r.push());
      run.put("view", r.view());
      run.put("viewCaughtUpMs", r.viewCaughtUpMs());
      runs.add(run);
    }
    out.put("runs", runs);
    return out;
  }
}
