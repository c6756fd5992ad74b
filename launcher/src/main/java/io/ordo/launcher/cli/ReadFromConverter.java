package io.ordo.launcher.cli;

import io.ordo.proto.ReadFrom;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parses where a read starts: {@code earliest}, {@code latest}, an offset ({@code 42}) or
 * {@code @} and a log timestamp in epoch milliseconds ({@code @1700000000000}: the first record
 * at or after it). Bad input throws {@link TypeConversionException} (a usage error naming the
 * option).
 */
final class ReadFromConverter implements ITypeConverter<ReadFrom> {
  @Override
  public ReadFrom convert(String value) {
    return parse(value);
  }

  /** See the class comment. */
  static ReadFrom parse(String value) {
    String text = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    switch (text) {
      case "earliest":
        return ReadFrom.newBuilder().setSpecial(ReadFrom.Special.EARLIEST).build();
      case "latest":
        return ReadFrom.newBuilder().setSpecial(ReadFrom.Special.LATEST).build();
      default:
        break;
    }
    if (text.matches("\\d{1,18}")) {
      return ReadFrom.newBuilder().setOffset(Long.parseLong(text)).build();
    }
    if (text.matches("@\\d{1,18}")) {
      return ReadFrom.newBuilder().setTimestampMs(Long.parseLong(text.substring(1))).build();
    }
    throw new TypeConversionException(
        "'" + value + "' is not a start (use earliest, latest, an offset, or @TIMESTAMP_MS)");
  }

  /** How a start is written on the command line (the inverse of {@link #parse}). */
  static String format(ReadFrom from) {
    return switch (from.getAtCase()) {
      case SPECIAL -> from.getSpecial() == ReadFrom.Special.LATEST ? "latest" : "earliest";
      case OFFSET -> Long.toString(from.getOffset());
      case TIMESTAMP_MS -> "@" + from.getTimestampMs();
      case AT_NOT_SET -> "earliest";
    };
  }
}
