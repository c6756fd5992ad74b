package io.ordo.gateway.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.ChangelogRecord;
import io.ordo.proto.Position;
import io.ordo.proto.Value;
import io.ordo.proto.state.NameList;
import io.ordo.storage.MultiVersionStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalog read from the local store: no transaction, the newest materialized version. */
class StreamCatalogSourceTest {
  @TempDir Path dir;

  @Test
  void readsTheNewestCatalogTheStoreHasMaterialized() {
    try (MultiVersionStore store = MultiVersionStore.open(dir)) {
      StreamCatalogSource source = StreamCatalogSource.local(store);
      assertThat(source.local()).isTrue();
      assertThat(source.get()).isEmpty();
      store.apply(List.of(catalog(1, 10, "a", "b")), Map.of(0, 1L));
      assertThat(source.get()).containsExactly("a", "b");
      store.apply(List.of(catalog(2, 20, "b")), Map.of(0, 2L));
      assertThat(source.get()).containsExactly("b");
    }
  }

  private static ChangelogRecord catalog(long lsn, long ts, String... names) {
    Value value =
        Value.newBuilder()
            .setBytes(NameList.newBuilder().addAllNames(List.of(names)).build().toByteString())
            .build();
    return ChangelogRecord.newBuilder()
        .setKey(StreamKeys.streamCatalog())
        .setAfter(value)
        .setPosition(Position.newBuilder().setTs(ts).setPartition(0).setOffset(lsn))
        .setTxnId("t-" + lsn)
        .setKeyRange(0)
        .setLsn(lsn)
        .build();
  }
}
