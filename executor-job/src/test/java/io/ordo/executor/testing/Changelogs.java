package io.ordo.executor.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Value;
import io.ordo.sequencer.LogPosition;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Consumer-side views of a changelog topic (result.proto {@code ChangelogRecord}): parsing,
 * deduplication by {@code (key_range, lsn)}, per-key sequences and the state they fold to.
 */
public final class Changelogs {
  private Changelogs() {}

  /** The identity of a changelog record: its key range and LSN, ordered by range then LSN. */
  public record RangeLsn(int keyRange, long lsn) implements Comparable<RangeLsn> {
    public static RangeLsn of(ChangelogRecord r) {
      return new RangeLsn(r.getKeyRange(), r.getLsn());
    }

    @Override
    public int compareTo(RangeLsn o) {
      int c = Integer.compare(keyRange, o.keyRange);
      return c != 0 ? c : Long.compare(lsn, o.lsn);
    }
  }

  /**
   * Parses changelog topic records in the order given.
   *
   * @throws IllegalStateException if a value does not parse or a record key is not the data key
   */
  public static List<ChangelogRecord> parse(List<ConsumerRecord<byte[], byte[]>> records) {
    List<ChangelogRecord> out = new ArrayList<>(records.size());
    for (ConsumerRecord<byte[], byte[]> r : records) {
      ChangelogRecord c;
      try {
        c = ChangelogRecord.parseFrom(r.value());
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("unparsable changelog record at " + r.topic() + "-" + r.partition() + "@" + r.offset(), e);
      }
      String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
      if (!c.getKey().equals(key)) {
        throw new IllegalStateException("changelog record of key " + c.getKey() + " has record key " + key);
      }
      out.add(c);
    }
    return out;
  }

  /**
   * Deduplication by {@code (key_range, lsn)}, as a consumer does after a replay: the first record
   * of each identity is kept.
   *
   * @param kept the kept records by identity
   * @param conflicts descriptions of records that share an identity with a kept record but differ
   *     from it (each one means the identity does not identify a change)
   */
  public record Dedup(SortedMap<RangeLsn, ChangelogRecord> kept, List<String> conflicts) {}

  /** See {@link Dedup}. */
  public static Dedup dedupByRangeAndLsn(List<ChangelogRecord> inTopicOrder) {
    SortedMap<RangeLsn, ChangelogRecord> kept = new TreeMap<>();
    List<String> conflicts = new ArrayList<>();
    for (ChangelogRecord r : inTopicOrder) {
      RangeLsn id = RangeLsn.of(r);
      ChangelogRecord first = kept.putIfAbsent(id, r);
      if (first != null && !first.equals(r)) {
        conflicts.add(id + ": first " + brief(first) + ", then " + brief(r));
      }
    }
    return new Dedup(kept, conflicts);
  }

  /**
   * The records of each key in the order given (topic order when read from the topic: the topic
   * is keyed by data key), with byte-identical repeats of a record dropped (at-least-once
   * delivery).
   */
  public static SortedMap<String, List<ChangelogRecord>> perKeyDistinct(List<ChangelogRecord> inTopicOrder) {
    SortedMap<String, List<ChangelogRecord>> perKey = new TreeMap<>();
    Set<ByteString> seen = new HashSet<>();
    for (ChangelogRecord r : inTopicOrder) {
      if (seen.add(r.toByteString())) {
        perKey.computeIfAbsent(r.getKey(), k -> new ArrayList<>()).add(r);
      }
    }
    return perKey;
  }

  /**
   * The records of each key in the order given, keeping only the first record of each position
   * (a transaction changes a key at most once, so within a key the position identifies the change
   * independently of its LSN).
   */
  public static SortedMap<String, List<ChangelogRecord>> perKeyFirstPerPosition(List<ChangelogRecord> inTopicOrder) {
    SortedMap<String, List<ChangelogRecord>> perKey = new TreeMap<>();
    Set<String> seen = new HashSet<>();
    for (ChangelogRecord r : inTopicOrder) {
      if (seen.add(r.getKey() + "@" + LogPosition.of(r.getPosition()))) {
        perKey.computeIfAbsent(r.getKey(), k -> new ArrayList<>()).add(r);
      }
    }
    return perKey;
  }

