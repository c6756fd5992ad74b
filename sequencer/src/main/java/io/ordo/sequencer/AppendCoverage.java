package io.ordo.sequencer;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What one {@link Sequencer}'s transactions still need from heartbeats: whether every log
 * partition holds an entry that this sequencer appended and the broker stamped <em>after</em> the
 * newest transaction it appended (docs/design.md, "Heartbeats").
 *
 * <p>The executor runs a transaction at log time {@code T} once every partition's watermark (its
 * largest broker timestamp − 1) has reached {@code T}, so once every partition holds an entry
 * stamped later than {@code T} nothing more is needed for it: those entries are in the log for
 * good, and the executor reaches them whenever it reads that far (now, or after a restart). A
 * heartbeat service that sends rounds until the transactions are {@link #covered()} therefore
 * writes a few heartbeats per partition after a lone transaction and none while nothing is
 * appended.
 *
 * <p>Not covered: a transaction append that the broker has not answered yet (its timestamp is
 * unknown), or a partition whose newest acknowledged entry from this sequencer is not later than
 * the newest acknowledged transaction. At the start nothing is covered, so a new service sends
 * rounds until each partition acknowledged one entry: that closes the timestamps of transactions
 * a previous process appended and could not cover any more. A failed append is counted ({@link
 * #failed()}); whether it reached the log is unknown, so its timestamp is too; {@link
 * HeartbeatService} covers it by time (its quiet period) instead.
 *
 * <p>Thread-safe and lock-free: the producer's I/O thread records acknowledgements, callers record
 * appends, the heartbeat thread reads. Each record updates the timestamps before the counters, and
 * readers read the counters before the timestamps, so a reader that sees a completion also sees
 * its timestamp.
 */
public final class AppendCoverage {
  private final int partitions;
  // Largest broker timestamp of any entry (transaction or heartbeat) acknowledged per partition.
  private final AtomicLongArray ackedTsMax;
  private final AtomicLong transactionTsMax = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong handed = new AtomicLong();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong acked = new AtomicLong();
  private volatile Runnable listener = () -> {};

  /** @param partitions the log topic's partitions, &gt; 0 */
  public AppendCoverage(int partitions) {
    if (partitions <= 0) {
      throw new IllegalArgumentException("partitions must be > 0, got " + partitions);
    }
    this.partitions = partitions;
    this.ackedTsMax = new AtomicLongArray(partitions);
    for (int p = 0; p < partitions; p++) {
      ackedTsMax.set(p, Long.MIN_VALUE);
    }
  }

  /**
   * Sets what runs after every transaction event ({@link #transactionHanded}, {@link
   * #transactionAcked}, {@link #transactionFailed}); it runs on the caller's or the producer's
   * I/O thread and must not block. One listener; a later call replaces it.
   */
  public void onTransactionEvent(Runnable listener) {
    this.listener = listener == null ? () -> {} : listener;
  }

  /** A transaction was handed to the producer. */
  public void transactionHanded() {
    handed.incrementAndGet();
    listener.run();
  }

  /** The broker acknowledged a transaction on {@code partition} at {@code brokerTs}. */
  public void transactionAcked(int partition, long brokerTs) {
    ackedTsMax.accumulateAndGet(partition, brokerTs, Math::max);
    transactionTsMax.accumulateAndGet(brokerTs, Math::max);
    acked.incrementAndGet();
    completed.incrementAndGet();
    listener.run();
  }

  /** A transaction append failed: it may or may not be in the log. */
  public void transactionFailed() {
    failed.incrementAndGet();
    completed.incrementAndGet();
    listener.run();
  }

  /** The broker acknowledged another entry (a heartbeat) on {@code partition} at {@code brokerTs}. */
  public void entryAcked(int partition, long brokerTs) {
    ackedTsMax.accumulateAndGet(partition, brokerTs, Math::max);
    acked.incrementAndGet();
  }

  /**
   * Entries (transactions and heartbeats) the broker acknowledged so far: a heartbeat service
   * reads its progress here, since an acknowledgement shows the broker is answering.
   */
  public long acked() {
    return acked.get();
  }

  /** Transactions handed to the producer so far. */
  public long handed() {
    return handed.get();
  }

  /** Transaction appends answered so far (acknowledged or failed). */
  public long completed() {
    return completed.get();
  }

  /** Transaction appends that failed so far. */
  public long failed() {
    return failed.get();
  }

  /**
   * The largest broker timestamp (ms) of any acknowledged transaction, {@link Long#MIN_VALUE}
   * before the first: the log time that entries stamped later close.
   */
  public long newestTransactionTs() {
    return transactionTsMax.get();
  }

  /**
   * The largest broker timestamp (ms) of any entry acknowledged on {@code partition}, {@link
   * Long#MIN_VALUE} before the first.
   */
  public long ackedTs(int partition) {
    return ackedTsMax.get(partition);
  }

  /** Whether every transaction handed to the producer so far has been answered. */
  public boolean allAnswered() {
    return handed.get() == completed.get();
  }

  /**
   * Whether no transaction append is unanswered and every partition has an acknowledged entry
   * stamped later than the newest acknowledged transaction (false at the start until every
   * partition acknowledged one entry).
   */
  public boolean covered() {
    long done = completed.get();
    if (handed.get() != done) {
      return false;
    }
    long newest = transactionTsMax.get();
    for (int p = 0; p < partitions; p++) {
      long acked = ackedTsMax.get(p);
      if (acked == Long.MIN_VALUE || acked <= newest) {
        return false;
      }
    }
    return true;
  }
}
