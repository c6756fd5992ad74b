package io.ordo.executor.operators;

import io.ordo.executor.internal.FeedbackChannel;
import io.ordo.proto.state.WriteResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * The reading end of the in-JVM feedback shortcut ({@link FeedbackChannel}, which says why it is
 * safe): each reader subtask takes the write results that TransactionProcessor subtasks in the
 * same JVM handed to the channel, as soon as they are there (the reader's availability future
 * completes on each offer; no polling). Unbounded, no splits, no state: the feedback topic's
 * source, read as before, is what a restore relies on.
 */
public final class FeedbackChannelSource
    implements Source<WriteResult, FeedbackChannelSource.NoSplit, Boolean> {
  private static final long serialVersionUID = 1L;

  private final String channelKey;

  /** @param channelKey the channel to read ({@link FeedbackChannel#key}) */
  public FeedbackChannelSource(String channelKey) {
    this.channelKey = Objects.requireNonNull(channelKey, "channelKey");
  }

  @Override
  public Boundedness getBoundedness() {
    return Boundedness.CONTINUOUS_UNBOUNDED;
  }

  @Override
  public SourceReader<WriteResult, NoSplit> createReader(SourceReaderContext readerContext) {
    return new Reader(channelKey);
  }

  @Override
  public SplitEnumerator<NoSplit, Boolean> createEnumerator(SplitEnumeratorContext<NoSplit> context) {
    return new NoSplitEnumerator();
  }

  @Override
  public SplitEnumerator<NoSplit, Boolean> restoreEnumerator(SplitEnumeratorContext<NoSplit> context, Boolean checkpoint) {
    return new NoSplitEnumerator();
  }

  @Override
  public SimpleVersionedSerializer<NoSplit> getSplitSerializer() {
    return new NoSplitSerializer();
  }

  @Override
  public SimpleVersionedSerializer<Boolean> getEnumeratorCheckpointSerializer() {
    return new MarkerSerializer();
  }

  /** The reader of one subtask: registered with the channel from start to close. */
  static final class Reader implements SourceReader<WriteResult, NoSplit> {
    private final String channelKey;
    private FeedbackChannel channel;

    Reader(String channelKey) {
      this.channelKey = channelKey;
    }

    @Override
    public void start() {
      channel = FeedbackChannel.acquireReader(channelKey);
    }

    @Override
    public InputStatus pollNext(ReaderOutput<WriteResult> output) {
      WriteResult next = channel.poll();
      if (next == null) {
        return InputStatus.NOTHING_AVAILABLE;
      }
      output.collect(next);
      return InputStatus.MORE_AVAILABLE;
    }

    @Override
    public List<NoSplit> snapshotState(long checkpointId) {
      return List.of();
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
      return channel.available();
    }

    @Override
    public void addSplits(List<NoSplit> splits) {
      // Never assigned any.
    }

    @Override
    public void notifyNoMoreSplits() {
      // Unbounded: the channel, not splits, is what this reader reads.
    }

    @Override
    public void close() {
      if (channel != null) {
        channel.releaseReader();
        channel = null;
      }
    }
  }

  /** The source has no splits; this type only satisfies the interface. */
  public static final class NoSplit implements SourceSplit {
    @Override
    public String splitId() {
      return "feedback-channel";
    }
  }

  private static final class NoSplitEnumerator implements SplitEnumerator<NoSplit, Boolean> {
    @Override
    public void start() {}

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {}

    @Override
    public void addSplitsBack(List<NoSplit> splits, int subtaskId) {}

    @Override
    public void addReader(int subtaskId) {}

    @Override
    public Boolean snapshotState(long checkpointId) {
      return Boolean.TRUE;
    }

    @Override
    public void close() {}
  }

  private static final class NoSplitSerializer implements SimpleVersionedSerializer<NoSplit> {
    @Override
    public int getVersion() {
      return 1;
    }

    @Override
    public byte[] serialize(NoSplit split) {
      return split.splitId().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public NoSplit deserialize(int version, byte[] serialized) {
      return new NoSplit();
    }
  }

  private static final class MarkerSerializer implements SimpleVersionedSerializer<Boolean> {
    @Override
    public int getVersion() {
      return 1;
    }

    @Override
    public byte[] serialize(Boolean marker) {
      return new byte[] {1};
    }

    @Override
    public Boolean deserialize(int version, byte[] serialized) throws IOException {
      if (serialized.length != 1) {
        throw new IOException("not a feedback channel enumerator checkpoint: " + serialized.length + " bytes");
      }
      return Boolean.TRUE;
    }
  }
}
