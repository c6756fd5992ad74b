package io.ordo.launcher.demo;

import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.ordo.executor.ExecutorConfig;
import io.ordo.gateway.HealthProbe;
import io.ordo.proto.Get;
import io.ordo.proto.KeyRead;
import io.ordo.proto.Operation;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.Outcome;
import io.ordo.proto.Put;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.TxnResponse;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * The bank demo: the YCSB-T transfer workload (as in the Styx paper) driven through the gateway's
 * gRPC API, followed by a check that money is conserved.
 *
 * <ol>
 *   <li>Waits until the gateway reports SERVING.
 *   <li>Loads {@code accounts} accounts {@code acct-00000..} with {@code initialBalance} each, in
 *       transactions of {@code loadBatchSize} puts of int64 counters (up to {@value
 *       #LOAD_BATCHES_IN_FLIGHT_MAX} at once).
 *   <li>Runs {@code clients} closed-loop clients for {@code duration}. Each transfer moves an
 *       amount uniform in [1, maxAmount] from a debtor drawn uniformly to a different creditor
 *       drawn from a Zipfian(theta) distribution, as one transaction {@code [increment(debtor,
 *       -amount, min 0), increment(creditor, +amount)]}; insufficient funds abort it with
 *       BOUND_VIOLATED.
 *   <li>Reads every account in one transaction (one consistent snapshot) and checks that the total
 *       is {@code accounts * initialBalance} and that no balance is negative.
 * </ol>
 *
 * <p>Each client draws its transfers from its own {@link Random} seeded from {@code seed} and its
 * index, so the sequence of transfers a client sends is reproducible (the interleaving of clients,
 * and hence the outcomes, are not).
 */
public final class BankDemo {
  /** Pause after a failed RPC, so that a client facing an unavailable gateway does not spin. */
  static final long ERROR_PAUSE_MS = 10;

  /** Upper bound on the latency samples kept over all clients (8 bytes each). */
  static final int LATENCY_SAMPLES_MAX = 1_000_000;

  /** Deadline of the loading and verification transactions: they are large, so allow more. */
  static final Duration BULK_RPC_TIMEOUT_MIN = Duration.ofSeconds(60);

  /** Upper bound on loading transactions in flight at once. */
  static final int LOAD_BATCHES_IN_FLIGHT_MAX = 4;

  /** How often the progress bar is updated while the clients run. */
  static final long PROGRESS_UPDATE_MS = 250;

  private final BankDemoConfig config;
  private final OrdoGrpc.OrdoBlockingStub stub;
  private final PrintWriter status;

  private BankDemo(BankDemoConfig config, Channel channel, PrintWriter status) {
    this.config = Objects.requireNonNull(config, "config");
    this.stub = OrdoGrpc.newBlockingStub(Objects.requireNonNull(channel, "channel"));
    this.status = Objects.requireNonNull(status, "status");
  }

  /**
   * Runs the demo against the gateway behind {@code channel}.
   *
   * @param config the workload
   * @param channel a channel to a gateway's gRPC endpoint; not closed here
   * @param status where phase messages go (typically stderr); the progress bar, when enabled, is
   *     drawn on {@link System#err}
   * @return the report; {@link BankDemoReport#passed()} tells whether the invariant held
   * @throws IllegalStateException if the gateway does not get ready or loading the accounts fails
   * @throws InterruptedException if the calling thread is interrupted
   */
  public static BankDemoReport run(BankDemoConfig config, Channel channel, PrintWriter status)
      throws InterruptedException {
    return new BankDemo(config, channel, status).run();
  }

  private BankDemoReport run() throws InterruptedException {
    say("waiting for the gateway to serve (at most %d s)", config.readyTimeout().toSeconds());
    HealthProbe.awaitServing(stub.getChannel(), config.readyTimeout());
    load();
    ClientsRun clients = runClients();
    BankDemoReport.Verification verification = verify();
    return report(clients, verification);
  }

  /** The clients after they stopped, and how long the transfer phase took. */
  private record ClientsRun(List<Client> clients, long elapsedNs) {}

  // ---- loading ----

  private void load() throws InterruptedException {
    loadAccounts(stub.getChannel(), config.accounts(), config.initialBalance(),
        config.loadBatchSize(), config.rpcTimeout(), status, "ordo demo");
  }

  /**
   * Loads accounts {@code acct-00000..} with {@code initialBalance} each (int64 counters), in
   * transactions of {@code loadBatchSize} puts, up to {@value #LOAD_BATCHES_IN_FLIGHT_MAX} at once.
   * Shared with {@code ordo bench ycsbt}.
   *
   * @param channel a channel to a serving gateway; not closed here
   * @param accounts number of accounts, >= 1
   * @param initialBalance balance of each account
   * @param loadBatchSize puts per transaction, >= 1
   * @param rpcTimeout deadline of each transaction (at least {@code BULK_RPC_TIMEOUT_MIN})
   * @param status where the phase message goes
   * @param who prefix of the phase message (e.g. "ordo demo")
   * @throws IllegalStateException if a loading transaction fails or does not commit
   * @throws InterruptedException if the calling thread is interrupted
   */
  public static void loadAccounts(Channel channel, int accounts, long initialBalance,
      int loadBatchSize, Duration rpcTimeout, PrintWriter status, String who)
      throws InterruptedException {
    OrdoGrpc.OrdoBlockingStub stub = OrdoGrpc.newBlockingStub(channel);
    long startNs = System.nanoTime();
    Value balance = Value.newBuilder().setCounter(initialBalance).build();
    List<Callable<Void>> batches = new ArrayList<>();
    for (int from = 0; from < accounts; from += loadBatchSize) {
      int first = from;
      int last = Math.min(accounts, from + loadBatchSize) - 1;
      batches.add(() -> {
        TxnRequest.Builder request = TxnRequest.newBuilder();
        for (int i = first; i <= last; i++) {
          request.addOps(
              Operation.newBuilder()
                  .setKey(BankDemoConfig.accountKey(i))
                  .setPut(Put.newBuilder().setValue(balance)));
        }
        String what = "loading accounts " + first + ".." + last;
        TxnResult result = bulkTxn(stub, rpcTimeout, request.build(), what);
        if (result.getOutcome() != Outcome.COMMITTED) {
          throw new IllegalStateException(what + " did not commit: " + describe(result));
        }
        return null;
      });
    }
    // The batches touch disjoint accounts, so they may run concurrently; a few in flight hide
    // the per-transaction latency without flooding the gateway with large requests.
    int threads = Math.min(batches.size(), LOAD_BATCHES_IN_FLIGHT_MAX);
    ExecutorService pool =
        Executors.newFixedThreadPool(threads, daemonThreads("bank-demo-load-"));
    try {
      for (Future<Void> done : pool.invokeAll(batches)) {
        try {
          done.get();
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          throw cause instanceof RuntimeException r
              ? r
              : new IllegalStateException("loading accounts failed", cause);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    status.println(who + ": " + String.format(Locale.ROOT,
        "loaded %d accounts with %d each in %d transaction%s (%.1f s)", accounts,
        initialBalance, batches.size(), batches.size() == 1 ? "" : "s",
        (System.nanoTime() - startNs) / 1e9));
    status.flush();
  }

  private static TxnResult bulkTxn(
      OrdoGrpc.OrdoBlockingStub stub, Duration rpcTimeout, TxnRequest request, String what) {
    long deadlineMs = Math.max(rpcTimeout.toMillis(), BULK_RPC_TIMEOUT_MIN.toMillis());
    try {
      TxnResponse response =
          stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS).txn(request);
      return response.getResult();
    } catch (StatusRuntimeException e) {
      throw new IllegalStateException(what + " failed: " + e.getStatus(), e);
    }
  }

  // ---- transfers ----

  private ClientsRun runClients() throws InterruptedException {
    say("running %d clients for %s (theta %s, amounts 1..%d, seed %d)", config.clients(),
        humanDuration(config.duration()), config.theta(), config.maxAmount(), config.seed());
    // The bench's generator without a cross-range share: debtor uniform, creditor Zipfian over
    // the other accounts (the key range count only labels transfers; the demo does not use it).
    TransferWorkload creditors = new TransferWorkload(config.accounts(), config.theta(),
        config.maxAmount(), ExecutorConfig.DEFAULT_KEY_RANGE_COUNT, OptionalInt.empty());
    AtomicLong committedSoFar = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    int samplesPerClient = Math.max(1, LATENCY_SAMPLES_MAX / config.clients());
    long durationNs = config.duration().toNanos();
    long startNs = System.nanoTime();
    long endNs = startNs + durationNs;
    List<Client> clients = new ArrayList<>();
    for (int i = 0; i < config.clients(); i++) {
      clients.add(new Client(i, creditors, samplesPerClient, committedSoFar, stop, endNs));
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(config.clients(), daemonThreads("bank-demo-client-"));
    for (Client client : clients) {
      pool.execute(client);
    }
    pool.shutdown();
    ProgressBar bar = config.progress() ? newProgressBar(config.duration().toMillis()) : null;
    try {
      // The clients stop by themselves at endNs; wait for them, updating the bar meanwhile.
      while (!pool.awaitTermination(PROGRESS_UPDATE_MS, TimeUnit.MILLISECONDS)) {
        long elapsedNs = System.nanoTime() - startNs;
        if (bar != null) {
          bar.stepTo(Math.min(TimeUnit.NANOSECONDS.toMillis(elapsedNs), bar.getMax()));
          bar.setExtraMessage("committed " + committedSoFar.get());
        }
        // A client stuck in an RPC past its deadline would be a gRPC bug; still, bound the wait.
        if (elapsedNs > durationNs + config.rpcTimeout().toNanos() + TimeUnit.SECONDS.toNanos(10)) {
          stop.set(true);
          pool.shutdownNow();
          if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("bank demo clients did not stop");
          }
          break;
        }
      }
      if (bar != null) {
        bar.stepTo(bar.getMax());
        bar.setExtraMessage("committed " + committedSoFar.get());
      }
    } finally {
      if (bar != null) {
        bar.close();
      }
      stop.set(true);
      pool.shutdownNow();
    }
    return new ClientsRun(clients, System.nanoTime() - startNs);
  }

  private static ProgressBar newProgressBar(long durationMs) {
    return new ProgressBarBuilder()
        .setTaskName("transfers")
        .setInitialMax(durationMs)
        .setUnit("s", 1000)
        .setUpdateIntervalMillis((int) PROGRESS_UPDATE_MS)
        .setConsumer(new ConsoleProgressBarConsumer(System.err))
        .hideEta()
        .build();
  }

  private static ThreadFactory daemonThreads(String namePrefix) {
    AtomicInteger n = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, namePrefix + n.getAndIncrement());
      thread.setDaemon(true);
      return thread;
    };
  }

  /** One closed-loop client: sends a transfer, waits for its result, repeats until endNs. */
  private final class Client implements Runnable {
    private final Random random;
    private final TransferWorkload creditors;
    private final LatencySamples latencies;
    private final AtomicLong committedSoFar;
    private final AtomicBoolean stop;
    private final SortedMap<String, Long> abortsByReason = new TreeMap<>();
    private final SortedMap<String, Long> otherOutcomes = new TreeMap<>();
    private final SortedMap<String, Long> rpcErrorsByCode = new TreeMap<>();
    private final long endNs;
    private long attempted;
    private long committed;

    Client(
        int index,
        TransferWorkload creditors,
        int samplesCapacity,
        AtomicLong committedSoFar,
        AtomicBoolean stop,
        long endNs) {
      // Distinct, reproducible streams per client; the reservoir has its own stream so that the
      // transfers a client sends never depend on how many results it has seen.
      long clientSeed = config.seed() * 1_000_003L + index;
      this.random = new Random(clientSeed);
      this.latencies = new LatencySamples(samplesCapacity, ~clientSeed);
      this.creditors = creditors;
      this.committedSoFar = committedSoFar;
      this.stop = stop;
      this.endNs = endNs;
    }

    @Override
    public void run() {
      long rpcTimeoutMs = config.rpcTimeout().toMillis();
      while (!stop.get() && System.nanoTime() - endNs < 0) {
        TxnRequest request = nextTransfer();
        attempted++;
        long startNs = System.nanoTime();
        TxnResult result;
        try {
          result =
              stub.withDeadlineAfter(rpcTimeoutMs, TimeUnit.MILLISECONDS).txn(request).getResult();
        } catch (StatusRuntimeException e) {
          rpcErrorsByCode.merge(e.getStatus().getCode().name(), 1L, Long::sum);
          if (!pause()) {
            return;
          }
          continue;
        } catch (RuntimeException e) {
          // Not an RPC status (a client-side bug): count it instead of silently losing the thread.
          rpcErrorsByCode.merge("CLIENT_" + e.getClass().getSimpleName(), 1L, Long::sum);
          if (!pause()) {
            return;
          }
          continue;
        }
        long latencyNs = System.nanoTime() - startNs;
        switch (result.getOutcome()) {
          case COMMITTED -> {
            committed++;
            committedSoFar.incrementAndGet();
            latencies.record(latencyNs);
          }
          case ABORTED -> abortsByReason.merge(result.getAbortReason().name(), 1L, Long::sum);
          default -> otherOutcomes.merge(result.getOutcome().name(), 1L, Long::sum);
        }
      }
    }

    private boolean pause() {
      try {
        Thread.sleep(ERROR_PAUSE_MS);
        return true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }

    private TxnRequest nextTransfer() {
      return TransferWorkload.toRequest(creditors.next(random));
    }
  }

  // ---- verification ----

  private BankDemoReport.Verification verify() {
    say("verifying: one transaction reading all %d accounts", config.accounts());
    return verifyAccounts(
        stub.getChannel(), config.accounts(), config.expectedTotal(), config.rpcTimeout());
  }

  /**
   * Reads accounts {@code acct-00000..} in one transaction (one consistent snapshot) and checks
   * that each exists, holds a non-negative counter, and that the total is {@code expectedTotal}.
   * Shared with {@code ordo bench ycsbt}.
   *
   * @param channel a channel to a serving gateway; not closed here
   * @param accounts number of accounts, at most {@link BankDemoConfig#TXN_OPS_MAX}
   * @param expectedTotal the total the balances must add up to
   * @param rpcTimeout deadline of the read (at least {@code BULK_RPC_TIMEOUT_MIN})
   * @return the verification; a failed RPC is reported in it, not thrown
   */
  public static BankDemoReport.Verification verifyAccounts(
      Channel channel, int accounts, long expectedTotal, Duration rpcTimeout) {
    OrdoGrpc.OrdoBlockingStub stub = OrdoGrpc.newBlockingStub(channel);
    TxnRequest.Builder request = TxnRequest.newBuilder();
    for (int i = 0; i < accounts; i++) {
      request.addOps(
          Operation.newBuilder()
              .setKey(BankDemoConfig.accountKey(i))
              .setGet(Get.getDefaultInstance()));
    }
    TxnResult result;
    try {
      result = bulkTxn(stub, rpcTimeout, request.build(), "the verification read");
    } catch (IllegalStateException e) {
      return BankDemoReport.Verification.failed(e.getMessage(), expectedTotal);
    }
    if (result.getOutcome() != Outcome.COMMITTED) {
      return BankDemoReport.Verification.failed(
          "it did not commit: " + describe(result), expectedTotal);
    }
    return checkBalances(result, accounts, expectedTotal);
  }

  /**
   * Checks the reads of a committed all-accounts read (op i reads account i) against the bank's
   * invariant. Package-private for tests.
   */
  static BankDemoReport.Verification checkBalances(
      TxnResult result, int accounts, long expectedTotal) {
    boolean[] seen = new boolean[accounts];
    int found = 0;
    int nonCounter = 0;
    int negative = 0;
    long total = 0;
    for (KeyRead read : result.getReadsList()) {
      int index = read.getOpIndex();
      if (read.getPostState() || index < 0 || index >= accounts || seen[index]) {
        continue;
      }
      if (!read.getKey().equals(BankDemoConfig.accountKey(index))) {
        return BankDemoReport.Verification.failed(
            "read of op " + index + " is for key '" + read.getKey() + "', expected '"
                + BankDemoConfig.accountKey(index) + "'", expectedTotal);
      }
      seen[index] = true;
      if (!read.getFound()) {
        continue;
      }
      found++;
      if (read.getValue().getKindCase() != Value.KindCase.COUNTER) {
        nonCounter++;
        continue;
      }
      long balance = read.getValue().getCounter();
      if (balance < 0) {
        negative++;
      }
      try {
        total = Math.addExact(total, balance);
      } catch (ArithmeticException e) {
        return BankDemoReport.Verification.failed("the balances overflow int64", expectedTotal);
      }
    }
    return new BankDemoReport.Verification(
        null, found, accounts - found, nonCounter, negative, total, expectedTotal);
  }

  // ---- report ----

  private BankDemoReport report(ClientsRun run, BankDemoReport.Verification verification) {
    long attempted = 0;
    long committed = 0;
    SortedMap<String, Long> aborts = new TreeMap<>();
    SortedMap<String, Long> others = new TreeMap<>();
    SortedMap<String, Long> rpcErrors = new TreeMap<>();
    List<LatencySamples> latencies = new ArrayList<>();
    for (Client client : run.clients()) {
      attempted += client.attempted;
      committed += client.committed;
      client.abortsByReason.forEach((k, v) -> aborts.merge(k, v, Long::sum));
      client.otherOutcomes.forEach((k, v) -> others.merge(k, v, Long::sum));
      client.rpcErrorsByCode.forEach((k, v) -> rpcErrors.merge(k, v, Long::sum));
      latencies.add(client.latencies);
    }
    return new BankDemoReport(
        config.accounts(),
        config.initialBalance(),
        config.clients(),
        Math.max(1, TimeUnit.NANOSECONDS.toMillis(run.elapsedNs())),
        attempted,
        committed,
        aborts,
        others,
        rpcErrors,
        LatencySamples.percentilesOf(latencies),
        verification);
  }

  private static String describe(TxnResult result) {
    return result.getOutcome()
        + (result.getOutcome() == Outcome.ABORTED ? " " + result.getAbortReason() : "")
        + (result.getDetail().isEmpty() ? "" : " (" + result.getDetail() + ")");
  }

  /** Formats a duration as "30s", "2m", "1h2m3s" or "1500ms". */
  static String humanDuration(Duration d) {
    long ms = d.toMillis();
    if (ms % 1000 != 0) {
      return ms + "ms";
    }
    long s = ms / 1000;
    StringBuilder sb = new StringBuilder();
    if (s >= 3600) {
      sb.append(s / 3600).append('h');
    }
    if (s % 3600 >= 60) {
      sb.append(s % 3600 / 60).append('m');
    }
    if (s % 60 != 0 || sb.length() == 0) {
      sb.append(s % 60).append('s');
    }
    return sb.toString();
  }

  private void say(String format, Object... args) {
    status.println("ordo demo: " + String.format(Locale.ROOT, format, args));
    status.flush();
  }
}
