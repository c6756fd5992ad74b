package io.ordo.executor.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Outcome;
import io.ordo.proto.TxnResult;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * What the outputs of a crash and a restore from a checkpoint show about that restore, so a
 * recovery test can prove it exercised its subject rather than an idle moment.
 *
 * <ul>
 *   <li><b>Replayed duplicates.</b> Results that repeat an earlier result of the same id byte for
 *       byte, and changelog records that repeat a {@code (key_range, lsn)}: what the restored job
 *       emitted again and a consumer drops.
 *   <li><b>Multi-range transactions in flight at the restored checkpoint.</b> The restored job
 *       reads the log again from the checkpoint's offsets and emits a result for every
 *       transaction from there on, so a transaction that got no result from it was read before the
 *       checkpoint: per log partition, every offset up to the last such transaction was read before
 *       the checkpoint. So was every offset below those the job's log source committed to its
 *       consumer group (it commits a checkpoint's offsets once the checkpoint completes, and the
 *       restored checkpoint is the newest completed one). A multi-range transaction below either
 *       bound whose result or changelog records the restored job emitted was therefore unfinished
 *       in the checkpoint's state — buffered for ordering, holding its locks, waiting for the
 *       feedback of its writes or its changes held behind an earlier transaction — and finished
 *       from it. The rule never counts a transaction that was not in flight; it may miss some
 *       just below the checkpoint's offsets.
 * </ul>
 *
 * @param duplicateResults result records dropped as byte-identical repeats of their id
 * @param duplicateChanges changelog records dropped as repeats of a {@code (key_range, lsn)}
 * @param multiRangeInFlightAtCheckpoint ids of the multi-range transactions in flight at the
 *     restored checkpoint, by the rule above
 * @param resultsAfterRestart distinct ids with a result record emitted after the first job stopped
 * @param logReadBeforeCheckpoint per log partition, the offset below which every record was read
 *     before the restored checkpoint, by the two bounds above
 */
