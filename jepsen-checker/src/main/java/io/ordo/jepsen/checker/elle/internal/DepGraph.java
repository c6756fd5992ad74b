package io.ordo.jepsen.checker.elle.internal;

import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Op;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A dependency graph over transactions (nodes 0..n-1), compact enough for 10^5 transactions: edges
 * are collected as packed longs, then sorted and merged into a compressed adjacency (CSR) where each
 * (source, target) pair carries a bit mask of edge types. Sorting makes every traversal order
 * deterministic.
 */
public final class DepGraph {
  /** Write-write: the target appended/wrote the version after the source's. */
  public static final int WW = 1;
  /** Write-read: the target read a version the source wrote. */
  public static final int WR = 2;
  /** Read-write (anti-dependency): the source read a version the target overwrote. */
  public static final int RW = 4;
  /** Process order: the target is the next transaction of the source's process. */
  public static final int PROCESS = 8;
  /** Realtime order: the source completed before the target was invoked. */
  public static final int REALTIME = 16;

  private static final int NODE_BITS = 29;
  private static final long NODE_MASK = (1L << NODE_BITS) - 1;

  private final int nodeCount;
  private long[] packed = new long[1024];
  private int packedCount;
  private int[] offsets;
  private int[] targets;
  private int[] masks;

  /** @throws IllegalArgumentException if nodeCount exceeds 2^29 */
  public DepGraph(int nodeCount) {
    if (nodeCount < 0 || nodeCount > NODE_MASK) {
      throw new IllegalArgumentException("node count must be in [0, 2^29], got " + nodeCount);
    }
    this.nodeCount = nodeCount;
  }

  public int nodeCount() {
    return nodeCount;
  }

  /** Adds an edge; self-edges are dropped (a transaction never depends on itself). */
  public void add(int source, int target, int type) {
    if (offsets != null) {
      throw new IllegalStateException("graph is frozen");
    }
    if (source == target) {
      return;
    }
    if (packedCount == packed.length) {
      packed = Arrays.copyOf(packed, packed.length * 2);
    }
    packed[packedCount++] = ((long) source << (NODE_BITS + 5)) | ((long) target << 5) | type;
  }

  /** Builds the adjacency; no edges can be added afterwards. */
  public void freeze() {
    Arrays.sort(packed, 0, packedCount);
    offsets = new int[nodeCount + 1];
    int[] t = new int[packedCount];
    int[] m = new int[packedCount];
    int count = 0;
    long lastPair = -1;
    for (int i = 0; i < packedCount; i++) {
      long pair = packed[i] >>> 5;
      int type = (int) (packed[i] & 31);
      if (pair == lastPair) {
        m[count - 1] |= type;
        continue;
      }
      lastPair = pair;
      int source = (int) (pair >>> NODE_BITS);
      t[count] = (int) (pair & NODE_MASK);
      m[count] = type;
      offsets[source + 1]++;
      count++;
    }
    for (int i = 0; i < nodeCount; i++) {
      offsets[i + 1] += offsets[i];
    }
    targets = Arrays.copyOf(t, count);
    masks = Arrays.copyOf(m, count);
    packed = null;
  }

  /** First index into {@link #target}/{@link #mask} of the edges of {@code node}. */
  public int edgesStart(int node) {
    return offsets[node];
  }

  /** One past the last edge index of {@code node}. */
  public int edgesEnd(int node) {
    return offsets[node + 1];
  }

  public int target(int edge) {
    return targets[edge];
  }

  public int mask(int edge) {
    return masks[edge];
  }

  /** Number of distinct (source, target) pairs. */
  public int edgeCount() {
    return targets.length;
  }

  /** The edge-type mask from source to target, 0 if none. */
  public int maskBetween(int source, int target) {
    int lo = offsets[source];
    int hi = offsets[source + 1] - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (targets[mid] < target) {
        lo = mid + 1;
      } else if (targets[mid] > target) {
        hi = mid - 1;
      } else {
        return masks[mid];
      }
    }
    return 0;
  }

  /** Elle's name of one edge type. */
  public static String typeName(int type) {
    return switch (type) {
      case WW -> "ww";
      case WR -> "wr";
      case RW -> "rw";
      case PROCESS -> "process";
      case REALTIME -> "realtime";
      default -> throw new IllegalArgumentException("not a single edge type: " + type);
    };
  }

  /**
   * Adds realtime and process edges over the transactions that are graph nodes ({@code
   * inGraph[id]}), using Elle's transitive reduction of realtime order: walking the history in
   * index order, a frontier holds the completed ok transactions not yet known to precede a later
   * completed one. An invoke gets an edge from every frontier member (they all completed before it
   * started); when that transaction completes ok, its predecessors leave the frontier (anything
   * invoked later reaches them through it) and it joins. Info transactions never complete, so they
   * only receive edges. The frontier is bounded by the number of concurrently completed processes.
   * Process edges link consecutive graph transactions of one process.
   */
  public void addRealtimeAndProcessEdges(History history, List<Txn> txns, boolean[] inGraph) {
    Map<Long, Txn> byInvokeIndex = new HashMap<>();
    Map<Long, Txn> byCompletionIndex = new HashMap<>();
    for (Txn txn : txns) {
      byInvokeIndex.put(txn.invoke().index(), txn);
      if (txn.completion() != null) {
        byCompletionIndex.put(txn.completion().index(), txn);
      }
    }
    // Frontier and predecessor sets are kept sorted by node id so edges are added in a fixed order.
    java.util.TreeSet<Integer> frontier = new java.util.TreeSet<>();
    Map<Integer, int[]> predecessors = new HashMap<>();
    Map<Long, Integer> lastOfProcess = new TreeMap<>();
    for (Op op : history.ops()) {
      if (op.isInvoke()) {
        Txn txn = byInvokeIndex.get(op.index());
        if (txn == null || !inGraph[txn.id()]) {
          continue;
        }
        int[] preds = frontier.stream().mapToInt(Integer::intValue).toArray();
        for (int p : preds) {
          add(p, txn.id(), REALTIME);
        }
        if (txn.isOk()) {
          predecessors.put(txn.id(), preds);
        }
        Integer last = lastOfProcess.put(txn.process(), txn.id());
        if (last != null) {
          add(last, txn.id(), PROCESS);
        }
      } else {
        Txn txn = byCompletionIndex.get(op.index());
        if (txn == null || !txn.isOk()) {
          continue;
        }
        for (int p : predecessors.remove(txn.id())) {
          frontier.remove(p);
        }
        frontier.add(txn.id());
      }
    }
  }
}
