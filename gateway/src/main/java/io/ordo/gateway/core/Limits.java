package io.ordo.gateway.core;

import io.ordo.sequencer.LogTopics;
import io.ordo.sequencer.Sequencer;

/**
 * Bounds on what one request may carry and on how many requests may wait at once. Every bound is
 * checked before anything is appended to the log, so an oversized request never reaches the
 * executor.
 *
 * @param keyBytesMax largest key, in UTF-8 bytes (default 1024)
 * @param valueBytesMax largest value of a put, an assert's expected value or an appended element,
 *     in bytes; for a list value the sum of its elements' sizes (default 1 MiB)
 * @param opsPerTxnMax most operations in one transaction (default 10 000)
 * @param txnBytesMax largest encoded {@link io.ordo.proto.Transaction}, in bytes (default 8 MiB;
 *     at most {@link #TXN_BYTES_MAX_CEILING}, so the log record fits the topic's
 *     max.message.bytes)
 * @param txnIdLengthMax longest transaction id, in characters of {@code [A-Za-z0-9._:-]} (which
 *     are one byte each; default 128, which is also the most the sequencer accepts)
 * @param httpBodyBytesMax largest HTTP request body, in bytes; larger bodies get HTTP 413
 *     (default 16 MiB)
 * @param inFlightTxnMax most transactions one gateway waits for at once; beyond it requests get
 *     RESOURCE_EXHAUSTED / HTTP 429 (default 50 000)
 */
public record Limits(
    int keyBytesMax,
    int valueBytesMax,
    int opsPerTxnMax,
    int txnBytesMax,
    int txnIdLengthMax,
    int httpBodyBytesMax,
    int inFlightTxnMax) {

  /** Default largest key, in UTF-8 bytes. */
  public static final int DEFAULT_KEY_BYTES_MAX = 1024;
  /** Default largest value, in bytes (1 MiB). */
  public static final int DEFAULT_VALUE_BYTES_MAX = 1 << 20;
  /** Default most operations per transaction. */
  public static final int DEFAULT_OPS_PER_TXN_MAX = 10_000;
  /** Default largest encoded transaction, in bytes (8 MiB). */
  public static final int DEFAULT_TXN_BYTES_MAX = 8 << 20;
  /** Default longest transaction id, in characters. */
  public static final int DEFAULT_TXN_ID_LENGTH_MAX = 128;
  /** Default largest HTTP request body, in bytes (16 MiB). */
  public static final int DEFAULT_HTTP_BODY_BYTES_MAX = 16 << 20;
  /** Default most transactions waited for at once. */
  public static final int DEFAULT_IN_FLIGHT_TXN_MAX = 50_000;
  /**
   * The largest allowed txnBytesMax: a transaction is appended inside a LogEntry in one Kafka
   * record, which must fit the log topic's {@code max.message.bytes}; 64 KiB are left for the
   * LogEntry wrapper, the record key and the batch framing.
   */
  public static final int TXN_BYTES_MAX_CEILING = LogTopics.MESSAGE_BYTES_MAX - (64 << 10);

  /**
   * Checks that every bound is positive, that txnIdLengthMax is at most the sequencer's 128 and
   * that txnBytesMax is at most {@link #TXN_BYTES_MAX_CEILING}.
   *
   * @throws IllegalArgumentException naming the first bound that is out of range
   */
  public Limits {
    requirePositive("keyBytesMax", keyBytesMax);
    requirePositive("valueBytesMax", valueBytesMax);
    requirePositive("opsPerTxnMax", opsPerTxnMax);
    requirePositive("txnBytesMax", txnBytesMax);
    requirePositive("txnIdLengthMax", txnIdLengthMax);
    requirePositive("httpBodyBytesMax", httpBodyBytesMax);
    requirePositive("inFlightTxnMax", inFlightTxnMax);
    if (txnIdLengthMax > Sequencer.TXN_ID_BYTES_MAX) {
      throw new IllegalArgumentException(
          "txnIdLengthMax must be <= "
              + Sequencer.TXN_ID_BYTES_MAX
              + " (the sequencer's bound on ids), got "
              + txnIdLengthMax);
    }
    if (txnBytesMax > TXN_BYTES_MAX_CEILING) {
      throw new IllegalArgumentException(
          "txnBytesMax must be <= "
              + TXN_BYTES_MAX_CEILING
              + " (the log topic's max.message.bytes less room for the record's framing), got "
              + txnBytesMax);
    }
  }

  /** The defaults listed on each component. */
  public static Limits defaults() {
    return new Limits(
        DEFAULT_KEY_BYTES_MAX,
        DEFAULT_VALUE_BYTES_MAX,
        DEFAULT_OPS_PER_TXN_MAX,
        DEFAULT_TXN_BYTES_MAX,
        DEFAULT_TXN_ID_LENGTH_MAX,
        DEFAULT_HTTP_BODY_BYTES_MAX,
        DEFAULT_IN_FLIGHT_TXN_MAX);
  }

  private static void requirePositive(String field, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(field + " must be > 0, got " + value);
    }
  }
}
