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
 *   <li><b>Multi-range transactions in flight at the restored checkpoint.</b> The job's log source
 *       commits its offsets to its consumer group when a checkpoint completes, so the offsets
 *       committed when the first job has stopped are at most those of the checkpoint the second
 *       job restores (the newest completed one): every log record before them was read before
 *       that checkpoint. A multi-range transaction at such a position whose result the second job
 *       emitted was therefore unfinished in the checkpoint's state — buffered for ordering,
 *       holding its locks or waiting for the feedback of its writes — and finished from it, since
 *       the restored job does not read its log record again. The rule never counts a transaction
 *       that was not in flight; it may miss some if the commit lagged a checkpoint.
 * </ul>
 *
 * @param duplicateResults result records dropped as byte-identical repeats of their id
 * @param duplicateChanges changelog records dropped as repeats of a {@code (key_range, lsn)}
 * @param multiRangeInFlightAtCheckpoint ids of the multi-range transactions in flight at the
 *     restored checkpoint, by the rule above
 * @param resultsAfterRestart distinct ids with a result record emitted after the first job stopped
 */
public record RecoveryEvidence(
    long duplicateResults, long duplicateChanges, SortedSet<String> multiRangeInFlightAtCheckpoint, long resultsAfterRestart) {

  public RecoveryEvidence {
    multiRangeInFlightAtCheckpoint = new TreeSet<>(multiRangeInFlightAtCheckpoint);
  }

  /**
   * The evidence in the outputs of a first job and the job that restored its checkpoint.
   *
   * @param results every record of the results topic (both jobs), per partition in offset order
   * @param resultsEndAtCrash the results topic's end offsets (partition → offset) once the first
   *     job had stopped: records at or past them came from the second job
   * @param logReadBeforeCheckpoint the log topic's offsets (partition → next offset) committed by
   *     the first job's checkpoints, from {@link #committedOffsets}
   * @param changelog every record of the changelog topic (both jobs), per partition in offset
   *     order
   */
  public static RecoveryEvidence of(
      List<ConsumerRecord<byte[], byte[]>> results,
      Map<Integer, Long> resultsEndAtCrash,
      Map<Integer, Long> logReadBeforeCheckpoint,
      List<ChangelogRecord> changelog) {
    Map<String, Set<ByteString>> seen = new HashMap<>();
    long duplicates = 0;
    SortedSet<String> inFlight = new TreeSet<>();
    Set<String> afterRestart = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> r : results) {
      TxnResult result = parse(r.value());
      if (!seen.computeIfAbsent(result.getTxnId(), id -> new HashSet<>()).add(ByteString.copyFrom(r.value()))) {
        duplicates++;
      }
      if (r.offset() < resultsEndAtCrash.getOrDefault(r.partition(), 0L)) {
        continue;
      }
      afterRestart.add(result.getTxnId());
      long readBefore = logReadBeforeCheckpoint.getOrDefault(result.getPosition().getPartition(), 0L);
      if (result.getKeyRanges() > 1 && result.getOutcome() != Outcome.DUPLICATE && result.getPosition().getOffset() < readBefore) {
        inFlight.add(result.getTxnId());
      }
    }
    long duplicateChanges = changelog.size() - Changelogs.dedupByRangeAndLsn(changelog).kept().size();
    return new RecoveryEvidence(duplicates, duplicateChanges, inFlight, afterRestart.size());
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
