package io.ordo.jepsen.checker.elle.internal;

import static io.ordo.jepsen.checker.elle.internal.DepGraph.PROCESS;
import static io.ordo.jepsen.checker.elle.internal.DepGraph.REALTIME;
import static io.ordo.jepsen.checker.elle.internal.DepGraph.RW;
import static io.ordo.jepsen.checker.elle.internal.DepGraph.WR;
import static io.ordo.jepsen.checker.elle.internal.DepGraph.WW;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Finds and classifies dependency cycles, as Elle does: Tarjan's strongly connected components of
 * the whole graph, then, inside each component of two or more transactions, a breadth-first search
 * per anomaly specification for one short cycle of that shape.
 *
 * <p>A search starts from one edge {@code a → b} of the kind the specification needs most (an rw
 * edge for the rw anomalies, a realtime/process edge for the -realtime/-process variants, a wr edge
 * for G1c) and looks for the shortest path back from b to a over a product graph of (node, mode),
 * where the mode tracks what the path used so far (number of rw edges capped at 2, whether the
 * first and the last edge were rw, whether two rw edges were adjacent, whether a wr and a
 * realtime/process edge occurred). Only
 * node-simple cycles are reported; a search whose shortest walk revisits a node moves on to the
 * next start edge, so a rare cycle can be missed (never invented). Each found cycle is classified
 * by the edges it actually uses (for the base anomalies that is the specification's own type; a
 * -process/-realtime specification yields either suffix), and each component reports at most one
 * cycle per specification.
 *
 * <p>Time bound: the deadline is checked before each start edge; when it passes the search stops
 * and {@link Result#timedOut()} is true (the caller's verdict is then unknown unless it already has
 * a forbidden anomaly). The clock is injected so the bound can be tested.
 */
public final class CycleSearch {
  /** A classified cycle: nodes[i] → nodes[i+1] (cyclically) via edgeTypes[i]. */
  public record Cycle(String type, int[] nodes, int[] edgeTypes) {}

  /** What the search found, and whether it ran out of time. */
  /**
   * @param cycles the reported cycles, at most {@link #CYCLES_PER_TYPE_MAX} per type
   * @param countsByType how many components showed each cycle type (reported or not)
   */
  public record Result(List<Cycle> cycles, Map<String, Long> countsByType, boolean timedOut, int nontrivialComponents, int largestComponentSize) {}

  /** Upper bound on cycles kept per anomaly type, so a badly broken history stays reportable. */
  public static final int CYCLES_PER_TYPE_MAX = 32;

  private static final int MODES = 128;
  // Mode bits.
  private static final int RW_COUNT_MASK = 3; // 0, 1 or 2 (two or more)
  private static final int LAST_RW = 4;
  private static final int FIRST_RW = 8;
  private static final int SAW_WR = 16;
  private static final int SAW_RTP = 32;
  private static final int ADJACENT_RW = 64;

  private static final int DATA = WW | WR | RW;
  private static final int RTP = PROCESS | REALTIME;

  /** One search shape; see the class comment. */
  private record Spec(int allowed, int startTypes, int rwMax, int rwMin, boolean nonadjacent, boolean adjacent, boolean needWr, boolean needRtp) {}

  private static final List<Spec> SPECS = List.of(
      new Spec(WW, WW, 0, 0, false, false, false, false), // G0
      new Spec(WW | WR, WR, 0, 0, false, false, true, false), // G1c
      new Spec(DATA, RW, 1, 1, false, false, false, false), // G-single
      new Spec(DATA, RW, 2, 2, true, false, false, false), // G-nonadjacent
      new Spec(DATA, RW, 2, 2, false, true, false, false), // G2-item
      new Spec(WW | RTP, RTP, 0, 0, false, false, false, true), // G0-process / -realtime
      new Spec(WW | WR | RTP, RTP, 0, 0, false, false, true, true), // G1c-...
      new Spec(DATA | RTP, RTP, 1, 1, false, false, false, true), // G-single-...
      new Spec(DATA | RTP, RW, 2, 2, true, false, false, true), // G-nonadjacent-...
      new Spec(DATA | RTP, RTP, 2, 2, false, true, false, true)); // G2-item-...

  private final DepGraph graph;
  private final LongSupplier nanoClock;
  private final long deadlineNanos;

