package io.ordo.sql.pgcatalog;

import io.ordo.sql.Column;
import io.ordo.sql.SqlException;
import io.ordo.sql.StatementResult;
import io.ordo.sql.catalog.CatalogSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * A test double of a PostgreSQL server that speaks just enough of the protocol (version 3.0,
 * simple query only, no authentication) for psql, and pgjdbc with {@code preferQueryMode=simple},
 * to connect and run their catalog queries: it answers every query with {@link
 * PgCatalogAnswers}, acknowledges {@code SET}, and refuses anything else with SQLSTATE 42601. It
 * lets the tests run the real clients against the answers; it is not Ordo's wire protocol front
 * end.
 */
final class MiniPgServer implements AutoCloseable {
  private static final int SSL_REQUEST = 80877103;
  private static final int GSSENC_REQUEST = 80877104;

  private final ServerSocket socket;
  private final CatalogSnapshot catalog;
  private final PgCatalogAnswers answers = new PgCatalogAnswers();
  private final Thread acceptor;

  MiniPgServer(CatalogSnapshot catalog) throws IOException {
    this.catalog = catalog;
    this.socket = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::acceptLoop, "mini-pg-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  private void acceptLoop() {
    while (!socket.isClosed()) {
      try {
        Socket s = socket.accept();
        Thread t = new Thread(() -> serve(s), "mini-pg-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s; DataInputStream in = new DataInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream()) {
      String user = "postgres";
      String database = "test";
      while (true) {
        int len = in.readInt();
        int code = in.readInt();
        if (code == SSL_REQUEST || code == GSSENC_REQUEST) {
          out.write('N');
          out.flush();
          continue;
        }
        byte[] body = in.readNBytes(len - 8);
        String[] kv = new String(body, StandardCharsets.UTF_8).split("\0");
        for (int i = 0; i + 1 < kv.length; i += 2) {
          if (kv[i].equals("user")) {
            user = kv[i + 1];
          } else if (kv[i].equals("database")) {
            database = kv[i + 1];
          }
        }
        break;
      }
      SessionInfo session = new SessionInfo(user, database, "15.0");
      send(out, 'R', b -> b.writeInt(0));
      for (String[] p : new String[][] {{"server_version", "15.0"},
          {"server_encoding", "UTF8"}, {"client_encoding", "UTF8"}, {"DateStyle", "ISO, MDY"},
          {"integer_datetimes", "on"}, {"standard_conforming_strings", "on"},
          {"TimeZone", "UTC"}, {"session_authorization", user}}) {
        send(out, 'S', b -> {
          cstring(b, p[0]);
          cstring(b, p[1]);
        });
      }
      send(out, 'K', b -> {
        b.writeInt(1);
        b.writeInt(2);
      });
      ready(out);
      while (true) {
        int type = in.read();
        if (type < 0 || type == 'X') {
          return;
        }
        int len = in.readInt();
        byte[] body = in.readNBytes(len - 4);
        if (type != 'Q') {
          error(out, "08P01", "only the simple query protocol is served");
          ready(out);
          continue;
        }
        String sql = new String(body, 0, body.length - 1, StandardCharsets.UTF_8);
        if (sql.regionMatches(true, 0, "SET ", 0, 4)) {
          // pgjdbc's session settings at connect (application_name, extra_float_digits).
          send(out, 'C', b -> cstring(b, "SET"));
          ready(out);
          continue;
        }
        try {
          Optional<StatementResult> r = answers.answer(sql, List.of(), catalog, session);
          if (r.isEmpty()) {
            error(out, "42601", "not a recognized catalog query");
          } else {
            result(out, r.get());
          }
        } catch (SqlException e) {
          error(out, e.sqlState(), e.getMessage());
        }
        ready(out);
      }
    } catch (IOException e) {
      // The client went away.
    }
  }

  private interface Body {
    void write(DataOutputStream b) throws IOException;
  }

  private static void send(OutputStream out, char type, Body body) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    body.write(new DataOutputStream(bytes));
    DataOutputStream o = new DataOutputStream(out);
    o.writeByte(type);
    o.writeInt(bytes.size() + 4);
    bytes.writeTo(o);
    o.flush();
  }

  private static void cstring(DataOutputStream b, String s) throws IOException {
    b.write(s.getBytes(StandardCharsets.UTF_8));
    b.writeByte(0);
  }

  private static void ready(OutputStream out) throws IOException {
    send(out, 'Z', b -> b.writeByte('I'));
  }

  private static void error(OutputStream out, String state, String message) throws IOException {
    send(out, 'E', b -> {
      b.writeByte('S');
      cstring(b, "ERROR");
      b.writeByte('C');
      cstring(b, state);
      b.writeByte('M');
      cstring(b, message);
      b.writeByte(0);
    });
  }

  private static void result(OutputStream out, StatementResult r) throws IOException {
    send(out, 'T', b -> {
      b.writeShort(r.columns().size());
      for (Column c : r.columns()) {
        cstring(b, c.name());
        b.writeInt(0);
        b.writeShort(0);
        b.writeInt(c.type().oid());
        b.writeShort(c.type().typeLength());
        b.writeInt(-1);
        b.writeShort(0);
      }
    });
    for (List<Object> row : r.rows()) {
      send(out, 'D', b -> {
        b.writeShort(row.size());
        for (Object v : row) {
          if (v == null) {
            b.writeInt(-1);
          } else {
            byte[] text = (v instanceof Boolean x ? (x ? "t" : "f") : String.valueOf(v))
                .getBytes(StandardCharsets.UTF_8);
            b.writeInt(text.length);
            b.write(text);
          }
        }
      });
    }
    send(out, 'C', b -> cstring(b, r.commandTag()));
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
