package io.ordo.gateway.core;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.ordo.proto.Assert;
import io.ordo.proto.Header;
import io.ordo.proto.Operation;
import io.ordo.proto.StreamAppend;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.SubscriptionAck;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.Value;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checks requests against {@link Limits} and the shape rules of log.proto before anything is
 * appended to the log. Every check throws {@link IllegalArgumentException} whose message is the
 * reason given to the client (gRPC INVALID_ARGUMENT / HTTP 400); reasons about an operation of a
 * transaction start with {@code "op <index>: "} and name the field.
 *
 * <p>Stateless and thread-safe.
 */
public final class Validation {
  /** The characters allowed in a transaction id, as a regex character class. */
  public static final String TXN_ID_CHARSET = "[A-Za-z0-9._:-]";

  private static final String OP_KINDS =
      "get, put, delete, assert, append, increment, stream_append, ack";

  /**
   * Keys starting with this character are internal (streams and subscriptions,
   * io.ordo.gateway.streams.StreamKeys); client operations may not name them.
   */
  public static final String RESERVED_KEY_PREFIX = "\u0000";

  /** The characters allowed in stream names and subscription ids, as a regex character class. */
  public static final String NAME_CHARSET = "[A-Za-z0-9._-]";

  /** Longest stream name or subscription id, in characters. */
  public static final int NAME_LENGTH_MAX = 255;

  /** Most offsets one ack operation may carry. */
  public static final int ACK_OFFSETS_MAX = 10_000;

  /** Strict JSON: one document, nothing after it, no duplicate object keys. */
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final String VALUE_KINDS = "bytes, counter, list";

  private Validation() {}

  /**
   * Checks a {@code Txn} request: its id (when given), the number of operations and every
   * operation. The encoded size is checked separately, on the built transaction, by {@link
   * #checkEncodedSize}.
   *
   * @throws IllegalArgumentException with the reason
   */
  public static void checkTxnRequest(TxnRequest request, Limits limits) {
    checkNoUnknownFields(request, "request");
    if (!request.getId().isEmpty()) {
      checkTxnId(request.getId(), limits);
    }
    int opCount = request.getOpsCount();
    if (opCount == 0) {
      throw new IllegalArgumentException("transaction has no operations");
    }
    if (opCount > limits.opsPerTxnMax()) {
      throw new IllegalArgumentException(
          "transaction has "
              + opCount
              + " operations; at most "
              + limits.opsPerTxnMax()
              + " are allowed (opsPerTxnMax)");
    }
    List<Operation> ops = request.getOpsList();
    for (int i = 0; i < opCount; i++) {
      checkOperation(ops.get(i), "op " + i + ": ", limits);
    }
  }

