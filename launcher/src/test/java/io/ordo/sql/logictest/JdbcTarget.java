package io.ordo.sql.logictest;

import io.ordo.sql.SqlState;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * Runs sqllogictest records over a JDBC connection in autocommit mode (so {@code BEGIN}, {@code
 * COMMIT} and {@code ROLLBACK} in the files open and end blocks as they would on a PostgreSQL
 * client), reading values into the Java shapes of {@link io.ordo.sql.SqlType} by the column's
 * PostgreSQL type name. Each statement is bounded by {@link Statement#setQueryTimeout} and
 * {@link Statement#setMaxRows}.
 */
final class JdbcTarget implements Target {
  private final Connection connection;
  private final String engine;
  private final int timeoutSeconds;
  private final int maxRows;

  /**
   * @param connection an open connection, closed with this target; set to autocommit
   * @param engine the engine name for {@code skipif}/{@code onlyif}, e.g. {@code postgresql}
   * @param timeout each statement's limit (rounded up to whole seconds)
   * @param maxRows the most rows a query may return
   */
  JdbcTarget(Connection connection, String engine, Duration timeout, int maxRows)
      throws SQLException {
    this.connection = connection;
    this.engine = engine;
    this.timeoutSeconds = (int) Math.max(1, (timeout.toMillis() + 999) / 1000);
    this.maxRows = maxRows;
    connection.setAutoCommit(true);
  }

  @Override
  public String engine() {
    return engine;
  }

  @Override
  public Outcome execute(String sql) throws TargetException {
    try (Statement st = connection.createStatement()) {
      st.setQueryTimeout(timeoutSeconds);
      st.setMaxRows(maxRows + 1);
      boolean isResultSet = st.execute(sql);
      Outcome last = new Outcome(0, List.of(), OptionalLong.empty());
      while (true) {
        if (isResultSet) {
          try (ResultSet rs = st.getResultSet()) {
            last = read(rs);
          }
        } else {
          long count = st.getLargeUpdateCount();
          if (count == -1) {
            break;
          }
          last = new Outcome(0, List.of(), OptionalLong.of(count));
        }
        isResultSet = st.getMoreResults();
      }
      return last;
    } catch (SQLTimeoutException e) {
      throw new TargetException(SqlState.QUERY_CANCELED, e.getMessage(), e);
    } catch (SQLException e) {
      throw new TargetException(e.getSQLState(), e.getMessage(), e);
    }
  }

  private Outcome read(ResultSet rs) throws SQLException, TargetException {
    ResultSetMetaData md = rs.getMetaData();
    int n = md.getColumnCount();
    List<List<Object>> rows = new ArrayList<>();
    while (rs.next()) {
      if (rows.size() == maxRows) {
        throw new TargetException(
            SqlState.PROGRAM_LIMIT_EXCEEDED, "query returned more than " + maxRows + " rows", null);
      }
      List<Object> row = new ArrayList<>(n);
      for (int c = 1; c <= n; c++) {
        row.add(value(rs, c, md.getColumnTypeName(c).toLowerCase(Locale.ROOT)));
      }
      rows.add(row);
    }
    return new Outcome(n, rows, OptionalLong.of(rows.size()));
  }

  /** One value in its SqlType Java shape; types Ordo lacks are read as their text. */
  private static Object value(ResultSet rs, int c, String typeName) throws SQLException {
    Object v = switch (typeName) {
      case "bool" -> rs.getBoolean(c);
      case "int2" -> rs.getShort(c);
      case "int4" -> rs.getInt(c);
      case "int8" -> rs.getLong(c);
      case "float4" -> Double.parseDouble(Float.toString(rs.getFloat(c)));
      case "float8" -> rs.getDouble(c);
      case "numeric" -> rs.getBigDecimal(c);
      case "bytea" -> rs.getBytes(c);
      case "date" -> rs.getObject(c, LocalDate.class);
      case "timestamp" -> rs.getObject(c, LocalDateTime.class);
      case "timestamptz" -> rs.getObject(c, OffsetDateTime.class);
      default -> rs.getString(c);
    };
    return rs.wasNull() ? null : v;
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      throw new IllegalStateException("closing the connection failed", e);
    }
  }
}
