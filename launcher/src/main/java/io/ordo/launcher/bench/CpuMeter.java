package io.ordo.launcher.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * CPU use over a measured window, in <em>cores</em> (CPU seconds per wall second; 1.0 = one core
 * busy all the time).
 *
 * <p>Sources: this JVM's process CPU time ({@code com.sun.management.OperatingSystemMXBean}); the
 * CPU time of each live Java thread ({@link ThreadMXBean}), grouped by thread name with {@link
 * #GROUPS} (first match wins; JVM-internal threads such as GC and JIT compilers are not Java
 * threads, so they show up only as {@code process - sum of groups}); and, for a local PostgreSQL,
 * {@code utime + stime} from {@code /proc/<pid>/stat} of the postmaster and all its children (in
 * clock ticks of {@value #CLOCK_TICKS_PER_SECOND} Hz, Linux's USER_HZ).
 *
 * <p>Limits: a thread or backend that exits during the window loses its CPU time from the group
 * sums (it still counts in the process total); per-thread CPU time must be supported by the JVM
 * (HotSpot on Linux does).
 */
public final class CpuMeter {
  /** Linux's USER_HZ, the unit of utime/stime in /proc/[pid]/stat on every mainstream arch. */
  public static final int CLOCK_TICKS_PER_SECOND = 100;

  /** Threads listed per group in the report (the busiest ones). */
  public static final int TOP_THREADS_PER_GROUP = 5;

  /** Name of the group of threads no pattern matched. */
  public static final String OTHER = "other";

  /**
   * Thread groups by name pattern, in matching order. Kafka client threads inside Flink's sources
   * and sinks count as Flink; the sequencer's producer and the result listener count as gateway.
   */
  public static final Map<String, Pattern> GROUPS = groups();

  private static Map<String, Pattern> groups() {
    Map<String, Pattern> g = new LinkedHashMap<>();
    g.put("load generator", Pattern.compile("^ordo-bench-.*"));
    g.put("grpc/gateway", Pattern.compile(
        "^(grpc-.*|ordo-(gateway|sequencer|result|heartbeat|txn|rest).*"
            + "|kafka-producer-network-thread \\| ordo-sequencer.*|ordo-results.*"
            + "|HTTP-Dispatcher.*|.*ResultListener.*)"));
    g.put("flink", Pattern.compile(
        "^(Source: .*|Sink.*|.*Operator.*|.*Processor.*|.*Sorter.*|.*FanOut.*|Flink.*|flink-.*"
            + "|.*pekko.*|.*akka.*|jobmanager.*|mini-cluster.*|Checkpoint.*|.*checkpoint.*"
            + "|AsyncOperations.*|OutputFlusher.*|Legacy Source.*|.*Fetcher.*|Channel state.*"
            + "|.*[Ss]ource [Dd]ata [Ff]etcher.*|.*SplitFetcher.*|kafka-producer-network-thread.*"
            + "|.*\\(\\d+/\\d+\\)#\\d+.*|Timer service.*|IOManager.*|cluster-io-thread.*"
            + "|rocksdb.*|RocksDB.*|.*Time Trigger.*|.*[Ww]atermark.*)"));
    g.put("kafka broker", Pattern.compile(
        "^(data-plane-.*|kafka-.*|.*[Rr]aft.*|quorum-.*|controller-.*|broker-.*|"
            + "ExpirationReaper.*|LogDirFailureHandler.*|group-coordinator.*|"
            + "share-coordinator.*|transaction-coordinator.*|ReplicaFetcher.*|"
            + ".*request-handler.*|executor-.*|.*[Cc]oordinator.*|metrics-.*|"
            + "log-cleaner.*|kafka-log-.*|.*-event-handler.*|AlterPartition.*|"
            + ".*node-to-controller.*|TopicBasedRemoteLogMetadataManager.*|.*-reaper.*"
            + "|idle-timeout-task.*|.*[Ss]napshot.*|.*[Ll]eader.*)"));
    return java.util.Collections.unmodifiableMap(g);
  }

  /** The group of a thread name. */
  public static String groupOf(String threadName) {
    for (Map.Entry<String, Pattern> e : GROUPS.entrySet()) {
      if (e.getValue().matcher(threadName).matches()) {
        return e.getKey();
      }
    }
    return OTHER;
  }

  /**
   * CPU use over a window.
   *
   * @param windowSeconds wall time of the window
   * @param processCores this JVM's CPU, in cores
   * @param groupCores CPU of the Java threads per group (in {@link #GROUPS} order, then {@value
   *     #OTHER}, then {@code jvm internal (GC, JIT)} = process minus all threads), in cores
   * @param topThreads per group, up to {@value #TOP_THREADS_PER_GROUP} busiest threads as {@code
   *     "name: cores"}
   * @param postgresCores CPU of the PostgreSQL server processes in cores, or null when not measured
   * @param postgresProcesses how many server processes were summed, or null
   * @param brokerRequestsPerSecond requests per second handled by a Kafka broker running in this
   *     JVM (the embedded Ordo's), by request type ({@code Produce}, {@code FetchConsumer}, ...),
   *     sorted by name; empty when no broker runs in this JVM. Kafka's cost is per request more
   *     than per record, so this tells how well the pipeline batches.
   */
  public record Usage(
      double windowSeconds,
      double processCores,
      Map<String, Double> groupCores,
      Map<String, List<String>> topThreads,
      Double postgresCores,
      Integer postgresProcesses,
      Map<String, Double> brokerRequestsPerSecond) {}

  /** A point-in-time reading. */
  public static final class Snapshot {
    final long wallNanos;
    final long processCpuNanos;
    final Map<Long, Long> threadCpuNanos;
    final Map<Long, String> threadNames;
    final Map<Integer, Long> postgresTicks;
    final Map<String, Long> brokerRequests;

    private Snapshot(long wallNanos, long processCpuNanos, Map<Long, Long> threadCpuNanos,
        Map<Long, String> threadNames, Map<Integer, Long> postgresTicks,
        Map<String, Long> brokerRequests) {
      this.wallNanos = wallNanos;
      this.processCpuNanos = processCpuNanos;
      this.threadCpuNanos = threadCpuNanos;
      this.threadNames = threadNames;
      this.postgresTicks = postgresTicks;
      this.brokerRequests = brokerRequests;
    }
  }

  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final OptionalInt postmasterPid;

  /**
   * @param postmasterPid the PostgreSQL postmaster's pid to account for, or empty
   */
  public CpuMeter(OptionalInt postmasterPid) {
    this.postmasterPid = postmasterPid;
    if (threads.isThreadCpuTimeSupported() && !threads.isThreadCpuTimeEnabled()) {
      threads.setThreadCpuTimeEnabled(true);
    }
  }

  /** Reads all counters now. */
  public Snapshot snapshot() {
    Map<Long, Long> cpu = new HashMap<>();
    Map<Long, String> names = new HashMap<>();
    if (threads.isThreadCpuTimeSupported()) {
      for (long id : threads.getAllThreadIds()) {
        long t = threads.getThreadCpuTime(id);
        java.lang.management.ThreadInfo info = threads.getThreadInfo(id);
        if (t >= 0 && info != null) {
          cpu.put(id, t);
          names.put(id, info.getThreadName());
        }
      }
    }
    Map<Integer, Long> pg = postmasterPid.isPresent()
        ? postgresTicks(postmasterPid.getAsInt()) : Map.of();
    return new Snapshot(System.nanoTime(), processCpuNanos(), cpu, names, pg, brokerRequestCounts());
  }

  /**
   * The cumulative request counts of the Kafka broker in this JVM by request type, read from its
   * {@code kafka.network:type=RequestMetrics,name=RequestsPerSec,request=*,version=*} meters
   * (summed over versions); empty when there is none.
   */
  static Map<String, Long> brokerRequestCounts() {
    Map<String, Long> counts = new TreeMap<>();
    javax.management.MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    try {
      javax.management.ObjectName pattern =
          new javax.management.ObjectName("kafka.network:type=RequestMetrics,name=RequestsPerSec,*");
      for (javax.management.ObjectName name : server.queryNames(pattern, null)) {
        String request = name.getKeyProperty("request");
        Object count = server.getAttribute(name, "Count");
        if (request != null && count instanceof Number n) {
          counts.merge(request, n.longValue(), Long::sum);
        }
      }
    } catch (javax.management.JMException e) {
      // A meter that vanished between the query and the read (broker shutting down): skip it.
    }
    return counts;
  }

  /** The usage between two snapshots. */
  public Usage between(Snapshot a, Snapshot b) {
    double wall = Math.max(1, b.wallNanos - a.wallNanos) / 1e9;
    double process = Math.max(0, b.processCpuNanos - a.processCpuNanos) / 1e9 / wall;
    Map<String, Double> groups = new LinkedHashMap<>();
    Map<String, List<Map.Entry<String, Double>>> perThread = new HashMap<>();
    for (String g : GROUPS.keySet()) {
      groups.put(g, 0.0);
    }
    groups.put(OTHER, 0.0);
    double threadsTotal = 0;
    for (Map.Entry<Long, Long> e : b.threadCpuNanos.entrySet()) {
      long before = a.threadCpuNanos.getOrDefault(e.getKey(), 0L);
      double cores = Math.max(0, e.getValue() - before) / 1e9 / wall;
      String name = b.threadNames.get(e.getKey());
      String group = groupOf(name);
      groups.merge(group, cores, Double::sum);
      perThread.computeIfAbsent(group, k -> new ArrayList<>()).add(Map.entry(name, cores));
      threadsTotal += cores;
    }
    groups.put("jvm internal (GC, JIT)", Math.max(0, process - threadsTotal));
    Map<String, List<String>> top = new LinkedHashMap<>();
    for (String g : groups.keySet()) {
      List<Map.Entry<String, Double>> list = perThread.getOrDefault(g, List.of());
      top.put(g, list.stream()
          .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
          .limit(TOP_THREADS_PER_GROUP)
          .map(x -> x.getKey() + ": " + String.format(java.util.Locale.ROOT, "%.3f", x.getValue()))
          .toList());
    }
    Double pgCores = null;
    Integer pgProcs = null;
    if (postmasterPid.isPresent()) {
      long ticks = 0;
      for (Map.Entry<Integer, Long> e : b.postgresTicks.entrySet()) {
        ticks += Math.max(0, e.getValue() - a.postgresTicks.getOrDefault(e.getKey(), 0L));
      }
      pgCores = ticks / (double) CLOCK_TICKS_PER_SECOND / wall;
      pgProcs = b.postgresTicks.size();
    }
    Map<String, Double> requests = new TreeMap<>();
    b.brokerRequests.forEach((type, count) -> {
      long delta = count - a.brokerRequests.getOrDefault(type, 0L);
      if (delta > 0) {
        requests.put(type, delta / wall);
      }
    });
    return new Usage(wall, process, groups, top, pgCores, pgProcs, requests);
  }

  private static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return Math.max(0, sun.getProcessCpuTime());
    }
    return 0;
  }

  /**
   * The postmaster of the backend {@code backendPid}: its parent process, read from {@code
   * /proc/<pid>/stat}; empty if /proc cannot be read or does not show a postgres backend and
   * postmaster under that pid (the server runs elsewhere or in another PID namespace).
   */
  public static OptionalInt postmasterOf(int backendPid) {
    // pg_backend_pid() is the pid in the server's PID namespace: when the server runs in another
    // namespace (a container, a CI sandbox) the same number here may be an unrelated process, so
    // both the backend and its parent must be postgres processes.
    long[] stat = readStat(backendPid);
    if (stat == null || !isPostgres(backendPid) || !isPostgres((int) stat[0])) {
      return OptionalInt.empty();
    }
    return OptionalInt.of((int) stat[0]);
  }

  /** Whether {@code /proc/<pid>/comm} names a PostgreSQL server process. */
  static boolean isPostgres(int pid) {
    try {
      String comm = Files.readString(Path.of("/proc", Integer.toString(pid), "comm"),
          StandardCharsets.US_ASCII).trim();
      return comm.startsWith("postgres") || comm.startsWith("postmaster");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** utime + stime in ticks of the postmaster and each of its children, by pid. */
  static Map<Integer, Long> postgresTicks(int postmaster) {
    Map<Integer, Long> ticks = new HashMap<>();
    long[] own = readStat(postmaster);
    if (own != null) {
      ticks.put(postmaster, own[1]);
    }
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      procs.map(p -> p.getFileName().toString())
          .filter(n -> n.chars().allMatch(Character::isDigit))
          .mapToInt(Integer::parseInt)
          .forEach(pid -> {
            long[] s = readStat(pid);
            if (s != null && s[0] == postmaster) {
              ticks.put(pid, s[1]);
            }
          });
    } catch (IOException e) {
      // No /proc: nothing to sum.
    }
    return ticks;
  }

  /** {ppid, utime + stime} of a process, or null if it cannot be read. */
  static long[] readStat(int pid) {
    String stat;
    try {
      stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"),
          StandardCharsets.US_ASCII);
    } catch (IOException | RuntimeException e) {
      return null;
    }
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    int close = stat.lastIndexOf(')');
    if (close < 0) {
      return null;
    }
    String[] f = stat.substring(close + 2).trim().split(" ");
    // f[0] is field 3 (state): ppid is field 4, utime field 14, stime field 15.
    if (f.length < 13) {
      return null;
    }
    try {
      return new long[] {Long.parseLong(f[1]), Long.parseLong(f[11]) + Long.parseLong(f[12])};
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
