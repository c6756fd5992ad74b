package io.ordo.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.ordo.proto.Append;
import io.ordo.proto.Assert;
import io.ordo.proto.Delete;
import io.ordo.proto.Get;
import io.ordo.proto.Increment;
import io.ordo.proto.ListValue;
import io.ordo.proto.Operation;
import io.ordo.proto.Put;
import io.ordo.proto.SealShard;
import io.ordo.proto.ShardState;
import io.ordo.proto.StreamAppend;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.SubscriptionAck;
import io.ordo.proto.TrimShard;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.Value;
import org.junit.jupiter.api.Test;

/** Every validation rule, with the exact reason a client gets. */
class ValidationTest {
  // Small limits keep the inputs small; the rules are the same at the defaults.
  private static final Limits LIMITS = new Limits(8, 16, 3, 200, 10, 1024, 100);

  private static Operation get(String key) {
    return Operation.newBuilder().setKey(key).setGet(Get.getDefaultInstance()).build();
  }

  private static Operation put(String key, Value value) {
    return Operation.newBuilder().setKey(key).setPut(Put.newBuilder().setValue(value)).build();
  }

  private static Value bytes(int size) {
    return Value.newBuilder().setBytes(ByteString.copyFrom(new byte[size])).build();
  }

  private static TxnRequest txn(Operation... ops) {
    return TxnRequest.newBuilder().setId("t-1").addAllOps(java.util.List.of(ops)).build();
  }

