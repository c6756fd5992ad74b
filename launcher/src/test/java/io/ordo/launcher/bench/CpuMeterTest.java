package io.ordo.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class CpuMeterTest {
  @Test
  void threadsAreGroupedByTheNamesTheEmbeddedOrdoUses() {
    assertThat(CpuMeter.groupOf("ordo-bench-client-3")).isEqualTo("load generator");
    assertThat(CpuMeter.groupOf("grpc-default-worker-ELG-3-1")).isEqualTo("grpc/gateway");
    assertThat(CpuMeter.groupOf("kafka-producer-network-thread | ordo-sequencer-ordo-log"))
        .isEqualTo("grpc/gateway");
    assertThat(CpuMeter.groupOf("ordo-results-listener")).isEqualTo("grpc/gateway");
    assertThat(CpuMeter.groupOf("Source Data Fetcher for Source: LogSource (2/2)#0"))
        .isEqualTo("flink");
    assertThat(CpuMeter.groupOf(
        "KeyTransactionProcessor -> ChangelogSink: Writer -> ChangelogSink: Committer (2/2)#0"))
        .isEqualTo("flink");
    assertThat(CpuMeter.groupOf("data-plane-kafka-request-handler-1")).isEqualTo("kafka broker");
    assertThat(CpuMeter.groupOf("data-plane-kafka-network-thread-1-PLAINTEXT-PLAINTEXT-0"))
        .isEqualTo("kafka broker");
    assertThat(CpuMeter.groupOf("Finalizer")).isEqualTo(CpuMeter.OTHER);
  }

  @Test
  void procStatOfThisProcessNamesItsParent() {
    long pid = ProcessHandle.current().pid();
    long[] stat = CpuMeter.readStat((int) pid);
    assertThat(stat).isNotNull();
    assertThat(stat[0]).isEqualTo(ProcessHandle.current().parent().orElseThrow().pid());
    assertThat(stat[1]).isNotNegative();
    assertThat(CpuMeter.readStat(Integer.MAX_VALUE)).isNull();
  }

  @Test
  void busyThreadShowsUpInItsGroupAndInTheProcess() throws Exception {
    CpuMeter meter = new CpuMeter(OptionalInt.empty());
    CpuMeter.Snapshot a = meter.snapshot();
    // Spins until it has used 100 ms of CPU itself (however long a busy machine makes that take,
    // at most 20 s), so the assertion does not depend on how many cores are free.
    Thread spin = new Thread(() -> {
      java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
      long deadline = System.nanoTime() + 20_000_000_000L;
      long x = 0;
      while (mx.getCurrentThreadCpuTime() < 100_000_000L && System.nanoTime() < deadline) {
        x += System.nanoTime() % 7;
      }
      if (x == 42) {
        System.out.print("");
      }
      try {
        Thread.sleep(60_000); // stays alive (and idle) until interrupted after the snapshot
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "ordo-bench-spin");
    spin.start();
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    long waitUntil = System.nanoTime() + 25_000_000_000L;
    while (mx.getThreadCpuTime(spin.getId()) < 100_000_000L && System.nanoTime() < waitUntil) {
      Thread.sleep(10);
    }
    CpuMeter.Snapshot b = meter.snapshot();
    spin.interrupt();
    spin.join();
    CpuMeter.Usage u = meter.between(a, b);
    double groupCpuSeconds = u.groupCores().get("load generator") * u.windowSeconds();
    assertThat(groupCpuSeconds).isGreaterThanOrEqualTo(0.099);
    assertThat(u.processCores() * u.windowSeconds()).isGreaterThanOrEqualTo(groupCpuSeconds - 0.01);
    assertThat(u.topThreads().get("load generator").get(0)).startsWith("ordo-bench-spin: ");
    assertThat(u.postgresCores()).isNull();
  }

  @Test
  void localPostgresUrlsAreRecognised() {
    assertThat(YcsbtBench.isLocal("jdbc:postgresql://127.0.0.1:5432/test")).isTrue();
    assertThat(YcsbtBench.isLocal("jdbc:postgresql://localhost/test")).isTrue();
    assertThat(YcsbtBench.isLocal("jdbc:postgresql:test")).isTrue();
    assertThat(YcsbtBench.isLocal("jdbc:postgresql://db.example.com:5432/test")).isFalse();
  }
}