  private int[] component;
  private int[] local;
  private int[] stamp;
  private int[] parent;
  private byte[] parentType;
  private int[] queue;
  private int epoch;

  /**
   * @param graph a frozen graph
   * @param nanoClock a monotonic clock in nanoseconds (System::nanoTime in production)
   * @param timeLimitMs the search's time budget in milliseconds, >= 0
   */
  public CycleSearch(DepGraph graph, LongSupplier nanoClock, long timeLimitMs) {
    if (timeLimitMs < 0) {
      throw new IllegalArgumentException("time-limit-ms must be >= 0, got " + timeLimitMs);
    }
    this.graph = graph;
    this.nanoClock = nanoClock;
    long now = nanoClock.getAsLong();
    long budget = timeLimitMs > Long.MAX_VALUE / 1_000_000 ? Long.MAX_VALUE / 2 : timeLimitMs * 1_000_000;
    this.deadlineNanos = now + budget;
  }

  /** Runs the search. */
  public Result run() {
    List<int[]> components = stronglyConnectedComponents(DATA | RTP);
    int largest = 0;
    for (int[] c : components) {
      largest = Math.max(largest, c.length);
    }
    Map<String, List<Cycle>> byType = new LinkedHashMap<>();
    Map<String, Long> counts = new java.util.TreeMap<>();
    if (components.isEmpty()) {
      return new Result(List.of(), Map.of(), false, 0, 0);
    }
    component = new int[graph.nodeCount()];
    Arrays.fill(component, -1);
    local = new int[graph.nodeCount()];
    for (int ci = 0; ci < components.size(); ci++) {
      int[] c = components.get(ci);
      for (int i = 0; i < c.length; i++) {
        component[c[i]] = ci;
        local[c[i]] = i;
      }
    }
    long states = (long) largest * MODES;
    if (states > Integer.MAX_VALUE / 2) {
      return new Result(List.of(), Map.of(), true, components.size(), largest);
    }
    stamp = new int[(int) states];
    parent = new int[(int) states];
    parentType = new byte[(int) states];
    queue = new int[(int) states];
    // A cycle over a restricted set of edge types lies inside one component of that subgraph, so
    // each specification only starts from and walks within those components; this keeps a
    // specification with no such cycle linear instead of quadratic in a large component.
    Map<Integer, int[]> restricted = new java.util.HashMap<>();
    for (Spec spec : SPECS) {
      restricted.computeIfAbsent(spec.allowed(), m -> (m & RTP) != 0 ? component : componentIds(m));
    }
    boolean timedOut = false;
    outer:
    for (int ci = 0; ci < components.size(); ci++) {
      int[] c = components.get(ci);
      java.util.Set<String> foundHere = new java.util.HashSet<>();
      nextSpec:
      for (Spec spec : SPECS) {
        int[] within = restricted.get(spec.allowed());
        for (int a : c) {
          if (within[a] < 0) {
            continue;
          }
          for (int e = graph.edgesStart(a); e < graph.edgesEnd(a); e++) {
            int b = graph.target(e);
            if (within[b] != within[a]) {
              continue;
            }
            int startMask = usable(graph.mask(e), spec) & spec.startTypes();
            for (int t = 1; t <= REALTIME; t <<= 1) {
              if ((startMask & t) == 0) {
                continue;
              }
              if (nanoClock.getAsLong() - deadlineNanos >= 0) {
                timedOut = true;
                break outer;
              }
              Cycle cycle = search(spec, within, c, a, b, t);
              if (cycle != null && foundHere.add(cycle.type())) {
                counts.merge(cycle.type(), 1L, Long::sum);
                List<Cycle> list = byType.computeIfAbsent(cycle.type(), k -> new ArrayList<>());
                if (list.size() < CYCLES_PER_TYPE_MAX) {
                  list.add(cycle);
                }
              }
              if (cycle != null) {
                // One cycle per specification and component is enough to report the anomaly.
                continue nextSpec;
              }
            }
          }
        }
      }
    }
    List<Cycle> all = new ArrayList<>();
    byType.values().forEach(all::addAll);
    return new Result(all, counts, timedOut, components.size(), largest);
  }

