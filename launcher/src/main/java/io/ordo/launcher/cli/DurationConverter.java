package io.ordo.launcher.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parses durations given on the command line: a non-negative integer with an optional unit, {@code
 * ms}, {@code s}, {@code m}, {@code h} or {@code d} (plain numbers are seconds), e.g. {@code 30},
 * {@code 30s}, {@code 2m}, {@code 500ms}, {@code 1h}, {@code 7d}; or an ISO-8601 duration such as {@code PT1M30S}.
 *
 * <p>Bad input throws {@link TypeConversionException}, which picocli reports as a usage error
 * (exit code 2) naming the option.
 */
public final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern SIMPLE = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)?");

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  /**
   * Parses one duration; see the class comment.
   *
   * @throws TypeConversionException if {@code value} is not a duration, or is negative
   */
  public static Duration parse(String value) {
    String text = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    Matcher m = SIMPLE.matcher(text);
    if (m.matches()) {
      long amount = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2);
      return switch (unit) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        case "d" -> Duration.ofDays(amount);
        default -> throw new IllegalStateException("unreachable unit " + unit);
      };
    }
    if (text.startsWith("p")) {
      try {
        Duration d = Duration.parse(text.toUpperCase(Locale.ROOT));
        if (d.isNegative()) {
          throw new TypeConversionException("'" + value + "' is negative");
        }
        return d;
      } catch (DateTimeParseException e) {
        // Fall through to the general message.
      }
    }
    throw new TypeConversionException(
        "'" + value + "' is not a duration (use e.g. 30s, 2m, 500ms, 1h, 7d, or plain seconds)");
  }
}
