package io.ordo.sql.encoding;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.proto.Value;
import io.ordo.proto.state.SqlViewDef;
import io.ordo.sql.catalog.ViewDef;
import io.ordo.sql.catalog.ViewSource;
import java.util.List;
import org.junit.jupiter.api.Test;

/** View definitions in the store: every source round-trips; entries of older builds still read. */
class ViewCodecTest {
  @Test
  void aJoinViewKeepsEverySourceInFromOrder() throws Exception {
    ViewDef def = new ViewDef("v", "00000000000000aa", "SELECT ...", "SELECT ...", List.of(
        new ViewSource("checking", "0000000000000001", false),
        new ViewSource("savings", "0000000000000002", false)));
    ViewDef back = ViewCodec.decode(ViewCodec.encode(def));
    assertThat(back).isEqualTo(def);
    assertThat(back.sourceTable()).isEqualTo("checking");
    assertThat(back.reads("savings")).isTrue();
    assertThat(back.reads("branches")).isFalse();
    // The first source is still written where older builds read the one source table.
    SqlViewDef stored = SqlViewDef.parseFrom(ViewCodec.encode(def).getBytes());
    assertThat(stored.getSourceTable()).isEqualTo("checking");
    assertThat(stored.getSourceTableId()).isEqualTo("0000000000000001");
  }

  @Test
  void anEntryWithoutSourcesReadsItsOneSourceTable() throws Exception {
    Value older = Value.newBuilder().setBytes(SqlViewDef.newBuilder()
        .setFormatVersion(CatalogCodec.FORMAT_VERSION).setName("v").setViewId("00000000000000aa")
        .setQuery("q").setFlinkQuery("f").setSourceTable("orders")
        .setSourceTableId("0000000000000007").build().toByteString()).build();
    assertThat(ViewCodec.decode(older).sources())
        .containsExactly(new ViewSource("orders", "0000000000000007", false));
  }
}