  /**
   * The edge types of a pair that a search may use: the spec's allowed ones, except that a
   * realtime or process edge is ignored where the pair also has an allowed data edge, so a cycle
   * that data dependencies alone explain is not reported again as a -realtime/-process variant.
   */
  private static int usable(int pairMask, Spec spec) {
    int mask = pairMask & spec.allowed();
    return (mask & DATA) != 0 ? mask & DATA : mask;
  }

  private static int step(Spec spec, int mode, int type, boolean first) {
    if ((spec.allowed() & type) == 0) {
      return -1;
    }
    int rw = mode & RW_COUNT_MASK;
    int m = mode;
    if (type == RW) {
      if (spec.nonadjacent() && (mode & LAST_RW) != 0) {
        return -1;
      }
      rw = Math.min(2, rw + 1);
      if (rw > spec.rwMax()) {
        return -1;
      }
      if ((mode & LAST_RW) != 0) {
        m |= ADJACENT_RW;
      }
      m = (m & ~RW_COUNT_MASK) | rw | LAST_RW;
      if (first) {
        m |= FIRST_RW;
      }
    } else {
      m &= ~LAST_RW;
      if (type == WR) {
        m |= SAW_WR;
      } else if (type == PROCESS || type == REALTIME) {
        m |= SAW_RTP;
      }
    }
    return m;
  }

  private static boolean accepts(Spec spec, int mode) {
    int rw = mode & RW_COUNT_MASK;
    if (rw < spec.rwMin()) {
      return false;
    }
    if (spec.needWr() && (mode & SAW_WR) == 0) {
      return false;
    }
    if (spec.needRtp() && (mode & SAW_RTP) == 0) {
      return false;
    }
    boolean wrapsAdjacent = (mode & LAST_RW) != 0 && (mode & FIRST_RW) != 0;
    if (spec.adjacent() && (mode & ADJACENT_RW) == 0 && !wrapsAdjacent) {
      return false;
    }
    return !(spec.nonadjacent() && wrapsAdjacent);
  }

  /** Shortest walk a →(startType) b → ... → a of the spec's shape, as a simple cycle, or null. */
  private Cycle search(Spec spec, int[] within, int[] c, int a, int b, int startType) {
    int ci = within[a];
    int mode0 = step(spec, 0, startType, true);
    if (mode0 < 0) {
      return null;
    }
    epoch++;
    if (epoch == Integer.MAX_VALUE) {
      Arrays.fill(stamp, 0);
      epoch = 1;
    }
    int head = 0;
    int tail = 0;
    int s0 = local[b] * MODES + mode0;
    stamp[s0] = epoch;
    parent[s0] = -1;
    queue[tail++] = s0;
    while (head < tail) {
      int s = queue[head++];
      int u = c[s / MODES];
      int mode = s % MODES;
      for (int e = graph.edgesStart(u); e < graph.edgesEnd(u); e++) {
        int v = graph.target(e);
        if (within[v] != ci) {
          continue;
        }
        int mask = usable(graph.mask(e), spec);
        for (int t = 1; t <= REALTIME; t <<= 1) {
          if ((mask & t) == 0) {
            continue;
          }
          int m2 = step(spec, mode, t, false);
          if (m2 < 0) {
            continue;
          }
          if (v == a) {
            if (accepts(spec, m2)) {
              Cycle cycle = reconstruct(c, a, startType, s, t);
              if (cycle != null) {
                return cycle;
              }
            }
            continue;
          }
          int s2 = local[v] * MODES + m2;
          if (stamp[s2] == epoch) {
            continue;
          }
          stamp[s2] = epoch;
          parent[s2] = s;
          parentType[s2] = (byte) t;
          queue[tail++] = s2;
        }
      }
    }
    return null;
  }

  private Cycle reconstruct(int[] c, int a, int startType, int lastState, int closingType) {
    List<Integer> nodes = new ArrayList<>();
    List<Integer> types = new ArrayList<>();
    int s = lastState;
    types.add(closingType);
    while (s >= 0) {
      nodes.add(c[s / MODES]);
      if (parent[s] >= 0) {
        types.add(parentType[s] & 0xff);
      }
      s = parent[s];
    }
    nodes.add(a);
    types.add(startType);
    // Collected backwards: reverse so nodes[i] →types[i]→ nodes[i+1].
    java.util.Collections.reverse(nodes);
    java.util.Collections.reverse(types);
    int[] n = nodes.stream().mapToInt(Integer::intValue).toArray();
    int[] t = types.stream().mapToInt(Integer::intValue).toArray();
    int[] sorted = n.clone();
    Arrays.sort(sorted);
    for (int i = 1; i < sorted.length; i++) {
      if (sorted[i] == sorted[i - 1]) {
        return null;
      }
    }
    return new Cycle(classify(t), n, t);
  }