  private static void assertReason(TxnRequest request, String reason) {
    assertThatThrownBy(() -> Validation.checkTxnRequest(request, LIMITS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(reason);
  }

  @Test
  void acceptsAWellFormedTransactionOfEveryOperationKind() {
    TxnRequest request =
        TxnRequest.newBuilder()
            .addOps(get("a"))
            .addOps(put("b", Value.newBuilder().setCounter(Long.MAX_VALUE).build()))
            .addOps(
                Operation.newBuilder()
                    .setKey("c")
                    .setAssert(Assert.newBuilder().setAbsent(true)))
            .build();
    assertThatCode(() -> Validation.checkTxnRequest(request, LIMITS)).doesNotThrowAnyException();
    TxnRequest more =
        TxnRequest.newBuilder()
            .setId("A.z_0:9-")
            .addOps(Operation.newBuilder().setKey("d").setDelete(Delete.getDefaultInstance()))
            .addOps(
                Operation.newBuilder()
                    .setKey("e")
                    .setAppend(Append.newBuilder().setElement(ByteString.copyFrom(new byte[16]))))
            .addOps(
                Operation.newBuilder()
                    .setKey("12345678")
                    .setIncrement(Increment.newBuilder().setDelta(-1).setMin(0)))
            .build();
    assertThatCode(() -> Validation.checkTxnRequest(more, LIMITS)).doesNotThrowAnyException();
  }

  @Test
  void rejectsATransactionWithoutOperations() {
    assertReason(TxnRequest.newBuilder().setId("t").build(), "transaction has no operations");
  }

  @Test
  void rejectsMoreOperationsThanOpsPerTxnMax() {
    assertReason(
        txn(get("a"), get("b"), get("c"), get("d")),
        "transaction has 4 operations; at most 3 are allowed (opsPerTxnMax)");
  }

  @Test
  void rejectsAnEmptyKeyNamingTheOperation() {
    assertReason(txn(get("a"), get("")), "op 1: key is empty");
  }

  @Test
  void rejectsAKeyLongerThanKeyBytesMaxCountingUtf8Bytes() {
    // "é" is 2 bytes in UTF-8: 5 characters, 10 bytes.
    assertReason(
        txn(get("ééééé")), "op 0: key is 10 bytes (UTF-8); at most 8 are allowed (keyBytesMax)");
    assertThatCode(() -> Validation.checkTxnRequest(txn(get("éééé")), LIMITS))
        .doesNotThrowAnyException();
  }

  @Test
  void rejectsAKeyWithAnUnpairedSurrogate() {
    assertReason(txn(get("a\uD800b")), "op 0: key is not valid Unicode: unpaired surrogate at index 1");
  }

  @Test
  void rejectsAPutValueLargerThanValueBytesMax() {
    assertReason(
        txn(get("a"), get("b"), put("c", bytes(17))),
        "op 2: put.value is 17 bytes; at most 16 are allowed (valueBytesMax)");
    assertThatCode(() -> Validation.checkTxnRequest(txn(put("c", bytes(16))), LIMITS))
        .doesNotThrowAnyException();
  }

  @Test
  void rejectsAListValueWhoseElementsSumAboveValueBytesMax() {
    Value list =
        Value.newBuilder()
            .setList(
                ListValue.newBuilder()
                    .addElements(ByteString.copyFrom(new byte[9]))
                    .addElements(ByteString.copyFrom(new byte[8])))
            .build();
    assertReason(
        txn(put("k", list)),
        "op 0: put.value is 17 bytes (sum of 2 list elements); at most 16 are allowed"
            + " (valueBytesMax)");
  }

  @Test
  void rejectsAnAssertedValueLargerThanValueBytesMax() {
    Operation op =
        Operation.newBuilder().setKey("k").setAssert(Assert.newBuilder().setEquals(bytes(20))).build();
    assertReason(txn(op), "op 0: assert.equals is 20 bytes; at most 16 are allowed (valueBytesMax)");
  }

  @Test
  void rejectsAnAppendedElementLargerThanValueBytesMax() {
    Operation op =
        Operation.newBuilder()
            .setKey("k")
            .setAppend(Append.newBuilder().setElement(ByteString.copyFrom(new byte[17])))
            .build();
    assertReason(
        txn(op), "op 0: append.element is 17 bytes; at most 16 are allowed (valueBytesMax)");
  }

  @Test
  void rejectsAnOperationWithNoKind() {
    assertReason(
        txn(get("a"), Operation.newBuilder().setKey("b").build()),
        "op 1: no operation set (set one of get, put, delete, assert, append, increment,"
            + " stream_append, ack)");
  }

  @Test
  void rejectsAPutWithoutValueOrWithAValueOfNoKind() {
    assertReason(
        txn(Operation.newBuilder().setKey("k").setPut(Put.getDefaultInstance()).build()),
        "op 0: put.value is missing");
    assertReason(
        txn(put("k", Value.getDefaultInstance())),
        "op 0: put.value has no kind set (set one of bytes, counter, list)");
  }

  @Test
  void rejectsAnAssertWithoutExpectationOrWithAnExpectedValueOfNoKind() {
    assertReason(
        txn(Operation.newBuilder().setKey("k").setAssert(Assert.getDefaultInstance()).build()),
        "op 0: assert has no expectation set (set one of equals, absent)");
    assertReason(
        txn(
            Operation.newBuilder()
                .setKey("k")
                .setAssert(Assert.newBuilder().setEquals(Value.getDefaultInstance()))
                .build()),
        "op 0: assert.equals has no kind set (set one of bytes, counter, list)");
  }

  @Test
  void rejectsAnIdLongerThanTxnIdLengthMax() {
    assertReason(
        txn(get("a")).toBuilder().setId("abcdefghijk").build(),
        "id is 11 characters; at most 10 are allowed (txnIdLengthMax)");
  }

  @Test
  void rejectsAnIdWithCharactersOutsideTheCharset() {
    assertReason(
        txn(get("a")).toBuilder().setId("ab/c").build(),
        "id contains '/' at index 2; allowed characters are [A-Za-z0-9._:-]");
    assertReason(
        txn(get("a")).toBuilder().setId("a b").build(),
        "id contains U+0020 at index 1; allowed characters are [A-Za-z0-9._:-]");
    assertReason(
        txn(get("a")).toBuilder().setId("aé").build(),
        "id contains U+00E9 at index 1; allowed characters are [A-Za-z0-9._:-]");
  }

  @Test
  void acceptsAnEmptyIdBecauseTheGatewayGeneratesOne() {
    TxnRequest request = TxnRequest.newBuilder().addOps(get("a")).build();
    assertThatCode(() -> Validation.checkTxnRequest(request, LIMITS)).doesNotThrowAnyException();
  }

  @Test
  void rejectsATransactionThatEncodesLargerThanTxnBytesMax() {
    Transaction.Builder txn = Transaction.newBuilder().setId("t");
    for (int i = 0; i < 3; i++) {
      txn.addOps(put("k" + i, bytes(16)));
    }
    int size = txn.build().getSerializedSize();
    Limits tight = new Limits(8, 16, 3, size - 1, 10, 1024, 100);
    assertThatThrownBy(() -> Validation.checkEncodedSize(txn.build(), tight))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "transaction encodes to "
                + size
                + " bytes; at most "
                + (size - 1)
                + " are allowed (txnBytesMax)");
    Limits exact = new Limits(8, 16, 3, size, 10, 1024, 100);
    assertThatCode(() -> Validation.checkEncodedSize(txn.build(), exact)).doesNotThrowAnyException();
  }

  @Test
  void rejectsUnknownFieldsAndSaysWhereTheyAre() {
    UnknownFieldSet unknown =
        UnknownFieldSet.newBuilder()
            .addField(99, UnknownFieldSet.Field.newBuilder().addVarint(1).build())
            .build();
    assertReason(txn(get("a")).toBuilder().setUnknownFields(unknown).build(),
        "request has an unknown field (number 99)");
    Operation withUnknown =
        Operation.newBuilder()
            .setKey("k")
            .setPut(Put.newBuilder().setValue(bytes(1)).setUnknownFields(unknown))
            .build();
    assertReason(txn(get("a"), withUnknown), "request.ops[1].put has an unknown field (number 99)");
  }

  @Test
  void namesTheFieldPlainlyForSingleKeyRequests() {
    assertThatThrownBy(() -> Validation.checkKey("", "key", LIMITS)).hasMessage("key is empty");
    assertThatThrownBy(() -> Validation.checkValue(Value.getDefaultInstance(), "value", LIMITS))
        .hasMessage("value has no kind set (set one of bytes, counter, list)");
  }

  @Test
  void limitsRejectNonPositiveBoundsAndBoundsAboveWhatTheLogAccepts() {
    assertThatThrownBy(() -> new Limits(0, 1, 1, 1, 1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keyBytesMax must be > 0, got 0");
    assertThatThrownBy(() -> new Limits(1, 1, 1, 1, 129, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("txnIdLengthMax must be <= 128");
    assertThatThrownBy(() -> new Limits(1, 1, 1, Limits.TXN_BYTES_MAX_CEILING + 1, 1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("txnBytesMax must be <= " + Limits.TXN_BYTES_MAX_CEILING);
    assertThat(Limits.defaults())
        .isEqualTo(new Limits(1024, 1 << 20, 10_000, 8 << 20, 128, 16 << 20, 50_000));
  }

  // ---- streams: internal keys, stream operations in a Txn, records ----

  private static Operation streamAppend(StreamRecord... records) {
    return Operation.newBuilder()
        .setStreamAppend(StreamAppend.newBuilder().setStream("orders").addAllRecords(java.util.List.of(records)))
        .build();
  }

  private static StreamRecord json(String text) {
    return StreamRecord.newBuilder().setPartitionKey("k").setJson(text).build();
  }

  @Test
  void rejectsClientKeysInTheReservedSpaceOfStreams() {
    assertReason(
        txn(get("\u0000ordo")),
        "op 0: key: keys starting with U+0000 are reserved for streams and subscriptions");
    assertThatThrownBy(() -> Validation.checkClientKey("\u0000x", "key", LIMITS))
        .hasMessage("key: keys starting with U+0000 are reserved for streams and subscriptions");
    assertThatCode(() -> Validation.checkClientKey("x\u0000", "key", LIMITS)).doesNotThrowAnyException();
  }

  @Test
  void acceptsStreamAppendsAndAcksWithAnEmptyKeyOnly() {
    Operation ack =
        Operation.newBuilder()
            .setAck(SubscriptionAck.newBuilder().setSubscription("s").setStream("orders").addOffsets(3))
            .build();
    assertThatCode(() -> Validation.checkTxnRequest(txn(streamAppend(json("{}")), ack), LIMITS))
        .doesNotThrowAnyException();
    assertReason(
        txn(streamAppend(json("{}")).toBuilder().setKey("x").build()),
        "op 0: key must be empty for stream_append (the gateway fills it)");
    assertReason(
        txn(ack.toBuilder().setKey("x").build()),
        "op 0: key must be empty for ack (the gateway fills it)");
    assertReason(
        txn(ack.toBuilder().setAck(ack.getAck().toBuilder().clearOffsets()).build()),
        "op 0: ack.offsets is empty");
  }

  @Test
  void rejectsSealAndTrimInAClientTransaction() {
    assertReason(
        txn(Operation.newBuilder().setKey("a").setSealShard(SealShard.getDefaultInstance()).build()),
        "op 0: seal_shard is not allowed in a transaction request (use the Streams service's"
            + " SplitShard, MergeShards or TrimShard)");
    assertReason(
        txn(Operation.newBuilder().setKey("a").setTrimShard(TrimShard.getDefaultInstance()).build()),
        "op 0: trim_shard is not allowed in a transaction request (use the Streams service's"
            + " SplitShard, MergeShards or TrimShard)");
  }

  @Test
  void rejectsShardAndProgressValuesInClientWrites() {
    assertReason(
        txn(put("a", Value.newBuilder().setShard(ShardState.getDefaultInstance()).build())),
        "op 0: put.value has kind shard, which only stream operations write (set one of bytes,"
            + " counter, list)");
  }

  @Test
  void checksStreamNamesRecordsAndJsonPayloads() {
    assertReason(
        txn(streamAppend()), "op 0: stream_append.records is empty");
    assertReason(
        txn(streamAppend(json("{\"a\": 1} x"))),
        "op 0: stream_append.records[0].json is not a JSON document: Unrecognized token 'x':"
            + " was expecting (JSON String, Number, Array, Object or token 'null', 'true' or"
            + " 'false')");
    assertThatThrownBy(() -> Validation.checkStreamRecord(json("{} {}"), "r", LIMITS))
        .hasMessageStartingWith("r.json is not a JSON document: Trailing token");
    assertThatThrownBy(() -> Validation.checkStreamRecord(json("{\"a\":"), "r", LIMITS))
        .hasMessageStartingWith("r.json is not a JSON document: ");
    assertThatThrownBy(() -> Validation.checkStreamRecord(json("{\"a\":1,\"a\":2}"), "r", Limits.defaults()))
        .hasMessageStartingWith("r.json is not a JSON document: Duplicate field 'a'");
    assertThatThrownBy(
            () ->
                Validation.checkStreamRecord(
                    StreamRecord.newBuilder().setRaw(ByteString.copyFrom(new byte[17])).build(),
                    "r",
                    LIMITS))
        .hasMessage(
            "r encodes to 19 bytes (payload, partition key and headers); at most 16 are allowed"
                + " (valueBytesMax)");
    assertThatThrownBy(() -> Validation.checkName("", "name")).hasMessage("name is empty");
    assertThatThrownBy(() -> Validation.checkName("a/b", "name"))
        .hasMessage("name contains '/' at index 1; allowed characters are [A-Za-z0-9._-]");
    assertThatThrownBy(() -> Validation.checkName("x".repeat(256), "name"))
        .hasMessage("name is 256 characters; at most 255 are allowed");
    assertThatCode(() -> Validation.checkName("a-B_9.z", "name")).doesNotThrowAnyException();
  }
}
