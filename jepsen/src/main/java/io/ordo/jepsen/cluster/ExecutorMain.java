package io.ordo.jepsen.cluster;

import io.ordo.executor.EmbeddedExecutor;
import io.ordo.executor.ExecutorConfig;
import io.ordo.sequencer.TopicLayout;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the executor job ({@link EmbeddedExecutor}: a Flink MiniCluster) as a child process of the
 * test cluster until the process is killed. It restores from the newest retained checkpoint under
 * the checkpoint directory, so a kill -9 and a new start continue where the last checkpoint left
 * off. SIGTERM cancels the job cleanly.
 *
 * <p>Arguments: {@code BOOTSTRAP_SERVERS TOPIC_PREFIX CHECKPOINT_DIR CHECKPOINT_INTERVAL_MS
 * [REPLICATION_FACTOR]} (the topics' replication factor, default 1: above 1 the job's Kafka
 * clients get the failover tuning, see {@code KafkaClientTimeouts}). Once
 * the job is RUNNING it prints {@value #READY_MARKER} and the job id to stdout. Bad arguments exit
 * with 2, a failed start with 1.
 */
public final class ExecutorMain {
  /** The stdout line prefix that says the job runs. */
  public static final String READY_MARKER = "ORDO-EXECUTOR-RUNNING";

  private ExecutorMain() {}

  /** Entry point; see the class comment. */
  public static void main(String[] args) throws Exception {
    ExecutorConfig config;
    try {
      if (args.length != 4 && args.length != 5) {
        throw new IllegalArgumentException("need BOOTSTRAP_SERVERS TOPIC_PREFIX CHECKPOINT_DIR CHECKPOINT_INTERVAL_MS [REPLICATION_FACTOR]");
      }
      short replicationFactor = args.length == 5 ? Short.parseShort(args[4]) : 1;
      config = ExecutorConfig.defaults(args[0], TopicLayout.withPrefix(args[1]).withReplicationFactor(replicationFactor))
          .withCheckpointDir(args[2])
          .withCheckpointIntervalMs(Long.parseLong(args[3]));
    } catch (IllegalArgumentException e) {
      System.err.println("ExecutorMain: " + e.getMessage());
      System.exit(2);
      return;
    }
    EmbeddedExecutor executor;
    try {
      executor = EmbeddedExecutor.start(config);
    } catch (Exception e) {
      System.err.println("ExecutorMain: the executor job failed to start: " + e);
      e.printStackTrace();
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        executor.close();
      } finally {
        stopped.countDown();
      }
    }, "executor-shutdown"));
    System.out.println(READY_MARKER + " " + executor.jobId() + " restored-from=" + executor.restoredFrom().orElse("nothing"));
    System.out.flush();
    stopped.await();
  }
}
