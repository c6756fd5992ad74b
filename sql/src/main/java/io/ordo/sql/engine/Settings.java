package io.ordo.sql.engine;

import io.ordo.proto.Position;
import io.ordo.sql.Column;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Session settings ({@code SET}, {@code SHOW}, {@code RESET}) as PostgreSQL clients expect them.
 * They change nothing about how Ordo runs statements — every transaction is serializable, text is
 * UTF-8, times are shown in UTC — so a setting is accepted and reported back unless it asks for
 * something Ordo cannot do (another client encoding, a weaker isolation level is accepted and
 * ignored, as serializable satisfies it).
 */
final class Settings {
  private Settings() {}

  /**
   * {@code view_consistency}: {@value #EVENTUAL} (default), {@value #READ_YOUR_WRITES} or {@code
   * at_position:<ts>:<partition>:<offset>} ({@link #viewConsistency}).
   */
  static final String VIEW_CONSISTENCY = "view_consistency";

  static final String EVENTUAL = "eventual";
  static final String READ_YOUR_WRITES = "read_your_writes";

  /** The prefix of a view_consistency that names a log position to wait for. */
  static final String AT_POSITION = "at_position:";

  /** Values SHOW reports before any SET. */
  static final Map<String, String> DEFAULTS = new TreeMap<>(Map.ofEntries(
      Map.entry("server_version", "15.0"),
      Map.entry("server_version_num", "150000"),
      Map.entry("server_encoding", "UTF8"),
      Map.entry("client_encoding", "UTF8"),
      Map.entry("datestyle", "ISO, MDY"),
      Map.entry("intervalstyle", "postgres"),
      Map.entry("timezone", "UTC"),
      Map.entry("integer_datetimes", "on"),
      Map.entry("standard_conforming_strings", "on"),
      Map.entry("transaction_isolation", "serializable"),
      Map.entry("default_transaction_isolation", "serializable"),
      Map.entry("transaction_read_only", "off"),
      Map.entry("search_path", "public"),
      Map.entry("extra_float_digits", "1"),
      Map.entry("application_name", ""),
      Map.entry("max_identifier_length", "63"),
      Map.entry("is_superuser", "off"),
      // Ordo's own: whether a query waits for the views it reads to reflect this session's
      // writes or a log position (Views.awaitReflected).
      Map.entry(VIEW_CONSISTENCY, EVENTUAL)));

  static StatementResult set(Map<String, String> settings, Plan.SetSetting s) throws SqlException {
    String name = s.name().toLowerCase(Locale.ROOT);
    if (s.value().isEmpty()) {
      settings.remove(name);
      return StatementResult.command("RESET");
    }
    String value = s.value().get();
    if (name.equals("client_encoding")
        && !value.replace("-", "").equalsIgnoreCase("UTF8")
        && !value.equalsIgnoreCase("UNICODE")) {
      throw new SqlException(
          SqlState.FEATURE_NOT_SUPPORTED, "Ordo speaks UTF8 only, not client_encoding " + value);
    }
    if (name.equals(VIEW_CONSISTENCY)) {
      value = viewConsistency(value);
    }
    settings.put(name, value);
    return StatementResult.command("SET");
  }

  /**
   * A {@code view_consistency} value, normalized: {@value #EVENTUAL}, {@value #READ_YOUR_WRITES}
   * (a SELECT of a view waits until it reflects this session's last write) or {@code
   * at_position:<ts>:<partition>:<offset>} (waits until it reflects that log position, written as
   * AS OF LOG POSITION and EMIT CHANGES AT POSITION take it: {@link Positions#parse}; a fourth
   * part {@code :<n>}, a change's index within the position as push queries write it, is
   * dropped).
   *
   * @throws SqlException 22023 for anything else, naming the accepted forms
   */
  static String viewConsistency(String text) throws SqlException {
    String value = text.trim().toLowerCase(Locale.ROOT);
    if (value.equals(EVENTUAL) || value.equals(READ_YOUR_WRITES)) {
      return value;
    }
    if (value.startsWith(AT_POSITION)) {
      String position = value.substring(AT_POSITION.length());
      // A push query's _position and a view's position may add ":<n>", the change's index within
      // that log position: waiting for the whole position covers it.
      if (position.matches("[^:]*:[^:]*:[^:]*:[0-9]+")) {
        position = position.substring(0, position.lastIndexOf(':'));
      }
      try {
        return AT_POSITION + Positions.format(Positions.parse(position));
      } catch (SqlException e) {
        throw new SqlException(SqlState.INVALID_PARAMETER_VALUE,
            "invalid position in parameter \"view_consistency\": \"" + text + "\" (expected "
                + AT_POSITION + "<ts>:<partition>:<offset>, three non-negative integers such as "
                + AT_POSITION + "1765000000000:2:1234)");
      }
    }
    throw new SqlException(
        SqlState.INVALID_PARAMETER_VALUE,
        "invalid value for parameter \"view_consistency\": \"" + text
            + "\" (eventual, read_your_writes or " + AT_POSITION
            + "<ts>:<partition>:<offset>)");
  }

  /**
   * The log position a normalized {@code view_consistency} ({@link #viewConsistency}) names, empty
   * for eventual and read_your_writes.
   */
  static Optional<Position> viewPosition(String consistency) throws SqlException {
    if (consistency == null || !consistency.startsWith(AT_POSITION)) {
      return Optional.empty();
    }
    return Optional.of(Positions.parse(consistency.substring(AT_POSITION.length())));
  }

  static StatementResult show(
      Map<String, String> settings, Plan.ShowSetting s, String user, String database)
      throws SqlException {
    String name = s.name().toLowerCase(Locale.ROOT).replace(' ', '_');
    if (name.equals("transaction_isolation_level")) {
      name = "transaction_isolation";
    }
    String value = settings.get(name);
    if (value == null) {
      value = switch (name) {
        case "session_authorization", "user" -> user;
        case "database" -> database;
        default -> DEFAULTS.get(name);
      };
    }
    if (value == null) {
      throw new SqlException(
          SqlState.UNDEFINED_OBJECT, "unrecognized configuration parameter \"" + s.name() + "\"");
    }
    return new StatementResult(
        "SHOW", List.of(Column.of(name, SqlType.TEXT)), List.of(List.of(value)));
  }
}
