package io.ordo.gateway.subscriptions;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ordo.proto.CreateSubscriptionRequest;
import io.ordo.proto.ReadFrom;
import io.ordo.proto.RecordId;
import io.ordo.proto.Subscription;
import java.util.List;

/**
 * Validation of subscription requests and the defaults of their settings. Every check throws
 * INVALID_ARGUMENT naming the field and the rule it broke.
 */
final class SubscriptionRules {
  /** Longest subscription id, consumer name or stream name, in characters. */
  static final int NAME_LENGTH_MAX = 255;

  /** Ack timeout when a request leaves it 0, in seconds. */
  static final int DEFAULT_ACK_TIMEOUT_SECONDS = 30;

  /** Longest ack timeout, in seconds. */
  static final int ACK_TIMEOUT_SECONDS_MAX = 3_600;

  /** Unacked records that stop delivery when a request leaves it 0. */
  static final int DEFAULT_MAX_UNACKED_RECORDS = 1_000;

  /** Largest max_unacked_records: bounds the per-subscription unacked map of a gateway. */
  static final int MAX_UNACKED_RECORDS_MAX = 100_000;

  /** Most record ids one Ack request or one StreamingFetch message may acknowledge. */
  static final int ACKS_PER_REQUEST_MAX = 10_000;

  private SubscriptionRules() {}

  /**
   * The subscription {@code request} asks for, with defaults filled in: ack timeout 30 s, max
   * unacked 1000, from EARLIEST.
   *
   * @throws StatusRuntimeException INVALID_ARGUMENT for a bad id or stream name, an ack timeout
   *     outside 1..3600 s, max unacked outside 1..100000, or a start other than EARLIEST/LATEST
   */
  static Subscription settingsOf(CreateSubscriptionRequest request) {
    checkName("id", request.getId());
    checkName("stream", request.getStream());
    int ackTimeout = request.getAckTimeoutSeconds();
    if (ackTimeout == 0) {
      ackTimeout = DEFAULT_ACK_TIMEOUT_SECONDS;
    }
    if (ackTimeout < 1 || ackTimeout > ACK_TIMEOUT_SECONDS_MAX) {
      throw invalid(
          "ack_timeout_seconds must be in 1.." + ACK_TIMEOUT_SECONDS_MAX + " (0 means "
              + DEFAULT_ACK_TIMEOUT_SECONDS + "), got " + request.getAckTimeoutSeconds());
    }
    int maxUnacked = request.getMaxUnackedRecords();
    if (maxUnacked == 0) {
      maxUnacked = DEFAULT_MAX_UNACKED_RECORDS;
    }
    if (maxUnacked < 1 || maxUnacked > MAX_UNACKED_RECORDS_MAX) {
      throw invalid(
          "max_unacked_records must be in 1.." + MAX_UNACKED_RECORDS_MAX + " (0 means "
              + DEFAULT_MAX_UNACKED_RECORDS + "), got " + request.getMaxUnackedRecords());
    }
    ReadFrom.Special from =
        switch (request.getFrom()) {
          case SPECIAL_UNSPECIFIED, EARLIEST -> ReadFrom.Special.EARLIEST;
          case LATEST -> ReadFrom.Special.LATEST;
          default -> throw invalid(
              "from must be EARLIEST or LATEST, got enum value " + request.getFromValue());
        };
    return Subscription.newBuilder()
        .setId(request.getId())
        .setStream(request.getStream())
        .setAckTimeoutSeconds(ackTimeout)
        .setMaxUnackedRecords(maxUnacked)
        .setFrom(from)
        .build();
  }

  /**
   * Checks a subscription id, stream name or consumer name: 1..255 characters of {@code
   * [A-Za-z0-9._-]} (the internal key layout relies on it, see {@code StreamKeys}).
   *
   * @throws StatusRuntimeException INVALID_ARGUMENT naming {@code field}
   */
  static void checkName(String field, String name) {
    if (name.isEmpty()) {
      throw invalid(field + " is required (1.." + NAME_LENGTH_MAX + " characters of [A-Za-z0-9._-])");
    }
    if (name.length() > NAME_LENGTH_MAX) {
      throw invalid(
          field + " is " + name.length() + " characters long; at most " + NAME_LENGTH_MAX
              + " are allowed");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '.' || c == '_' || c == '-';
      if (!ok) {
        throw invalid(
            field + " '" + name + "' has the character " + describe(c) + " at index " + i
                + "; only [A-Za-z0-9._-] are allowed");
      }
    }
  }

  /**
   * Checks record ids to acknowledge: at most {@value #ACKS_PER_REQUEST_MAX}, shard ids and
   * offsets >= 0.
   *
   * @throws StatusRuntimeException INVALID_ARGUMENT naming the first bad id
   */
  static void checkAcks(List<RecordId> acks) {
    if (acks.size() > ACKS_PER_REQUEST_MAX) {
      throw invalid(
          acks.size() + " acks in one request; at most " + ACKS_PER_REQUEST_MAX + " are allowed");
    }
    for (int i = 0; i < acks.size(); i++) {
      RecordId id = acks.get(i);
      if (id.getShardId() < 0 || id.getOffset() < 0) {
        throw invalid(
            "acks[" + i + "] has shard_id " + id.getShardId() + " and offset " + id.getOffset()
                + "; both must be >= 0");
      }
    }
  }

  static StatusRuntimeException invalid(String description) {
    return Status.INVALID_ARGUMENT.withDescription(description).asRuntimeException();
  }

  private static String describe(char c) {
    if (c < 0x20 || c == 0x7f || Character.isWhitespace(c)) {
      return String.format("U+%04X", (int) c);
    }
    return "'" + c + "'";
  }
}