  /**
   * Checks a client-chosen transaction id: 1..txnIdLengthMax characters of {@value
   * #TXN_ID_CHARSET}.
   *
   * @throws IllegalArgumentException with the reason
   */
  public static void checkTxnId(String id, Limits limits) {
    if (id.isEmpty()) {
      throw new IllegalArgumentException("id is empty");
    }
    if (id.length() > limits.txnIdLengthMax()) {
      throw new IllegalArgumentException(
          "id is "
              + id.length()
              + " characters; at most "
              + limits.txnIdLengthMax()
              + " are allowed (txnIdLengthMax)");
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!isIdChar(c)) {
        throw new IllegalArgumentException(
            "id contains "
                + describeChar(c)
                + " at index "
                + i
                + "; allowed characters are "
                + TXN_ID_CHARSET);
      }
    }
  }

  /**
   * Checks one operation of a transaction.
   *
   * @param prefix prepended to every reason, e.g. {@code "op 3: "}, or empty
   * @throws IllegalArgumentException with the reason
   */
  public static void checkOperation(Operation op, String prefix, Limits limits) {
    switch (op.getOpCase()) {
      case STREAM_APPEND, ACK -> {
        // The gateway fills the internal key from the stream/subscription and shard.
        if (!op.getKey().isEmpty()) {
          throw new IllegalArgumentException(
              prefix + "key must be empty for " + op.getOpCase().name().toLowerCase(Locale.ROOT)
                  + " (the gateway fills it)");
        }
      }
      default -> checkClientKey(op.getKey(), prefix + "key", limits);
    }
    switch (op.getOpCase()) {
      case GET, DELETE, INCREMENT -> {
        // No payload to bound: an increment's delta and bounds are fixed-size integers, and an
        // out-of-range result is a deterministic abort decided by the executor, not bad input.
      }
      case PUT -> {
        if (!op.getPut().hasValue()) {
          throw new IllegalArgumentException(prefix + "put.value is missing");
        }
        checkValue(op.getPut().getValue(), prefix + "put.value", limits);
      }
      case ASSERT -> {
        Assert assertion = op.getAssert();
        if (assertion.getExpectCase() == Assert.ExpectCase.EXPECT_NOT_SET) {
          throw new IllegalArgumentException(
              prefix + "assert has no expectation set (set one of equals, absent)");
        }
        if (assertion.hasEquals()) {
          checkValue(assertion.getEquals(), prefix + "assert.equals", limits);
        }
      }
      case APPEND -> {
        int size = op.getAppend().getElement().size();
        if (size > limits.valueBytesMax()) {
          throw new IllegalArgumentException(
              prefix
                  + "append.element is "
                  + size
                  + " bytes; at most "
                  + limits.valueBytesMax()
                  + " are allowed (valueBytesMax)");
        }
      }
      case STREAM_APPEND -> checkStreamAppend(op.getStreamAppend(), prefix + "stream_append", limits);
      case ACK -> checkAck(op.getAck(), prefix + "ack");
      case SEAL_SHARD, TRIM_SHARD ->
          throw new IllegalArgumentException(
              prefix + op.getOpCase().name().toLowerCase(Locale.ROOT)
                  + " is not allowed in a transaction request (use the Streams service's"
                  + " SplitShard, MergeShards or TrimShard)");
      case OP_NOT_SET ->
          throw new IllegalArgumentException(
              prefix + "no operation set (set one of " + OP_KINDS + ")");
    }
  }

  /**
   * Checks a stream append of a transaction request: stream name, shard id (when set) and
   * expected offset are in range, at least one record, every record well formed ({@link
   * #checkStreamRecord}).
   *
   * @param field names the append in the reason, e.g. {@code "op 3: stream_append"}
   * @throws IllegalArgumentException with the reason
   */
  public static void checkStreamAppend(StreamAppend append, String field, Limits limits) {
    checkName(append.getStream(), field + ".stream");
    if (append.hasShardId() && append.getShardId() < 0) {
      throw new IllegalArgumentException(
          field + ".shard_id must be >= 0, got " + append.getShardId());
    }
    if (append.hasExpectedOffset() && append.getExpectedOffset() < 0) {
      throw new IllegalArgumentException(
          field + ".expected_offset must be >= 0, got " + append.getExpectedOffset());
    }
    checkStreamRecords(append.getRecordsList(), field + ".records", limits);
  }

  /**
   * Checks an ack operation: subscription id and stream name, shard id >= 0, 1..{@value
   * #ACK_OFFSETS_MAX} offsets, each >= 0.
   *
   * @throws IllegalArgumentException with the reason
   */
  public static void checkAck(SubscriptionAck ack, String field) {
    checkName(ack.getSubscription(), field + ".subscription");
    checkName(ack.getStream(), field + ".stream");
    if (ack.getShardId() < 0) {
      throw new IllegalArgumentException(field + ".shard_id must be >= 0, got " + ack.getShardId());
    }
    if (ack.getOffsetsCount() == 0) {
      throw new IllegalArgumentException(field + ".offsets is empty");
    }
    if (ack.getOffsetsCount() > ACK_OFFSETS_MAX) {
      throw new IllegalArgumentException(
          field + ".offsets has " + ack.getOffsetsCount() + " entries; at most " + ACK_OFFSETS_MAX
              + " are allowed");
    }
    for (int i = 0; i < ack.getOffsetsCount(); i++) {
      if (ack.getOffsets(i) < 0) {
        throw new IllegalArgumentException(
            field + ".offsets[" + i + "] must be >= 0, got " + ack.getOffsets(i));
      }
    }
  }

  /**
   * Checks a stream name or subscription id: 1..{@value #NAME_LENGTH_MAX} characters of {@value
   * #NAME_CHARSET}.
   *
   * @param field names it in the reason, e.g. {@code "name"}
   * @throws IllegalArgumentException with the reason
   */
  public static void checkName(String name, String field) {
    if (name.isEmpty()) {
      throw new IllegalArgumentException(field + " is empty");
    }
    if (name.length() > NAME_LENGTH_MAX) {
      throw new IllegalArgumentException(
          field + " is " + name.length() + " characters; at most " + NAME_LENGTH_MAX
              + " are allowed");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '_'
              || c == '-';
      if (!ok) {
        throw new IllegalArgumentException(
            field + " contains " + describeChar(c) + " at index " + i
                + "; allowed characters are " + NAME_CHARSET);
      }
    }
  }

  /**
   * Checks the records of one append: at least one, each well formed ({@link
   * #checkStreamRecord}). The total size is bounded by the encoded transaction ({@link
   * #checkEncodedSize}).
   *
   * @throws IllegalArgumentException with the reason
   */
  public static void checkStreamRecords(List<StreamRecord> records, String field, Limits limits) {
    if (records.isEmpty()) {
      throw new IllegalArgumentException(field + " is empty");
    }
    for (int i = 0; i < records.size(); i++) {
      checkStreamRecord(records.get(i), field + "[" + i + "]", limits);
    }
  }

  /**
   * Checks one stream record: the partition key is valid Unicode of at most keyBytesMax UTF-8
   * bytes (empty is allowed), header keys are non-empty valid Unicode, a JSON payload parses as
   * one JSON document, and the encoded record (payload, partition key and headers) is at most
   * valueBytesMax bytes.
   *
   * @param field names the record in the reason, e.g. {@code "records[3]"}
   * @throws IllegalArgumentException with the reason
   */
  public static void checkStreamRecord(StreamRecord record, String field, Limits limits) {
    if (!record.getPartitionKey().isEmpty()) {
      checkKey(record.getPartitionKey(), field + ".partition_key", limits);
    }
    for (int i = 0; i < record.getHeadersCount(); i++) {
      Header header = record.getHeaders(i);
      checkKey(header.getKey(), field + ".headers[" + i + "].key", limits);
    }
    int size = record.getSerializedSize();
    if (size > limits.valueBytesMax()) {
      throw new IllegalArgumentException(
          field + " encodes to " + size + " bytes (payload, partition key and headers); at most "
              + limits.valueBytesMax() + " are allowed (valueBytesMax)");
    }
    if (record.getPayloadCase() == StreamRecord.PayloadCase.JSON) {
      checkUnicode(record.getJson(), field + ".json");
      try {
        JSON.readTree(record.getJson());
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException(
            field + ".json is not a JSON document: " + e.getOriginalMessage());
      }
    }
  }

  /**
   * Checks a key a client names: as {@link #checkKey}, and not internal (starting with U+0000,
   * reserved for streams and subscriptions).
   *
   * @throws IllegalArgumentException with the reason
   */
  public static void checkClientKey(String key, String field, Limits limits) {
    checkKey(key, field, limits);
    if (key.startsWith(RESERVED_KEY_PREFIX)) {
      throw new IllegalArgumentException(
          field + ": keys starting with U+0000 are reserved for streams and subscriptions");
    }
  }

  /**
   * Checks a key: not empty, well-formed Unicode, at most keyBytesMax UTF-8 bytes.
   *
   * @param field names the key in the reason, e.g. {@code "op 3: key"} or {@code "key"}
   * @throws IllegalArgumentException with the reason
   */
  public static void checkKey(String key, String field, Limits limits) {
    if (key.isEmpty()) {
      throw new IllegalArgumentException(field + " is empty");
    }
    checkUnicode(key, field);
    int bytes = utf8Length(key);
    if (bytes > limits.keyBytesMax()) {
      throw new IllegalArgumentException(
          field
              + " is "
              + bytes
              + " bytes (UTF-8); at most "
              + limits.keyBytesMax()
              + " are allowed (keyBytesMax)");
    }
  }

  /**
   * Checks a value that is to be stored or compared: its kind is set and its size (bytes, or the
   * sum of a list's elements) is at most valueBytesMax.
   *
   * @param field names the value in the reason, e.g. {@code "op 3: put.value"}
   * @throws IllegalArgumentException with the reason
   */
  public static void checkValue(Value value, String field, Limits limits) {
    switch (value.getKindCase()) {
      case BYTES -> {
        int size = value.getBytes().size();
        if (size > limits.valueBytesMax()) {
          throw new IllegalArgumentException(
              field
                  + " is "
                  + size
                  + " bytes; at most "
                  + limits.valueBytesMax()
                  + " are allowed (valueBytesMax)");
        }
      }
      case COUNTER -> {
        // Eight bytes at most: always within bounds.
      }
      case LIST -> {
        long size = 0;
        for (ByteString element : value.getList().getElementsList()) {
          size += element.size();
        }
        if (size > limits.valueBytesMax()) {
          throw new IllegalArgumentException(
              field
                  + " is "
                  + size
                  + " bytes (sum of "
                  + value.getList().getElementsCount()
                  + " list elements); at most "
                  + limits.valueBytesMax()
                  + " are allowed (valueBytesMax)");
        }
      }
      case SHARD, PROGRESS ->
          throw new IllegalArgumentException(
              field + " has kind " + value.getKindCase().name().toLowerCase(Locale.ROOT)
                  + ", which only stream operations write (set one of " + VALUE_KINDS + ")");
      case KIND_NOT_SET ->
          throw new IllegalArgumentException(
              field + " has no kind set (set one of " + VALUE_KINDS + ")");
    }
  }

  /**
   * Checks that the transaction, encoded as it will be appended to the log, is at most
   * txnBytesMax bytes.
   *
   * @throws IllegalArgumentException with the reason
   */
  public static void checkEncodedSize(Transaction txn, Limits limits) {
    int size = txn.getSerializedSize();
    if (size > limits.txnBytesMax()) {
      throw new IllegalArgumentException(
          "transaction encodes to "
              + size
              + " bytes; at most "
              + limits.txnBytesMax()
              + " are allowed (txnBytesMax)");
    }
  }

  /**
   * Rejects fields this gateway does not know. They arrive in binary protobuf from clients built
   * against a newer proto; silently dropping them could change what a transaction means.
   *
   * @param path names the message in the reason, e.g. {@code "request"}
   * @throws IllegalArgumentException naming the first unknown field's number and where it is
   */
  public static void checkNoUnknownFields(Message message, String path) {
    if (!message.getUnknownFields().asMap().isEmpty()) {
      // asMap is a sorted map: the reported number is the smallest, deterministically.
      int number = message.getUnknownFields().asMap().keySet().iterator().next();
      throw new IllegalArgumentException(
          path + " has an unknown field (number " + number + ")");
    }
    // getAllFields is ordered by field number, so the first offending field is deterministic.
    for (Map.Entry<FieldDescriptor, Object> entry : message.getAllFields().entrySet()) {
      FieldDescriptor field = entry.getKey();
      if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      if (field.isRepeated()) {
        List<?> elements = (List<?>) entry.getValue();
        for (int i = 0; i < elements.size(); i++) {
          checkNoUnknownFields((Message) elements.get(i), path + "." + field.getName() + "[" + i + "]");
        }
      } else {
        checkNoUnknownFields((Message) entry.getValue(), path + "." + field.getName());
      }
    }
  }

  /**
   * Rejects unpaired surrogates: they cannot be encoded as UTF-8, and protobuf would silently
   * replace them with '?', so two different client strings could become the same stored one.
   */
  private static void checkUnicode(String text, String field) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException(
            field + " is not valid Unicode: unpaired surrogate at index " + i);
      }
    }
  }

  private static boolean isIdChar(char c) {
    return (c >= 'A' && c <= 'Z')
        || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9')
        || c == '.'
        || c == '_'
        || c == ':'
        || c == '-';
  }

  private static String describeChar(char c) {
    if (c >= 0x21 && c <= 0x7e) {
      return "'" + c + "'";
    }
    return String.format("U+%04X", (int) c);
  }

  private static int utf8Length(String s) {
    // Checked for lone surrogates before, so getBytes does not substitute anything.
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