  /**
   * What a consumer that follows the contract of result.proto materializes: records in topic
   * order, a record whose {@code (key_range, lsn)} was seen before dropped as a replayed
   * duplicate, the others applied as in {@link #fold}.
   */
  public static SortedMap<String, Value> foldDroppingSeenRangeAndLsn(List<ChangelogRecord> inTopicOrder) {
    Set<RangeLsn> seen = new HashSet<>();
    List<ChangelogRecord> applied = new ArrayList<>();
    for (ChangelogRecord r : inTopicOrder) {
      if (seen.add(RangeLsn.of(r))) {
        applied.add(r);
      }
    }
    return fold(applied);
  }

  /**
   * The state a consumer materializes: per key, the records applied in the order given, each
   * setting the key to its {@code after} value or removing it when {@code after} is absent.
   */
  public static SortedMap<String, Value> fold(Iterable<ChangelogRecord> inApplyOrder) {
    SortedMap<String, Value> state = new TreeMap<>();
    for (ChangelogRecord r : inApplyOrder) {
      if (r.hasAfter()) {
        state.put(r.getKey(), r.getAfter());
      } else {
        state.remove(r.getKey());
      }
    }
    return state;
  }

  /** The records with their {@code lsn} cleared, in the same order (to compare everything else). */
  public static List<ChangelogRecord> withoutLsn(List<ChangelogRecord> records) {
    List<ChangelogRecord> out = new ArrayList<>(records.size());
    for (ChangelogRecord r : records) {
      out.add(r.toBuilder().clearLsn().build());
    }
    return out;
  }

  /** Every record of {@code perKey}, flattened in key order. */
  public static List<ChangelogRecord> flatten(Map<String, List<ChangelogRecord>> perKey) {
    List<ChangelogRecord> out = new ArrayList<>();
    for (List<ChangelogRecord> records : new TreeMap<>(perKey).values()) {
      out.addAll(records);
    }
    return out;
  }

  /**
   * Checks that every key's records chain: each record's {@code before} equals the previous
   * record's {@code after} and positions strictly increase. Returns a description of every
   * broken link (empty when the changelog is consistent).
   */
  public static List<String> brokenChains(Map<String, List<ChangelogRecord>> perKey) {
    List<String> broken = new ArrayList<>();
    for (Map.Entry<String, List<ChangelogRecord>> e : new TreeMap<>(perKey).entrySet()) {
      ChangelogRecord prev = null;
      for (ChangelogRecord r : e.getValue()) {
        if (prev == null) {
          if (r.hasBefore()) {
            broken.add(e.getKey() + ": first record has a before value: " + brief(r));
          }
        } else {
          boolean sameValue = prev.hasAfter() == r.hasBefore() && (!prev.hasAfter() || prev.getAfter().equals(r.getBefore()));
          if (!sameValue) {
            broken.add(e.getKey() + ": " + brief(r) + " does not follow " + brief(prev));
          }
          if (LogPosition.of(r.getPosition()).compareTo(LogPosition.of(prev.getPosition())) <= 0) {
            broken.add(e.getKey() + ": position of " + brief(r) + " is not after " + brief(prev));
          }
        }
        prev = r;
      }
    }
    return broken;
  }

  /** A one-line description of a record for failure messages. */
  public static String brief(ChangelogRecord r) {
    return "{key=" + r.getKey() + " txn=" + r.getTxnId() + " range=" + r.getKeyRange() + " lsn=" + r.getLsn() + " at "
        + LogPosition.of(r.getPosition()) + " before=" + (r.hasBefore() ? shortValue(r.getBefore()) : "-") + " after="
        + (r.hasAfter() ? shortValue(r.getAfter()) : "-") + "}";
  }

  private static String shortValue(Value v) {
    return switch (v.getKindCase()) {
      case COUNTER -> Long.toString(v.getCounter());
      case BYTES -> "bytes(" + v.getBytes().size() + ")";
      case LIST -> "list(" + v.getList().getElementsCount() + ")";
      default -> "?";
    };
  }
}
