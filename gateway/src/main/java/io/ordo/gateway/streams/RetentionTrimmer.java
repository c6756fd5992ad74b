package io.ordo.gateway.streams;

import io.ordo.gateway.core.BackgroundThreads;
import io.ordo.gateway.core.TxnRunner;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Transaction;
import io.ordo.proto.TrimShard;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.proto.state.ShardInfo;
import io.ordo.proto.state.StreamMetadata;
import io.ordo.storage.MultiVersionStore;
import io.ordo.storage.ShardProgressView;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enforces stream retention: every {@code intervalMs}, for each stream with {@code
 * retention_seconds > 0}, trims each shard up to its first record whose log timestamp is at or
 * after {@code now - retention} (or up to everything the local store holds, when all records are
 * older), with one TrimShard transaction per stream.
 *
 * <p>"Now" is this gateway's wall clock. That is fine here: it only chooses the {@code
 * before_offset} that goes into the log, it is not a decision of the executor, and TrimShard is
 * idempotent and never moves a start offset back, so several gateways doing this at once, or
 * with clocks apart, at worst trim a little early or late. The catalog, the metadata and the
 * offsets come from the local store, without a transaction (a gateway with no retention to
 * enforce appends nothing to the log); the store may lag the log, so a trim asserts the metadata
 * it was planned with (OLLP: a stale read aborts with ASSERT_FAILED and the next round retries),
 * and a lagging store trims less, never more.
 *
 * <p>One thread; a round looks at most {@value #STREAMS_PER_ROUND_MAX} streams (the catalog's
 * first ones after where the previous round stopped), and waits at most {@value
 * #TXN_WAIT_MS} ms for each transaction. Failures are logged and the next round tries again.
 */
public final class RetentionTrimmer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RetentionTrimmer.class);

  /** Default time between rounds, in ms. */
  public static final long DEFAULT_INTERVAL_MS = 30_000;

  /** Most streams one round looks at. */
  public static final int STREAMS_PER_ROUND_MAX = 1_000;

  /** How long a round waits for one transaction's result, in ms. */
  public static final long TXN_WAIT_MS = 10_000;

  private final TxnRunner runner;
  private final MultiVersionStore store;
  private final long intervalMs;
  private final LongSupplier nowMs;
  private final ScheduledExecutorService timer;
  private String resumeAfter = ""; // only touched by the timer thread

  /**
   * @param runner runs the trims
   * @param store the local store (catalog, metadata, record timestamps)
   * @param intervalMs time between rounds, &gt; 0
   * @param nowMs the wall clock, in ms since the epoch
   */
  public RetentionTrimmer(
      TxnRunner runner,
      MultiVersionStore store,
      long intervalMs,
      LongSupplier nowMs) {
    this.runner = Objects.requireNonNull(runner, "runner");
    this.store = Objects.requireNonNull(store, "store");
    if (intervalMs <= 0) {
      throw new IllegalArgumentException("intervalMs must be > 0, got " + intervalMs);
    }
    this.intervalMs = intervalMs;
    this.nowMs = Objects.requireNonNull(nowMs, "nowMs");
    this.timer =
        Executors.newSingleThreadScheduledExecutor(BackgroundThreads.named("ordo-stream-retention"));
  }

  /** Schedules the rounds (the first after one interval). */
  public void start() {
    timer.scheduleWithFixedDelay(this::roundQuietly, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
  }

  private void roundQuietly() {
    try {
      round();
    } catch (RuntimeException e) {
      LOG.warn("stream retention round failed; the next round retries: {}", e.toString());
    }
  }

  /** One round; returns how many shards it trimmed. */
  int round() {
    List<String> names = StreamMetadataReader.names(store.getLatest(StreamKeys.streamCatalog()));
    int from = 0;
    while (from < names.size() && names.get(from).compareTo(resumeAfter) <= 0) {
      from++;
    }
    if (from == names.size()) {
      from = 0; // wrapped around
    }
    int to = Math.min(names.size(), from + STREAMS_PER_ROUND_MAX);
    resumeAfter = to == names.size() ? "" : names.get(to - 1);
    int trimmed = 0;
    for (String name : names.subList(from, to)) {
      trimmed += trimStream(name);
    }
    return trimmed;
  }

  private int trimStream(String name) {
    String key = StreamKeys.stream(name);
    Optional<Value> raw = store.getLatest(key);
    if (raw.isEmpty()) {
      return 0;
    }
    StreamMetadata metadata = StreamMetadataReader.parse(name, raw.get());
    if (metadata.getRetentionSeconds() <= 0) {
      return 0;
    }
    long cutoffMs = nowMs.getAsLong() - metadata.getRetentionSeconds() * 1000;
    Transaction.Builder txn = Transaction.newBuilder().setId(TxnRunner.newTxnId());
    txn.addOps(StreamMetadataReader.assertUnchanged(key, raw));
    for (ShardInfo shard : metadata.getShardsList()) {
      Optional<ShardProgressView> progress = store.shardState(name, shard.getId());
      if (progress.isEmpty()) {
        continue;
      }
      OptionalLong firstKept = store.offsetAtTimestamp(name, shard.getId(), cutoffMs);
      long before = firstKept.orElse(progress.get().end());
      if (before > progress.get().startOffset()) {
        txn.addOps(
            Operation.newBuilder()
                .setKey(StreamKeys.shard(name, shard.getId()))
                .setTrimShard(TrimShard.newBuilder().setBeforeOffset(before)));
      }
    }
    int trims = txn.getOpsCount() - 1;
    if (trims == 0) {
      return 0;
    }
    TxnResult result = runner.execute(txn.build(), TXN_WAIT_MS).join();
    if (result.getOutcome() != Outcome.COMMITTED) {
      // ASSERT_FAILED: the metadata changed (or the store lagged); NOT_FOUND: the stream was
      // deleted meanwhile; anything else is retried next round too.
      LOG.debug("retention trim of stream '{}' did not commit: {} {}", name,
          result.getAbortReason(), result.getDetail());
      return 0;
    }
    LOG.debug("retention trimmed {} shards of stream '{}'", trims, name);
    return trims;
  }

  /** Stops the rounds (a round in progress is interrupted). */
  @Override
  public void close() {
    BackgroundThreads.stopNow(timer, 2_000);
  }
}
