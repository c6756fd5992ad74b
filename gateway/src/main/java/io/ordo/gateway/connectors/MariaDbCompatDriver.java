package io.ordo.gateway.connectors;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * The JDBC driver Debezium's MySQL connector uses in Ordo ({@code database.jdbc.driver}, URLs
 * {@value #PROTOCOL}{@code ://host:port/...}): MySQL Connector/J, with one statement translated
 * when the server is MariaDB. Debezium 3.6's MySQL connector reads a server version above 8.4
 * as a MySQL that knows {@code SHOW BINARY LOG STATUS}, so against MariaDB (10.x, 11.x) it
 * fails at start; MariaDB answers the same question to {@code SHOW MASTER STATUS} (same
 * columns). Against MySQL nothing is changed. (Debezium's own MariaDB connector is the other
 * way; it is not used so that one connector and one driver serve both.)
 *
 * <p>Registered with {@link DriverManager} when the class loads; thread-safe.
 */
public final class MariaDbCompatDriver implements Driver {
  /** The JDBC URL prefix this driver accepts. */
  public static final String PROTOCOL = "jdbc:ordo-mysql";

  private static final String MYSQL = "jdbc:mysql";

  static {
    try {
      DriverManager.registerDriver(new MariaDbCompatDriver());
    } catch (SQLException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Driver mysql = new com.mysql.cj.jdbc.Driver();

  /** Public no-argument constructor (drivers are made by class name). */
  public MariaDbCompatDriver() throws SQLException {}

  @Override
  public boolean acceptsURL(String url) {
    return url != null && url.startsWith(PROTOCOL + ":");
  }

  @Override
  public Connection connect(String url, Properties info) throws SQLException {
    if (!acceptsURL(url)) {
      return null;
    }
    Connection c = mysql.connect(MYSQL + url.substring(PROTOCOL.length()), info);
    if (c == null) {
      return null;
    }
    String version = c.getMetaData().getDatabaseProductVersion();
    if (version == null || !version.toLowerCase(Locale.ROOT).contains("mariadb")) {
      return c;
    }
    return (Connection) proxy(Connection.class, c);
  }

  /** {@code sql} as MariaDB understands it. */
  static String translate(String sql) {
    return sql.trim().equalsIgnoreCase("SHOW BINARY LOG STATUS") ? "SHOW MASTER STATUS" : sql;
  }

  /** A proxy of {@code target} that translates SQL text arguments and wraps statements. */
  private static Object proxy(Class<?> type, Object target) {
    InvocationHandler h = (p, m, args) -> {
      Object[] a = args;
      if (a != null && a.length > 0 && a[0] instanceof String sql && sqlMethod(m)) {
        a = a.clone();
        a[0] = translate(sql);
      }
      Object out;
      try {
        out = m.invoke(target, a);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
      if (m.getName().equals("createStatement") && out instanceof Statement s) {
        return proxy(Statement.class, s);
      }
      return out;
    };
    return Proxy.newProxyInstance(MariaDbCompatDriver.class.getClassLoader(),
        new Class<?>[] {type}, h);
  }

  private static boolean sqlMethod(Method m) {
    String n = m.getName();
    return n.startsWith("execute") || n.startsWith("prepare") || n.equals("addBatch")
        || n.equals("nativeSQL");
  }

  @Override
  public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) throws SQLException {
    return mysql.getPropertyInfo(MYSQL + url.substring(PROTOCOL.length()), info);
  }

  @Override
  public int getMajorVersion() {
    return mysql.getMajorVersion();
  }

  @Override
  public int getMinorVersion() {
    return mysql.getMinorVersion();
  }

  @Override
  public boolean jdbcCompliant() {
    return false;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException("no java.util.logging");
  }
}