  /**
   * Elle's name for a cycle with these edge types: the base by its rw edges (none: G0, or G1c if it
   * has a wr edge; one: G-single; several, none adjacent cyclically: G-nonadjacent; else G2-item),
   * suffixed -realtime if it needs a realtime edge, else -process if it needs a process edge.
   */
  public static String classify(int[] edgeTypes) {
    int rw = 0;
    boolean wr = false;
    boolean realtime = false;
    boolean process = false;
    boolean adjacent = false;
    for (int i = 0; i < edgeTypes.length; i++) {
      int t = edgeTypes[i];
      if (t == RW) {
        rw++;
        if (edgeTypes[(i + 1) % edgeTypes.length] == RW) {
          adjacent = true;
        }
      }
      wr |= t == WR;
      realtime |= t == REALTIME;
      process |= t == PROCESS;
    }
    String base;
    if (rw == 0) {
      base = wr ? "G1c" : "G0";
    } else if (rw == 1) {
      base = "G-single";
    } else {
      base = adjacent ? "G2-item" : "G-nonadjacent";
    }
    return realtime ? base + "-realtime" : process ? base + "-process" : base;
  }

  /**
   * Component number per node in the subgraph of {@code edgeMask} edges, -1 for nodes in no
   * component of two or more; any cycle of such edges lies inside one component.
   */
  private int[] componentIds(int edgeMask) {
    int[] ids = new int[graph.nodeCount()];
    Arrays.fill(ids, -1);
    List<int[]> comps = stronglyConnectedComponents(edgeMask);
    for (int ci = 0; ci < comps.size(); ci++) {
      for (int node : comps.get(ci)) {
        ids[node] = ci;
      }
    }
    return ids;
  }

  /**
   * Tarjan's algorithm, iterative, over the edges whose type mask meets {@code edgeMask}; returns
   * the components of two or more nodes, each sorted.
   */
  private List<int[]> stronglyConnectedComponents(int edgeMask) {
    int n = graph.nodeCount();
    int[] index = new int[n];
    int[] low = new int[n];
    boolean[] onStack = new boolean[n];
    Arrays.fill(index, -1);
    int[] stack = new int[n];
    int sp = 0;
    int[] callNode = new int[n];
    int[] callEdge = new int[n];
    int counter = 0;
    List<int[]> out = new ArrayList<>();
    for (int root = 0; root < n; root++) {
      if (index[root] >= 0) {
        continue;
      }
      int depth = 0;
      callNode[0] = root;
      callEdge[0] = graph.edgesStart(root);
      index[root] = low[root] = counter++;
      stack[sp++] = root;
      onStack[root] = true;
      while (depth >= 0) {
        int u = callNode[depth];
        if (callEdge[depth] < graph.edgesEnd(u)) {
          int edge = callEdge[depth]++;
          if ((graph.mask(edge) & edgeMask) == 0) {
            continue;
          }
          int v = graph.target(edge);
          if (index[v] < 0) {
            index[v] = low[v] = counter++;
            stack[sp++] = v;
            onStack[v] = true;
            depth++;
            callNode[depth] = v;
            callEdge[depth] = graph.edgesStart(v);
          } else if (onStack[v]) {
            low[u] = Math.min(low[u], index[v]);
          }
        } else {
          if (low[u] == index[u]) {
            int start = sp;
            do {
              start--;
            } while (stack[start] != u);
            int size = sp - start;
            if (size > 1) {
              int[] comp = Arrays.copyOfRange(stack, start, sp);
              Arrays.sort(comp);
              out.add(comp);
            }
            for (int i = start; i < sp; i++) {
              onStack[stack[i]] = false;
            }
            sp = start;
          }
          depth--;
          if (depth >= 0) {
            int p = callNode[depth];
            low[p] = Math.min(low[p], low[u]);
          }
        }
      }
    }
    out.sort((x, y) -> Integer.compare(x[0], y[0]));
    return out;
  }
}
