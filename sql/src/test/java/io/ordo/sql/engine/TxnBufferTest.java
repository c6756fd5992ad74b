package io.ordo.sql.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ordo.proto.AbortReason;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TxnBufferTest {
  private static Value bytes(String s) {
    return Value.newBuilder().setBytes(ByteString.copyFromUtf8(s)).build();
  }

  @Test
  void commitAssertsReadsThenWritesInKeyOrder() throws SqlException {
    TxnBuffer b = new TxnBuffer();
    b.observeRowset("rs/t", Optional.empty());
    b.observe("k/2", Optional.of(bytes("two")));
    b.observe("k/1", Optional.empty());
    b.observe("k/1", Optional.of(bytes("later"))); // the first read counts
    b.put("k/2", bytes("TWO"));
    b.insert("k/3", bytes("three"), "rs/t", "t", "(id)=(3)");
    b.delete("k/0", "rs/t");
    TxnBuffer.Commit c = b.build("id-1", 100);
    List<Operation> ops = c.txn().getOpsList();
    assertThat(ops).extracting(Operation::getKey)
        .containsExactly("rs/t", "k/1", "k/2", "k/3", "k/0", "k/2", "k/3", "rs/t");
    assertThat(ops.get(0).getAssert().getAbsent()).isTrue();
    assertThat(ops.get(1).getAssert().getAbsent()).isTrue();
    assertThat(ops.get(2).getAssert().getEquals()).isEqualTo(bytes("two"));
    assertThat(ops.get(3).getAssert().getAbsent()).isTrue();
    assertThat(ops.get(4).hasDelete()).isTrue();
    assertThat(ops.get(5).getPut().getValue()).isEqualTo(bytes("TWO"));
    assertThat(ops.get(7).getIncrement().getDelta()).isEqualTo(1);
    assertThat(c.assertKinds()).containsExactly(
        TxnBuffer.AssertKind.READ, TxnBuffer.AssertKind.READ, TxnBuffer.AssertKind.READ,
        TxnBuffer.AssertKind.UNIQUE);
  }

  @Test
  void ownWritesAreVisibleAndNotAsserted() throws SqlException {
    TxnBuffer b = new TxnBuffer();
    b.put("k", bytes("v"));
    b.observe("k", Optional.empty());
    assertThat(b.bufferedWrite("k")).contains(Optional.of(bytes("v")));
    assertThat(b.overlay("k")).containsOnlyKeys("k");
    assertThat(b.build("x", 10).txn().getOpsList()).hasSize(1);
  }

  @Test
  void insertAfterOwnDeleteNeedsNoAbsenceAssert() throws SqlException {
    TxnBuffer b = new TxnBuffer();
    b.observe("k", Optional.of(bytes("old")));
    b.delete("k", "rs");
    b.insert("k", bytes("new"), "rs", "t", "(id)=(1)");
    TxnBuffer.Commit c = b.build("x", 10);
    assertThat(c.assertKinds()).containsExactly(TxnBuffer.AssertKind.READ);
    assertThat(c.txn().getOps(0).getAssert().getEquals()).isEqualTo(bytes("old"));
  }

  @Test
  void operationLimitIsEnforced() {
    TxnBuffer b = new TxnBuffer();
    for (int i = 0; i < 5; i++) {
      b.put("k" + i, bytes("v"));
    }
    assertThatThrownBy(() -> b.build("x", 4))
        .isInstanceOfSatisfying(SqlException.class,
            e -> assertThat(e.sqlState()).isEqualTo(SqlState.PROGRAM_LIMIT_EXCEEDED));
  }

  @Test
  void failedAssertsMapToSerializationFailureOrUniqueViolation() throws SqlException {
    TxnBuffer b = new TxnBuffer();
    b.observe("a", Optional.empty());
    b.insert("b", bytes("v"), "rs", "accounts", "(id)=(7)");
    TxnBuffer.Commit c = b.build("x", 10);
    TxnResult readFailed = TxnResult.newBuilder().setOutcome(Outcome.ABORTED)
        .setAbortReason(AbortReason.ASSERT_FAILED).setFailedOpIndex(0).build();
    TxnResult uniqueFailed = readFailed.toBuilder().setFailedOpIndex(1).build();
    assertThat(TxnBuffer.failure(c, readFailed).sqlState())
        .isEqualTo(SqlState.SERIALIZATION_FAILURE);
    SqlException unique = TxnBuffer.failure(c, uniqueFailed);
    assertThat(unique.sqlState()).isEqualTo(SqlState.UNIQUE_VIOLATION);
    assertThat(unique.getMessage()).contains("accounts_pkey").contains("(id)=(7)");
    assertThat(TxnBuffer.failure(c, readFailed.toBuilder()
            .setAbortReason(AbortReason.OUT_OF_RANGE).setDetail("overflow").build()).sqlState())
        .isEqualTo(SqlState.NUMERIC_VALUE_OUT_OF_RANGE);
  }
}
