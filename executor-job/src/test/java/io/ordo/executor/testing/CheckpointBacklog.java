package io.ordo.executor.testing;

import io.ordo.executor.EmbeddedExecutor;
import io.ordo.proto.Transaction;
import io.ordo.sequencer.Sequencer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * Makes a recovery test's precondition hold by construction: a checkpoint that completes while
 * the job is behind, so that the state it holds has multi-range transactions read and unfinished
 * (locks waiting for write results). A client appending as fast as acknowledgements come is not
 * enough: on a quiet machine the job keeps up and its checkpoints fall between transactions (CI
 * once saw none in flight).
 *
 * <p>{@link #appendUntilBehindAtACheckpoint} appends bursts of {@value #BURST_TXNS} transactions
 * at once; after each it waits until the job answered {@value #PROGRESS_TXNS} of them (so the
 * next checkpoint's barrier comes after the job read the burst) and for a checkpoint newer than
 * the last, and stops once at least {@value #BACKLOG_MIN} transactions were unanswered when that
 * checkpoint completed, after at most {@value #BURSTS_MAX} bursts.
 */
public final class CheckpointBacklog {
  /** Transactions of one burst, appended at once (acknowledgements awaited together). */
  public static final int BURST_TXNS = 2_000;
  /** Bursts at most. */
  public static final int BURSTS_MAX = 5;
  /** Unanswered transactions at a completed checkpoint that end the bursts. */
  public static final int BACKLOG_MIN = 200;
  /** Transactions the job must answer during a burst before the next checkpoint counts. */
  public static final int PROGRESS_TXNS = 100;

  private CheckpointBacklog() {}

  /**
   * Appends bursts from {@code stream} until a checkpoint under {@code checkpoints} completes
   * with a backlog (above).
   *
   * @param answered how many transactions have a result now
   * @param appendedElsewhere how many transactions other clients have appended now
   * @param state the job's state, for a timeout's message
   * @return the transactions appended, in order (at most {@code BURSTS_MAX * BURST_TXNS})
   * @throws AssertionError if a wait times out after {@code timeout}
   */
  public static List<Transaction> appendUntilBehindAtACheckpoint(
      Sequencer sequencer, Workloads.ClientStream stream, IntSupplier answered,
      IntSupplier appendedElsewhere, Path checkpoints, Duration timeout, Supplier<String> state,
      Logger log) throws Exception {
    List<Transaction> bursts = new ArrayList<>();
    for (int burst = 1; burst <= BURSTS_MAX; burst++) {
      int before = answered.getAsInt();
      List<CompletableFuture<?>> acks = new ArrayList<>();
      for (int i = 0; i < BURST_TXNS; i++) {
        Transaction txn = stream.next();
        bursts.add(txn);
        acks.add(sequencer.append(txn));
      }
      CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      Waits.until("the job answered " + PROGRESS_TXNS + " transactions during burst " + burst,
          () -> answered.getAsInt() >= before + PROGRESS_TXNS, timeout,
          () -> answered.getAsInt() + " results, job " + state.get());
      Optional<Path> last = EmbeddedExecutor.latestCheckpoint(checkpoints);
      Waits.until("a checkpoint newer than " + last.orElseThrow(),
          () -> !EmbeddedExecutor.latestCheckpoint(checkpoints).equals(last), timeout, state);
      int backlog = appendedElsewhere.getAsInt() + bursts.size() - answered.getAsInt();
      log.info("burst {}: {} unanswered when {} completed", burst, backlog,
          EmbeddedExecutor.latestCheckpoint(checkpoints).orElseThrow().getFileName());
      if (backlog >= BACKLOG_MIN) {
        break;
      }
    }
    return bursts;
  }

  /**
   * A stream of transfers and list appends for bursts, seeded by {@code seed}, without the
   * transactions that set the balances (the client's own stream has set them; setting them again
   * while its transfers run would change the total).
   */
  public static Workloads.ClientStream transfersOnly(long seed, int accounts, int lists,
      long initialBalance, String idPrefix) {
    Workloads.ClientStream stream =
        new Workloads.ClientStream(seed, accounts, lists, initialBalance, idPrefix);
    for (int i = 0; i < accounts; i++) {
      stream.next();
    }
    return stream;
  }
}
