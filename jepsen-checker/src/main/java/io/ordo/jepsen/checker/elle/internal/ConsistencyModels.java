package io.ordo.jepsen.checker.elle.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Consistency models and the anomalies each forbids, after Elle's consistency-model table (Adya's
 * PL levels, Cerone's snapshot isolation, and the session/realtime strengthenings):
 *
 * <ul>
 *   <li>every model forbids the anomalies that mean the history itself is corrupt or the database
 *       broke the transaction's own view: duplicate-elements, incompatible-order, internal,
 *       future-read;
 *   <li>read-uncommitted (PL-1): G0;
 *   <li>read-committed (PL-2): also G1a, G1b, G1c, dirty-update;
 *   <li>snapshot-isolation: read-committed plus G-single, G-nonadjacent, lost-update (write skew,
 *       G2-item with adjacent rw edges, stays allowed);
 *   <li>strong-session-snapshot-isolation / strong-snapshot-isolation: snapshot isolation plus
 *       the -process (and -realtime) variants of G0, G1c, G-single and G-nonadjacent;
 *   <li>repeatable-read (PL-2.99) and serializable (PL-3): read-committed plus G-single,
 *       G-nonadjacent, G2-item, lost-update (with item-only histories the two coincide);
 *   <li>strong-session-serializable: serializable plus the -process variants of the cycles;
 *   <li>strict-serializable (alias strong-serializable): also the -realtime variants.
 * </ul>
 *
 * A model is stronger than another iff it forbids a superset of its anomalies.
 */
public final class ConsistencyModels {
  private static final Map<String, SortedSet<String>> FORBIDDEN = new LinkedHashMap<>();

  static {
    List<String> always = List.of("duplicate-elements", "incompatible-order", "internal", "future-read");
    List<String> ru = concat(always, List.of("G0"));
    List<String> rc = concat(ru, List.of("G1a", "G1b", "G1c", "dirty-update"));
    List<String> si = concat(rc, List.of("G-single", "G-nonadjacent", "lost-update"));
    List<String> ser = concat(si, List.of("G2-item"));
    List<String> cycles = List.of("G0", "G1c", "G-single", "G-nonadjacent", "G2-item");
    List<String> process = new ArrayList<>();
    List<String> realtime = new ArrayList<>();
    for (String c : cycles) {
      process.add(c + "-process");
      realtime.add(c + "-realtime");
    }
    List<String> session = concat(ser, process);
    List<String> strict = concat(session, realtime);
    // Strong (session) snapshot isolation: snapshot isolation whose snapshots respect process
    // (realtime) order, so the cycles SI forbids may not use those edges either; write skew stays.
    List<String> siCycles = List.of("G0", "G1c", "G-single", "G-nonadjacent");
    List<String> sessionSi = new ArrayList<>(si);
    List<String> strongSi = new ArrayList<>(si);
    for (String c : siCycles) {
      sessionSi.add(c + "-process");
      strongSi.add(c + "-process");
      strongSi.add(c + "-realtime");
    }
    put("read-uncommitted", ru);
    put("read-committed", rc);
    put("snapshot-isolation", si);
    put("strong-session-snapshot-isolation", sessionSi);
    put("strong-snapshot-isolation", strongSi);
    put("repeatable-read", ser);
    put("serializable", ser);
    put("strong-session-serializable", session);
    put("strict-serializable", strict);
    put("strong-serializable", strict);
  }

  private ConsistencyModels() {}

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private static void put(String model, List<String> anomalies) {
    FORBIDDEN.put(model, Collections.unmodifiableSortedSet(new TreeSet<>(anomalies)));
  }

  /**
   * Expands Elle's aggregate anomaly names for the "anomalies" option: "G1" is G1a, G1b and G1c;
   * "G2" is G2-item, G-single and G-nonadjacent; any other name stands for itself.
   */
  public static List<String> expandAnomaly(String name) {
    return switch (name) {
      case "G1" -> List.of("G1a", "G1b", "G1c");
      case "G2" -> List.of("G2-item", "G-single", "G-nonadjacent");
      default -> List.of(name);
    };
  }

  /** The known model names, weakest first. */
  public static List<String> names() {
    return List.copyOf(FORBIDDEN.keySet());
  }

  /**
   * The anomaly types {@code model} forbids.
   *
   * @throws IllegalArgumentException for an unknown model, listing the known ones
   */
  public static SortedSet<String> forbidden(String model) {
    SortedSet<String> f = FORBIDDEN.get(model);
    if (f == null) {
      throw new IllegalArgumentException("unknown consistency model '" + model + "'; known: " + names());
    }
    return f;
  }

  /**
   * Judges found anomaly types against all known models.
   *
   * @return "not": the weakest models the anomalies violate; "also-not": the other violated
   *     models; "possible": the models not violated (all lists sorted by name)
   */
  public static Map<String, List<String>> judge(Collection<String> anomalyTypes) {
    List<String> violated = new ArrayList<>();
    List<String> possible = new ArrayList<>();
    for (Map.Entry<String, SortedSet<String>> e : FORBIDDEN.entrySet()) {
      if (anomalyTypes.stream().anyMatch(e.getValue()::contains)) {
        violated.add(e.getKey());
      } else {
        possible.add(e.getKey());
      }
    }
    List<String> weakest = new ArrayList<>();
    List<String> others = new ArrayList<>();
    for (String m : violated) {
      SortedSet<String> fm = FORBIDDEN.get(m);
      boolean hasWeaker = violated.stream()
          .map(FORBIDDEN::get)
          .anyMatch(fo -> fm.containsAll(fo) && !fo.containsAll(fm));
      (hasWeaker ? others : weakest).add(m);
    }
    Collections.sort(weakest);
    Collections.sort(others);
    Collections.sort(possible);
    Map<String, List<String>> out = new LinkedHashMap<>();
    out.put("not", weakest);
    out.put("also-not", others);
    out.put("possible", possible);
    return out;
  }
}
