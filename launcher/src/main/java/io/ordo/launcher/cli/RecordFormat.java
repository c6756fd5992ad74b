package io.ordo.launcher.cli;

import com.google.protobuf.ByteString;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.StreamRecord;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;

/**
 * One received record as one tab-separated line for people and line tools: {@code
 * SHARD OFFSET TIMESTAMP KEY PAYLOAD}, the timestamp the log time in UTC with milliseconds.
 *
 * <p>The key and a raw payload that is UTF-8 are printed as text with backslash escapes for
 * {@code \\}, tab, newline, carriage return and other control characters ({@code \\uXXXX}), so a
 * record stays on one line and its fields stay apart. A raw payload that is not UTF-8 (or whose
 * text begins with {@value #BASE64_PREFIX}) is printed as {@value #BASE64_PREFIX} and its bytes
 * in base64. A JSON payload is printed as its text with tabs and line breaks turned into spaces,
 * which in valid JSON only occur between tokens. Headers are left out; {@code --output json}
 * shows everything.
 */
final class RecordFormat {
  /** Marks a payload printed in base64. */
  static final String BASE64_PREFIX = "base64:";

  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private RecordFormat() {}

  /** The line of {@code r}, without a line terminator. */
  static String line(ReceivedRecord r) {
    StreamRecord record = r.getRecord();
    return r.getId().getShardId()
        + "\t"
        + r.getId().getOffset()
        + "\t"
        + TIMESTAMP.format(Instant.ofEpochMilli(r.getPosition().getTs()))
        + "\t"
        + escape(record.getPartitionKey())
        + "\t"
        + payload(record);
  }

  /** The payload of {@code record} as described in the class comment; empty when it has none. */
  static String payload(StreamRecord record) {
    return switch (record.getPayloadCase()) {
      case JSON -> record.getJson().replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
      case RAW -> raw(record.getRaw());
      case PAYLOAD_NOT_SET -> "";
    };
  }

  private static String raw(ByteString bytes) {
    try {
      String text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes.toByteArray()))
              .toString();
      if (!text.startsWith(BASE64_PREFIX)) {
        return escape(text);
      }
    } catch (CharacterCodingException e) {
      // Not UTF-8: printed in base64 below.
    }
    return BASE64_PREFIX + Base64.getEncoder().encodeToString(bytes.toByteArray());
  }

  /** {@code text} with backslash escapes for the characters that would break the line format. */
  static String escape(String text) {
    StringBuilder sb = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      String replacement =
          switch (c) {
            case '\\' -> "\\\\";
            case '\t' -> "\\t";
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            default -> c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : null;
          };
      if (replacement != null && sb == null) {
        sb = new StringBuilder(text.length() + 8).append(text, 0, i);
      }
      if (sb != null) {
        if (replacement != null) {
          sb.append(replacement);
        } else {
          sb.append(c);
        }
      }
    }
    return sb == null ? text : sb.toString();
  }
}
