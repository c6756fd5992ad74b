package io.ordo.jepsen.checker.stream;

import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Checker;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Keyword;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The stream/queue checker (name {@value #NAME}), after Jepsen's Kafka workload checker
 * (jepsen.tests.kafka). It checks histories of clients that send messages to, and poll messages
 * from, a set of totally ordered append-only logs ("keys": Kafka topic-partitions, identified by
 * longs). Messages are longs, unique per key.
 *
 * <h2>Operations</h2>
 *
 * <ul>
 *   <li>{@code :send}: invoke value {@code [k v]}; ok value {@code [k [offset v]]} (the offset the
 *       log assigned).
 *   <li>{@code :poll}: ok value {@code {k [[offset v] ...]}}: the records the consumer's poll
 *       returned, per key in read order.
 *   <li>{@code :txn}: a list of micro-ops {@code [:send k v]} / {@code [:poll]}, completed as
 *       {@code [:send k [offset v]]} / {@code [:poll {k [[offset v] ...]}]}. Jepsen's own spelling,
 *       {@code :send} and {@code :poll} ops whose values are such micro-op lists, is read too.
 *   <li>{@code :assign} / {@code :subscribe} with a list of keys: the process's consumer now reads
 *       only those keys; the poll-skip and nonmonotonic checks forget the positions of other keys.
 *   <li>{@code :crash} and {@code :debug-topic-partitions} (Jepsen bookkeeping) and nemesis ops are
 *       ignored; any other {@code :f} is rejected.
 * </ul>
 *
 * An invoke without a completion counts as {@code info}: its sends may have happened. A failed or
 * indeterminate operation's sends are known by the invoke's value when the completion has none.
 *
 * <h2>Version order</h2>
 *
 * For every key the checker builds the log it observed: offset → set of values, from the offsets
 * of ok sends (and of info sends whose value some ok poll read) and from the records of every
 * poll. Offsets may have gaps (Kafka's transaction markers take offsets), so positions are compared
 * by <em>index</em>: the rank of an offset among the observed offsets of its key. "Skipping" means
 * an index difference above 1, "going backwards" an index difference below 1 (repeating counts as
 * backwards).
 *
 * <h2>Anomalies</h2>
 *
 * <ul>
 *   <li>{@code inconsistent-offsets}: two different values were observed (by sends or polls) at the
 *       same offset of a key.
 *   <li>{@code duplicate}: one value was observed at more than one offset of a key.
 *   <li>{@code lost-write}: an ok send whose value no ok poll read, although some ok poll read a
 *       value of the same key whose earliest index is at or after the send's last index: a reader
 *       that got that far should have passed it. (Jepsen's definition: the bound is the highest of
 *       the earliest indexes of the values read.)
 *   <li>{@code unseen}: ok sends whose value no ok poll read by the end of the history, one anomaly
 *       per key with the count. This includes lost writes; on its own it is not necessarily an
 *       error (a test without final polls leaves messages unseen), so every mode but "strict" allows
 *       it.
 *   <li>{@code poll-skip}: a process's ok poll of a key starts more than one index after where its
 *       previous ok poll of that key ended: it skipped records it should have seen.
 *   <li>{@code nonmonotonic-poll}: a process's ok poll of a key starts at or before the index where
 *       its previous ok poll of that key ended.
 *   <li>{@code int-poll-skip} / {@code int-nonmonotonic-poll}: the same between consecutive
 *       records of one key within a single ok operation.
 *   <li>{@code nonmonotonic-send}: a process's send to a key (ok or info, offset known) lands at or
 *       before the index of its previous send to that key.
 *   <li>{@code int-nonmonotonic-send}: the same between consecutive sends to one key within one
 *       operation.
 *   <li>{@code G1a} (aborted read): an ok poll read a value whose every send failed.
 * </ul>
 *
 * <h2>Options</h2>
 *
 * <ul>
 *   <li>{@code "mode"} (string): the delivery guarantee under test, which fixes the anomalies that
 *       are allowed: {@code "exactly-once"} (default) allows only {@code unseen};
 *       {@code "at-least-once"} allows {@code duplicate} and {@code unseen}; {@code "strict"}
 *       allows nothing (use it after final polls that drained every key).
 *   <li>{@code "allowed"} (list of anomaly type names, or one comma-separated string): further
 *       allowed types, added to the mode's; e.g. {@code ["poll-skip", "nonmonotonic-poll"]} for
 *       consumers in a rebalancing group.
 *   <li>{@code "anomalies-per-type-max"} (integer 1..100000, default 32): how many anomalies of each
 *       type are listed; {@code extra["anomaly-counts"]} always has the full counts.
 * </ul>
 *
 * <h2>Result</h2>
 *
 * The verdict is false iff some anomaly type that is not allowed was found; it is never unknown.
 * {@code anomalyTypes} lists every type found, allowed or not. {@code extra} holds {@code mode},
 * {@code allowed-anomaly-types}, {@code disallowed-anomaly-types} (found and not allowed), {@code
 * anomaly-counts} (type → count), {@code unseen-count}, {@code unseen-by-key} (key → count), {@code
 * key-count} and {@code anomalies-per-type-max}. All lists and maps are in ascending order.
 */
public final class StreamChecker implements Checker {
  /** The checker's command-line name. */
  public static final String NAME = "stream";

  public static final String OPTION_MODE = "mode";
  public static final String OPTION_ALLOWED = "allowed";
  public static final String OPTION_ANOMALIES_PER_TYPE_MAX = "anomalies-per-type-max";

  public static final String INCONSISTENT_OFFSETS = "inconsistent-offsets";
  public static final String DUPLICATE = "duplicate";
  public static final String LOST_WRITE = "lost-write";
  public static final String UNSEEN = "unseen";
  public static final String POLL_SKIP = "poll-skip";
  public static final String NONMONOTONIC_POLL = "nonmonotonic-poll";
  public static final String INT_POLL_SKIP = "int-poll-skip";
  public static final String INT_NONMONOTONIC_POLL = "int-nonmonotonic-poll";
  public static final String NONMONOTONIC_SEND = "nonmonotonic-send";
  public static final String INT_NONMONOTONIC_SEND = "int-nonmonotonic-send";
  public static final String G1A = "G1a";

  /** Every anomaly type this checker reports, ascending. */
  public static final SortedSet<String> ANOMALY_TYPES = Collections.unmodifiableSortedSet(new TreeSet<>(List.of(
      INCONSISTENT_OFFSETS, DUPLICATE, LOST_WRITE, UNSEEN, POLL_SKIP, NONMONOTONIC_POLL, INT_POLL_SKIP,
      INT_NONMONOTONIC_POLL, NONMONOTONIC_SEND, INT_NONMONOTONIC_SEND, G1A)));

  /** The delivery modes and the anomaly types each allows. */
  public static final Map<String, Set<String>> MODES = Map.of(
      "exactly-once", Set.of(UNSEEN),
      "at-least-once", Set.of(UNSEEN, DUPLICATE),
      "strict", Set.of());

  public static final String DEFAULT_MODE = "exactly-once";
  public static final int DEFAULT_ANOMALIES_PER_TYPE_MAX = 32;
  static final int ANOMALIES_PER_TYPE_LIMIT = 100_000;

  private static final Set<String> OPTIONS = Set.of(OPTION_MODE, OPTION_ALLOWED, OPTION_ANOMALIES_PER_TYPE_MAX);

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Checks a stream history; see the class comment for operations, anomalies and options.
   *
   * @param options may be null or empty
   * @throws IllegalArgumentException for an unknown option or value, or an op whose value is not of
   *     a stream op's shape (naming the op)
   */
  @Override
  public CheckResult check(Map<String, Object> options, History history) {
    Map<String, Object> opts = options == null ? Map.of() : options;
    for (String k : new TreeSet<>(opts.keySet())) {
      if (!OPTIONS.contains(k)) {
        throw new IllegalArgumentException("unknown option '" + k + "' for checker " + NAME + "; known: " + new TreeSet<>(OPTIONS));
      }
    }
    String mode = parseMode(opts.get(OPTION_MODE));
    SortedSet<String> allowed = new TreeSet<>(MODES.get(mode));
    allowed.addAll(parseAllowed(opts.get(OPTION_ALLOWED)));
    int perTypeMax = parsePerTypeMax(opts.get(OPTION_ANOMALIES_PER_TYPE_MAX));

    StreamAnalysis analysis = new StreamAnalysis(history, perTypeMax);
    analysis.run();

    SortedSet<String> found = new TreeSet<>(analysis.counts().keySet());
    SortedSet<String> disallowed = new TreeSet<>(found);
    disallowed.removeAll(allowed);

    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("mode", mode);
    extra.put("allowed-anomaly-types", List.copyOf(allowed));
    extra.put("disallowed-anomaly-types", List.copyOf(disallowed));
    extra.put("anomaly-counts", Collections.unmodifiableSortedMap(analysis.counts()));
    extra.put("unseen-count", analysis.unseenCount());
    extra.put("unseen-by-key", Collections.unmodifiableSortedMap(analysis.unseenByKey()));
    extra.put("key-count", (long) analysis.keyCount());
    extra.put("anomalies-per-type-max", (long) perTypeMax);
    Validity validity = disallowed.isEmpty() ? Validity.TRUE : Validity.FALSE;
    return new CheckResult(validity, found, analysis.anomalies(), extra);
  }

  private static String parseMode(Object o) {
    if (o == null) {
      return DEFAULT_MODE;
    }
    String mode = o instanceof Keyword k ? k.name() : o instanceof String s ? s : null;
    if (mode == null || !MODES.containsKey(mode)) {
      throw new IllegalArgumentException("option " + OPTION_MODE + " must be one of " + new TreeSet<>(MODES.keySet()) + ", got " + o);
    }
    return mode;
  }

  private static List<String> parseAllowed(Object o) {
    if (o == null) {
      return List.of();
    }
    List<Object> items = new ArrayList<>();
    if (o instanceof String s) {
      for (String part : s.split(",", -1)) {
        if (!part.isBlank()) {
          items.add(part.strip());
        }
      }
    } else if (o instanceof List<?> l) {
      items.addAll(l);
    } else {
      throw new IllegalArgumentException("option " + OPTION_ALLOWED + " must be a list of anomaly types, got " + o);
    }
    List<String> out = new ArrayList<>();
    for (Object item : items) {
      String t = item instanceof Keyword k ? k.name() : item instanceof String s ? s : null;
      if (t == null || !ANOMALY_TYPES.contains(t)) {
        throw new IllegalArgumentException("option " + OPTION_ALLOWED + ": unknown anomaly type " + item + "; known: " + ANOMALY_TYPES);
      }
      out.add(t);
    }
    return out;
  }

  private static int parsePerTypeMax(Object o) {
    if (o == null) {
      return DEFAULT_ANOMALIES_PER_TYPE_MAX;
    }
    if (!(o instanceof Long || o instanceof Integer)) {
      throw new IllegalArgumentException("option " + OPTION_ANOMALIES_PER_TYPE_MAX + " must be an integer, got " + o);
    }
    long n = ((Number) o).longValue();
    if (n < 1 || n > ANOMALIES_PER_TYPE_LIMIT) {
      throw new IllegalArgumentException(
          "option " + OPTION_ANOMALIES_PER_TYPE_MAX + " must be in 1.." + ANOMALIES_PER_TYPE_LIMIT + ", got " + n);
    }
    return (int) n;
  }
}