public record RecoveryEvidence(
    long duplicateResults,
    long duplicateChanges,
    SortedSet<String> multiRangeInFlightAtCheckpoint,
    long resultsAfterRestart,
    SortedMap<Integer, Long> logReadBeforeCheckpoint) {

  public RecoveryEvidence {
    multiRangeInFlightAtCheckpoint = new TreeSet<>(multiRangeInFlightAtCheckpoint);
    logReadBeforeCheckpoint = new TreeMap<>(logReadBeforeCheckpoint);
  }

  /** The figures, with at most five of the in-flight ids (there can be hundreds). */
  @Override
  public String toString() {
    List<String> shown = multiRangeInFlightAtCheckpoint.stream().limit(5).toList();
    return "RecoveryEvidence[duplicateResults=" + duplicateResults + ", duplicateChanges=" + duplicateChanges
        + ", multiRangeInFlightAtCheckpoint=" + multiRangeInFlightAtCheckpoint.size() + " " + shown
        + (multiRangeInFlightAtCheckpoint.size() > shown.size() ? "..." : "") + ", resultsAfterRestart=" + resultsAfterRestart
        + ", logReadBeforeCheckpoint=" + logReadBeforeCheckpoint + "]";
  }

  /**
   * The evidence in the outputs of a first job and the job that restored its checkpoint.
   *
   * @param results every record of the results topic (both jobs), per partition in offset order,
   *     read once the restored job has answered every transaction appended (so it has emitted its
   *     result of every transaction it read again)
   * @param resultsEndAtCrash the results topic's end offsets (partition → offset) once the first
   *     job had stopped: records at or past them came from the second job
   * @param logReadBeforeCheckpoint the log topic's offsets (partition → next offset) committed by
   *     the first job's checkpoints, from {@link #committedOffsets} (may be empty: the outputs give
   *     a bound too)
   * @param changelog every record of the changelog topic (both jobs), per partition in offset
   *     order, read after {@code results}
   * @param changelogEndAtCrash the changelog topic's end offsets once the first job had stopped
   */
  public static RecoveryEvidence of(
      List<ConsumerRecord<byte[], byte[]>> results,
      Map<Integer, Long> resultsEndAtCrash,
      Map<Integer, Long> logReadBeforeCheckpoint,
      List<ConsumerRecord<byte[], byte[]>> changelog,
      Map<Integer, Long> changelogEndAtCrash) {
    Map<String, Set<ByteString>> seen = new HashMap<>();
    Map<String, TxnResult> firstResult = new HashMap<>();
    Set<String> afterRestart = new HashSet<>();
    long duplicates = 0;
    for (ConsumerRecord<byte[], byte[]> r : results) {
      TxnResult result = parse(r.value());
      if (!seen.computeIfAbsent(result.getTxnId(), id -> new HashSet<>()).add(ByteString.copyFrom(r.value()))) {
        duplicates++;
      }
      if (result.getOutcome() != Outcome.DUPLICATE) {
        firstResult.putIfAbsent(result.getTxnId(), result);
      }
      if (r.offset() >= resultsEndAtCrash.getOrDefault(r.partition(), 0L)) {
        afterRestart.add(result.getTxnId());
      }
    }
    List<ChangelogRecord> changes = Changelogs.parse(changelog);
    Set<String> changedAfterRestart = new HashSet<>();
    for (int i = 0; i < changelog.size(); i++) {
      ConsumerRecord<byte[], byte[]> r = changelog.get(i);
      if (r.offset() >= changelogEndAtCrash.getOrDefault(r.partition(), 0L)) {
        changedAfterRestart.add(changes.get(i).getTxnId());
      }
    }
    SortedMap<Integer, Long> readBefore = new TreeMap<>(logReadBeforeCheckpoint);
    for (TxnResult result : firstResult.values()) {
      if (!afterRestart.contains(result.getTxnId())) {
        readBefore.merge(result.getPosition().getPartition(), result.getPosition().getOffset() + 1, Math::max);
      }
    }
    SortedSet<String> inFlight = new TreeSet<>();
    for (TxnResult result : firstResult.values()) {
      if ((afterRestart.contains(result.getTxnId()) || changedAfterRestart.contains(result.getTxnId()))
          && result.getKeyRanges() > 1
          && result.getPosition().getOffset() < readBefore.getOrDefault(result.getPosition().getPartition(), 0L)) {
        inFlight.add(result.getTxnId());
      }
    }
    long duplicateChanges = changes.size() - Changelogs.dedupByRangeAndLsn(changes).kept().size();
    return new RecoveryEvidence(duplicates, duplicateChanges, inFlight, afterRestart.size(), readBefore);
  }

  /**
   * The offsets (partition → next offset to read) that consumer group {@code groupId} committed
   * for {@code topic}; partitions without a commit are absent.
   */
  public static SortedMap<Integer, Long> committedOffsets(String bootstrapServers, String groupId, String topic, Duration timeout)
      throws InterruptedException, ExecutionException, TimeoutException {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (Admin admin = Admin.create(p)) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      SortedMap<Integer, Long> out = new TreeMap<>();
      for (Map.Entry<TopicPartition, OffsetAndMetadata> e : committed.entrySet()) {
        if (e.getKey().topic().equals(topic) && e.getValue() != null) {
          out.put(e.getKey().partition(), e.getValue().offset());
        }
      }
      return out;
    }
  }

  /** The end offsets (partition → offset of the next record) of {@code topic} now. */
  public static SortedMap<Integer, Long> endOffsets(String bootstrapServers, String topic, Duration timeout) {
    try (KafkaConsumer<byte[], byte[]> consumer = TopicReader.open(bootstrapServers, topic, timeout)) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, timeout).stream()
          .map((PartitionInfo i) -> new TopicPartition(topic, i.partition()))
          .toList();
      SortedMap<Integer, Long> out = new TreeMap<>();
      consumer.endOffsets(partitions, timeout).forEach((tp, offset) -> out.put(tp.partition(), offset));
      return out;
    }
  }

  private static TxnResult parse(byte[] value) {
    try {
      return TxnResult.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a results record does not parse", e);
    }
  }
}
