package io.ordo.executor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.state.LockQueue;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** A serializer snapshot names the message class; checkpoints of earlier builds still restore. */
class ProtoSerializerSnapshotTest {
  @Test
  void snapshotRoundTripsTheMessageClass() throws IOException {
    ProtoSerializer<LockQueue> serializer = new ProtoSerializer<>(LockQueue.class);
    DataOutputSerializer out = new DataOutputSerializer(64);
    serializer.snapshotConfiguration().writeSnapshot(out);

    ProtoSerializer.Snapshot<LockQueue> restored = new ProtoSerializer.Snapshot<>();
    restored.readSnapshot(1, new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader());

    TypeSerializer<LockQueue> again = restored.restoreSerializer();
    assertThat(again.createInstance()).isInstanceOf(LockQueue.class);
    assertThat(restored.resolveSchemaCompatibility(serializer.snapshotConfiguration()).isCompatibleAsIs()).isTrue();
  }

  @Test
  void aClassNameRecordedBeforeTheStatePackageRestoresIntoTheStateClass() throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(64);
    out.writeUTF("io.ordo.proto.internal.LockQueue");

    ProtoSerializer.Snapshot<LockQueue> restored = new ProtoSerializer.Snapshot<>();
    restored.readSnapshot(1, new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader());

    assertThat(restored.restoreSerializer().createInstance()).isInstanceOf(LockQueue.class);
    assertThat(ProtoSerializer.Snapshot.renamed("io.ordo.proto.ChangelogRecord")).isEqualTo("io.ordo.proto.ChangelogRecord");
  }
}
