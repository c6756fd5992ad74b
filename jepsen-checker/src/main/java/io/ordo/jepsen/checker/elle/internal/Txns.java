package io.ordo.jepsen.checker.elle.internal;

import io.ordo.jepsen.history.History;
import io.ordo.jepsen.history.Keyword;
import io.ordo.jepsen.history.Op;
import io.ordo.jepsen.history.OpType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** Parses the transactions ({@code :f :txn} client ops) of a history. */
public final class Txns {
  private Txns() {}

  /**
   * The transactions of {@code history} in invoke order. Ops whose f is not "txn" and nemesis ops
   * are ignored.
   *
   * @param allowedFs micro-op names the workload uses, e.g. {"append", "r"}
   * @param externalOrder whether an ok completion's value may be {@code {:txn [...], :position n}}
   * @throws IllegalArgumentException naming the op whose value is not a list of {@code [f k v]}
   *     micro-ops with a known f and Long key
   */
  public static List<Txn> parse(History history, List<String> allowedFs, boolean externalOrder) {
    List<Txn> txns = new ArrayList<>();
    for (Op op : history.ops()) {
      if (op.isNemesis() || !op.isInvoke() || !op.f().equals("txn")) {
        continue;
      }
      Op completion = history.completion(op).orElse(null);
      OpType outcome = completion == null ? OpType.INFO : completion.type();
      Object value = outcome == OpType.OK ? completion.value() : op.value();
      Op source = outcome == OpType.OK ? completion : op;
      Long position = null;
      if (value instanceof Map<?, ?> map) {
        if (!externalOrder || outcome != OpType.OK) {
          throw new IllegalArgumentException(
              "op " + source.index() + ": a map value {:txn, :position} needs the option external-order=true on an ok completion");
        }
        value = get(map, "txn");
        Object p = get(map, "position");
        if (!(p instanceof Long l)) {
          throw new IllegalArgumentException("op " + source.index() + ": :position must be a long, got " + p);
        }
        position = l;
      }
      txns.add(new Txn(txns.size(), op, completion, outcome, microOps(source, value, allowedFs), position));
    }
    return Collections.unmodifiableList(txns);
  }

  private static Object get(Map<?, ?> map, String name) {
    Object v = map.get(Keyword.of(name));
    return v != null ? v : map.get(name);
  }

  private static List<MicroOp> microOps(Op source, Object value, List<String> allowedFs) {
    if (!(value instanceof List<?> list)) {
      throw new IllegalArgumentException("op " + source.index() + ": a txn value must be a list of micro-ops, got " + value);
    }
    List<MicroOp> out = new ArrayList<>(list.size());
    for (Object m : list) {
      if (!(m instanceof List<?> mop) || mop.size() != 3) {
        throw new IllegalArgumentException("op " + source.index() + ": a micro-op must be [f k v], got " + m);
      }
      String f = mop.get(0) instanceof Keyword k ? k.name() : String.valueOf(mop.get(0));
      if (!allowedFs.contains(f)) {
        throw new IllegalArgumentException("op " + source.index() + ": micro-op f must be one of " + allowedFs + ", got " + mop.get(0));
      }
      if (!(mop.get(1) instanceof Long key)) {
        throw new IllegalArgumentException("op " + source.index() + ": micro-op key must be a long, got " + mop.get(1));
      }
      Object v = mop.get(2);
      if (!f.equals("r") && !(v instanceof Long)) {
        throw new IllegalArgumentException("op " + source.index() + ": a " + f + " must write a long, got " + v);
      }
      out.add(new MicroOp(f, key, v, out.size()));
    }
    return Collections.unmodifiableList(out);
  }
}
