package io.ordo.jepsen.checker.linearizable;

import io.ordo.jepsen.checker.Anomaly;
import io.ordo.jepsen.checker.CheckResult;
import io.ordo.jepsen.checker.Checker;
import io.ordo.jepsen.checker.Validity;
import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Op;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Linearizability of a key-value history (name {@code "linearizable-kv"}), checked per key with the
 * Wing–Gong/Lowe search as in Porcupine.
 *
 * <p>History: client ops with {@code f} one of
 *
 * <ul>
 *   <li>{@code :read}, value {@code [k nil]} on invoke and {@code [k v]} on ok, {@code v} the
 *       observed value (nil, a long or a list of longs);
 *   <li>{@code :write}, value {@code [k v]}, {@code v} a long (or a list of longs);
 *   <li>{@code :append}, value {@code [k v]}, {@code v} a long appended to the key's list;
 *   <li>{@code :cas}, value {@code [k [old new]]}, {@code old} and {@code new} longs or nil/longs:
 *       compare-and-set, ok if it set the value, fail if it found another.
 * </ul>
 *
 * {@code :get} and {@code :put} (the 6.824 KV names) are accepted as {@code :read} and {@code
 * :write}. Keys are longs or strings. See {@link KvModel} for the semantics. {@code fail} ops did not happen
 * and are ignored; {@code info} and unfinished writes and appends may take effect at any point
 * after their invoke, or never; info and unfinished reads constrain nothing and are ignored.
 * Nemesis ops are ignored.
 *
 * <p>Before the search, an info or unfinished append whose value no ok read and no cas's expected
 * value of its key contains is dropped, and so is an info or unfinished write of a list that no such
 * observation starts with, on a key whose writes are all lists and that has no cas. Dropping is
 * exact: in any linearization where such an op takes effect, nothing observes the state from then
 * until the next write (appends stay legal on a list or nil), so the same order without it is a
 * linearization too; and "never took effect" is allowed for it. This matters because each pending
 * op multiplies the states the search may have to cache (Knossos and Porcupine keep them; faults
 * that time out many ops made 300 s kv histories exceed the cache bound).
 *
 * <p>Keys are searched one at a time, easiest first by the history's shape: fewer ops, then fewer
 * indeterminate ops, then the earlier first invoke — never by name. Each key's search may use an
 * even share of the budget left when it starts (the time left divided by the keys not yet
 * searched), so a key that finishes early leaves its unused share to the ones after it, and one
 * pathological key (an exponential search) cannot starve the others of the time to find that they
 * are not linearizable. The first key found not linearizable decides the verdict (invalid): the
 * keys after it are not searched. The verdict therefore depends on the ops and the budget, not on
 * key names or map order; only running out of budget (a verdict of unknown) depends on the
 * machine's speed, through the clock.
 *
 * <p>Options:
 *
 * <ul>
 *   <li>{@code "time-limit-ms"} (long >= 0, default 10000): the search budget for the whole
 *       history, shared by the keys as above; a key whose share runs out before its verdict is
 *       unknown, and the result is {@code unknown} (never valid) unless a key was found not
 *       linearizable. The clock is read every 1024 search steps, so a key may overrun its share by
 *       that many steps.
 *   <li>{@code "cache-entries-max"} (long > 0, default 4,000,000) and {@code "cache-bytes-max"}
 *       (long > 0, default 1 GiB): bounds on one key's search cache, whose entries each hold a bit
 *       set of one bit per op of the key plus a state (estimated at ops/8 + 96 bytes); reaching
 *       either makes that key unknown.
 *   <li>{@code "single-register"} (boolean, default false): the history is one register in
 *       Knossos's format, values without keys ({@code :write 3}, {@code :read 3}, {@code :cas [1
 *       2]}); it is reported as key {@value #REGISTER_KEY}.
 * </ul>
 *
 * <p>Result: invalid with one {@code nonlinearizable} anomaly for the first failing key in search
 * order, whose ops are the invoke and completion of the first operation that could not be
 * linearized; else unknown if any key ran out of budget or cache, else valid. {@code extra}:
 * {@code "keys"} (number of keys), {@code "failures"} (the failing key, at most one: {@code "key"},
 * {@code "linearized-prefix"} the invoke indexes of the longest linearizable prefix in
 * linearization order, {@code "first-unlinearizable"} the invoke index of the op that could not be
 * linearized after it), {@code "unknown-keys"} (keys whose search ran out of budget or cache, in
 * search order), {@code "keys-unchecked"} (keys not searched because a failure came first), {@code
 * "cache-entries"} and {@code "search-steps"} (totals over the searched keys) and {@code
 * "indeterminate-dropped"} (ops dropped by the rule above, all keys). {@link #analyze} also returns
 * the failure as an object for {@link LinearizabilityReport}.
 */
public final class LinearizabilityChecker implements Checker {
  /** The default search budget for a whole history, in milliseconds. */
  public static final long DEFAULT_TIME_LIMIT_MS = 10_000;
  /** The default bound on cache entries per key. */
  public static final long DEFAULT_CACHE_ENTRIES_MAX = 4_000_000;

  /** The default bound on the approximate bytes of one key's cache. */
  public static final long DEFAULT_CACHE_BYTES_MAX = 1L << 30;

  /** The key reported for a history checked with "single-register". */
  public static final String REGISTER_KEY = "register";

  private static final Set<String> OPTIONS = Set.of("time-limit-ms", "cache-entries-max", "cache-bytes-max", "single-register");

  private final LongSupplier nanoClock;

  /** A checker timing its search with {@link System#nanoTime()}. */
  public LinearizabilityChecker() {
    this(System::nanoTime);
  }

  /**
   * @param nanoClock the monotonic clock that enforces "time-limit-ms" (injected so tests can make
   *     timeouts deterministic); it only ever turns a verdict into unknown
   */
  public LinearizabilityChecker(LongSupplier nanoClock) {
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
  }

  /**
   * A key whose operations are not linearizable.
   *
   * @param key the key
   * @param ops the key's operations considered by the search: each as [invoke, completion or null]
   *     pairs, in invoke order
   * @param linearizedPrefix the longest linearizable prefix, as invokes in linearization order
   * @param firstUnlinearizable the invoke of the operation that could not be linearized after that
   *     prefix (its completion came before it could take effect)
   */
  public record KeyFailure(Object key, List<OpPair> ops, List<Op> linearizedPrefix, Op firstUnlinearizable) {
    public KeyFailure {
      ops = List.copyOf(ops);
      linearizedPrefix = List.copyOf(linearizedPrefix);
    }
  }

  /** An invoke and its completion ({@code null} if it never completed). */
  public record OpPair(Op invoke, Op completion) {}

  /** The result and, for the report, the failing keys. */
  public record Analysis(CheckResult result, List<KeyFailure> failures) {
    public Analysis {
      failures = List.copyOf(failures);
    }
  }

  @Override
  public String name() {
    return "linearizable-kv";
  }

  @Override
  public CheckResult check(Map<String, Object> options, History history) {
    return analyze(options, history).result();
  }

  /**
   * Checks {@code history} and returns the failures too; see the class comment.
   *
   * @throws IllegalArgumentException for unknown or bad options, or an op of another f or value
   *     shape, naming the op
   */
  public Analysis analyze(Map<String, Object> options, History history) {
    for (String key : new java.util.TreeSet<>(options.keySet())) {
      if (!OPTIONS.contains(key)) {
        throw new IllegalArgumentException(name() + ": unknown option '" + key + "' (known: cache-bytes-max, cache-entries-max, single-register, time-limit-ms)");
      }
    }
    long timeLimitMs = longOption(options, "time-limit-ms", DEFAULT_TIME_LIMIT_MS, 0);
    long cacheEntriesMax = longOption(options, "cache-entries-max", DEFAULT_CACHE_ENTRIES_MAX, 1);
    long cacheBytesMax = longOption(options, "cache-bytes-max", DEFAULT_CACHE_BYTES_MAX, 1);
    long deadlineNanos = nanoClock.getAsLong() + Math.multiplyExact(Math.min(timeLimitMs, Long.MAX_VALUE / 4_000_000L), 1_000_000L);

    Object single = options.getOrDefault("single-register", Boolean.FALSE);
    if (!(single instanceof Boolean)) {
      throw new IllegalArgumentException(name() + ": option 'single-register' must be a boolean, got " + single);
    }
    Map<Object, List<WglSearch.KvOp>> byKey = partition(history, (Boolean) single);
    List<KeyWork> order = searchOrder(byKey);
    List<Anomaly> anomalies = new ArrayList<>();
    List<KeyFailure> failures = new ArrayList<>();
    List<Map<String, Object>> failureFacts = new ArrayList<>();
    List<Object> unknownKeys = new ArrayList<>();
    String unknownWhy = null;
    long cacheEntries = 0;
    long steps = 0;
    long dropped = 0;
    long unchecked = 0;
    for (KeyWork work : order) {
      dropped += work.dropped();
    }
    for (int i = 0; i < order.size(); i++) {
      KeyWork work = order.get(i);
      if (!failures.isEmpty()) {
        // One key that is not linearizable decides the verdict; the rest would only spend budget.
        unchecked++;
        continue;
      }
      List<WglSearch.KvOp> ops = work.ops();
      // An entry costs its bit set (one bit per op) plus a state and the hash set's overhead.
      long entryBytes = ops.size() / 8 + 96;
      long entriesMax = Math.max(1, Math.min(cacheEntriesMax, cacheBytesMax / entryBytes));
      // This key's share of what is left: the rest of the budget split evenly over the keys not yet
      // searched, so a key that finishes early leaves its unused share to the keys after it.
      long now = nanoClock.getAsLong();
      long remaining = Math.max(0, deadlineNanos - now);
      long keyDeadline = now + remaining / (order.size() - i);
      WglSearch.Outcome out = WglSearch.search(ops, nanoClock, keyDeadline, entriesMax);
      cacheEntries += out.cacheEntries();
      steps += out.steps();
      switch (out.verdict()) {
        case LINEARIZABLE -> { }
        case TIME_LIMIT, CACHE_LIMIT -> {
          unknownKeys.add(work.key());
          if (unknownWhy == null) {
            unknownWhy = out.verdict() == WglSearch.Verdict.TIME_LIMIT
                ? "time limit of " + timeLimitMs + " ms reached while searching key " + work.key() + " (its share: "
                    + remaining / (order.size() - i) / 1_000_000 + " ms of the " + remaining / 1_000_000 + " ms left for "
                    + (order.size() - i) + " keys)"
                : "cache bound of " + entriesMax + " entries (cache-entries-max " + cacheEntriesMax + ", cache-bytes-max "
                    + cacheBytesMax + ") reached while searching key " + work.key();
          }
        }
        case NOT_LINEARIZABLE -> {
          KeyFailure f = failure(work.key(), ops, out);
          failures.add(f);
          failureFacts.add(facts(f));
          anomalies.add(anomaly(f, history));
        }
        default -> throw new AssertionError(out.verdict());
      }
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("keys", (long) byKey.size());
    extra.put("failures", failureFacts);
    extra.put("unknown-keys", unknownKeys);
    extra.put("cache-entries", cacheEntries);
    extra.put("search-steps", steps);
    extra.put("indeterminate-dropped", dropped);
    extra.put("keys-unchecked", unchecked);
    CheckResult result = anomalies.isEmpty() && unknownWhy != null
        ? CheckResult.unknown(unknownWhy, extra)
        : CheckResult.of(anomalies, extra);
    if (result.valid() == Validity.TRUE && unknownWhy != null) {
      throw new AssertionError("an exhausted search must never be reported valid");
    }
    return new Analysis(result, failures);
  }

  /**
   * One key's work: its ops without the unobserved indeterminate ones, how many were dropped, and
   * the history index of its first invoke (a key's identity in the history's shape, independent of
   * its name).
   */
  private record KeyWork(Object key, List<WglSearch.KvOp> ops, long dropped, long firstInvoke, long indeterminate) {}

  /**
   * The keys in search order, easiest first by shape: fewer ops, then fewer indeterminate (info or
   * unfinished) ops, then the earlier first invoke. Never by name, so renaming keys or iterating
   * the map in another order cannot change which key gets which share of the budget.
   */
  private static List<KeyWork> searchOrder(Map<Object, List<WglSearch.KvOp>> byKey) {
    List<KeyWork> order = new ArrayList<>(byKey.size());
    for (Map.Entry<Object, List<WglSearch.KvOp>> e : byKey.entrySet()) {
      List<WglSearch.KvOp> ops = withoutUnobservedIndeterminate(e.getValue());
      long indeterminate = ops.stream().filter(op -> !op.isOk()).count();
      order.add(new KeyWork(e.getKey(), ops, e.getValue().size() - ops.size(), e.getValue().get(0).invoke().index(), indeterminate));
    }
    order.sort(Comparator.comparingInt((KeyWork w) -> w.ops().size())
        .thenComparingLong(KeyWork::indeterminate)
        .thenComparingLong(KeyWork::firstInvoke));
    return order;
  }

  private static KeyFailure failure(Object key, List<WglSearch.KvOp> ops, WglSearch.Outcome out) {
    List<OpPair> pairs = new ArrayList<>(ops.size());
    for (WglSearch.KvOp op : ops) {
      pairs.add(new OpPair(op.invoke(), op.completion()));
    }
    List<Op> prefix = new ArrayList<>(out.linearized().size());
    for (int id : out.linearized()) {
      prefix.add(ops.get(id).invoke());
    }
    Op first = out.firstIllegal() < 0 ? null : ops.get(out.firstIllegal()).invoke();
    return new KeyFailure(key, pairs, prefix, first);
  }

  private static Map<String, Object> facts(KeyFailure f) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", f.key());
    List<Object> prefix = new ArrayList<>();
    for (Op op : f.linearizedPrefix()) {
      prefix.add(op.index());
    }
    m.put("linearized-prefix", prefix);
    m.put("first-unlinearizable", f.firstUnlinearizable() == null ? null : f.firstUnlinearizable().index());
    return m;
  }

  private static Anomaly anomaly(KeyFailure f, History history) {
    List<Op> shown = new ArrayList<>();
    StringBuilder why = new StringBuilder("key ").append(f.key()).append(": ");
    Op first = f.firstUnlinearizable();
    if (first != null) {
      shown.add(first);
      history.completion(first).ifPresent(shown::add);
      why.append("op ").append(first.index()).append(" (process ").append(first.process()).append(", ")
          .append(first.f()).append(' ').append(history.completion(first).map(Op::value).orElse(first.value()))
          .append(") cannot be linearized after the longest linearizable prefix of ")
          .append(f.linearizedPrefix().size()).append(" ops");
    } else {
      why.append("no linearization found");
    }
    if (!f.linearizedPrefix().isEmpty()) {
      why.append(" (invokes");
      int shownMax = 20;
      int from = Math.max(0, f.linearizedPrefix().size() - shownMax);
      if (from > 0) {
        why.append(" ...");
      }
      for (Op op : f.linearizedPrefix().subList(from, f.linearizedPrefix().size())) {
        why.append(' ').append(op.index());
      }
      why.append(')');
    }
    return new Anomaly("nonlinearizable", why.toString(), shown);
  }

  /**
   * One key's ops without the info or unfinished appends and writes that nothing observed (see the
   * class comment for the rule and why it is exact), in the same order.
   */
  static List<WglSearch.KvOp> withoutUnobservedIndeterminate(List<WglSearch.KvOp> ops) {
    Set<Object> observedElements = new HashSet<>();
    List<List<?>> observedLists = new ArrayList<>();
    boolean listWritesOnly = true;
    for (WglSearch.KvOp op : ops) {
      Object seen = switch (op.kind()) {
        case READ -> op.observed();
        case CAS -> ((List<?>) op.argument()).get(0);
        default -> null;
      };
      if (seen instanceof List<?> l) {
        observedElements.addAll(l);
        observedLists.add(l);
      }
      if (op.kind() == KvModel.Kind.CAS || op.kind() == KvModel.Kind.WRITE && !(op.argument() instanceof List<?>)) {
        listWritesOnly = false;
      }
    }
    List<WglSearch.KvOp> out = new ArrayList<>(ops.size());
    for (WglSearch.KvOp op : ops) {
      boolean indeterminate = !op.isOk();
      boolean unobserved = switch (op.kind()) {
        case APPEND -> !observedElements.contains(op.argument());
        case WRITE -> listWritesOnly && observedLists.stream().noneMatch(l -> startsWith(l, (List<?>) op.argument()));
        default -> false;
      };
      if (!(indeterminate && unobserved)) {
        out.add(op);
      }
    }
    return out;
  }

  private static boolean startsWith(List<?> list, List<?> prefix) {
    return list.size() >= prefix.size() && list.subList(0, prefix.size()).equals(prefix);
  }

  /** Splits the client ops by key, in key order, dropping fail ops and info/unfinished reads. */
  private Map<Object, List<WglSearch.KvOp>> partition(History history, boolean singleRegister) {
    Map<Object, List<WglSearch.KvOp>> byKey = new TreeMap<>(KEY_ORDER);
    for (Op invoke : history.clientOps()) {
      if (!invoke.isInvoke()) {
        continue;
      }
      KvModel.Kind kind = switch (invoke.f()) {
        case "read", "get" -> KvModel.Kind.READ;
        case "write", "put" -> KvModel.Kind.WRITE;
        case "append" -> KvModel.Kind.APPEND;
        case "cas" -> KvModel.Kind.CAS;
        default -> throw new IllegalArgumentException(
            name() + ": op " + invoke.index() + ": unexpected f '" + invoke.f() + "' (read/get, write/put, append, cas)");
      };
      List<?> arg = pair(invoke, singleRegister);
      Object key = arg.get(0);
      if (!(key instanceof Long || key instanceof String)) {
        throw new IllegalArgumentException(name() + ": op " + invoke.index() + ": key must be a long or a string, got " + key);
      }
      Op completion = history.completion(invoke).orElse(null);
      if (completion != null && completion.isFail()) {
        continue;
      }
      boolean ok = completion != null && completion.isOk();
      Object argument = arg.get(1);
      Object observed = null;
      switch (kind) {
        case READ -> {
          if (!ok) {
            continue;
          }
          List<?> result = pair(completion, singleRegister);
          if (!Objects.equals(result.get(0), key)) {
            throw new IllegalArgumentException(name() + ": op " + completion.index() + ": read of key " + key + " returned key " + result.get(0));
          }
          observed = checkValue(result.get(1), completion, true);
        }
        case WRITE -> checkValue(argument, invoke, false);
        case APPEND -> {
          if (!(argument instanceof Long)) {
            throw new IllegalArgumentException(name() + ": op " + invoke.index() + ": an appended value must be a long, got " + argument);
          }
        }
        case CAS -> {
          if (!(argument instanceof List<?> oldNew && oldNew.size() == 2)) {
            throw new IllegalArgumentException(name() + ": op " + invoke.index() + ": a cas value must be [key [old new]], got " + invoke.value());
          }
          checkValue(oldNew.get(0), invoke, true);
          checkValue(oldNew.get(1), invoke, false);
        }
        default -> throw new AssertionError(kind);
      }
      byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(new WglSearch.KvOp(invoke, completion, kind, argument, observed));
    }
    return byKey;
  }

  private List<?> pair(Op op, boolean singleRegister) {
    if (singleRegister) {
      return java.util.Arrays.asList(REGISTER_KEY, op.value());
    }
    if (op.value() instanceof List<?> l && l.size() == 2) {
      return l;
    }
    throw new IllegalArgumentException(name() + ": op " + op.index() + ": value must be [key value], got " + op.value());
  }

  private Object checkValue(Object v, Op op, boolean nilAllowed) {
    if (v == null && nilAllowed || v instanceof Long) {
      return v;
    }
    if (v instanceof List<?> l) {
      for (Object o : l) {
        if (!(o instanceof Long)) {
          throw new IllegalArgumentException(name() + ": op " + op.index() + ": list values must hold longs, got " + v);
        }
      }
      return v;
    }
    throw new IllegalArgumentException(name() + ": op " + op.index() + ": value must be a long or a list of longs"
        + (nilAllowed ? " or nil" : "") + ", got " + v);
  }

  private long longOption(Map<String, Object> options, String name, long dflt, long min) {
    Object v = options.get(name);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof Long || v instanceof Integer) || ((Number) v).longValue() < min) {
      throw new IllegalArgumentException(name() + ": option '" + name + "' must be a long >= " + min + ", got " + v);
    }
    return ((Number) v).longValue();
  }

  /** Longs before strings, each in natural order. */
  static final Comparator<Object> KEY_ORDER = (a, b) -> {
    if (a instanceof Long x && b instanceof Long y) {
      return Long.compare(x, y);
    }
    if (a instanceof String x && b instanceof String y) {
      return x.compareTo(y);
    }
    return a instanceof Long ? -1 : 1;
  };
}
