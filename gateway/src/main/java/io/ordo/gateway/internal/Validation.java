package io.ordo.gateway.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.ordo.gateway.Limits;
import io.ordo.proto.Assert;
import io.ordo.proto.Operation;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.Value;
import java.nio.charset.StandardCharsets;
import java.util.List;
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

  private static final String OP_KINDS = "get, put, delete, assert, append, increment";
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
    checkKey(op.getKey(), prefix + "key", limits);
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
      case OP_NOT_SET ->
          throw new IllegalArgumentException(
              prefix + "no operation set (set one of " + OP_KINDS + ")");
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
    // A lone surrogate cannot be encoded as UTF-8; protobuf would silently replace it with '?',
    // so two different client keys could name the same stored key.
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < key.length()
          && Character.isLowSurrogate(key.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException(
            field + " is not valid Unicode: unpaired surrogate at index " + i);
      }
    }
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
