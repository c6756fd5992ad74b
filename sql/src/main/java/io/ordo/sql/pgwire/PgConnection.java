package io.ordo.sql.pgwire;

import io.ordo.sql.Column;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlStatement;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import io.ordo.sql.TxnState;
import io.ordo.sql.types.PgBinary;
import io.ordo.sql.types.PgText;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of {@link PgWireServer}, served on its own thread: the startup
 * exchange, then the simple and extended query protocols (PostgreSQL protocol §55.2) over one
 * {@link SqlSession}.
 *
 * <p>State per connection: prepared statements and portals by name ("" is the unnamed one,
 * replaced by the next Parse or Bind), at most {@link #MAX_STATEMENTS} and {@link #MAX_PORTALS}
 * of them. A portal keeps its statement's whole result (bounded by the engine's row limit) and
 * hands it out in Execute-sized pieces. Portals end with the transaction: at ReadyForQuery when
 * the session is idle, as PostgreSQL drops non-holdable portals at commit.
 */
final class PgConnection implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(PgConnection.class);

  /** Prepared statements a connection may hold (named ones; the unnamed one is extra). */
  static final int MAX_STATEMENTS = 1000;
  /** Portals a connection may hold (named ones; the unnamed one is extra). */
  static final int MAX_PORTALS = 256;

  static final String DUPLICATE_PREPARED_STATEMENT = "42P05";
  static final String DUPLICATE_CURSOR = "42P03";
  static final String TOO_MANY_CONNECTIONS = "53300";
  static final String INVALID_AUTHORIZATION = "28000";

  /** A parsed statement; {@code statement} is null for an empty query. */
  private record Prepared(SqlStatement statement, List<SqlType> parameterTypes) {
    Optional<List<Column>> columns() {
      return statement == null ? Optional.empty() : statement.resultColumns();
    }
  }

  /** A bound statement and, once executed, its result and how far it has been read. */
  private static final class Portal {
    final Prepared prepared;
    final List<Object> params;
    final List<Short> resultFormats;
    StatementResult result;
    int next;
    boolean suspended;

    Portal(Prepared prepared, List<Object> params, List<Short> resultFormats) {
      this.prepared = prepared;
      this.params = params;
      this.resultFormats = resultFormats;
    }
  }

  private final PgWireServer server;
  private volatile Socket socket; // replaced by its TLS layer after an accepted SSLRequest
  private final boolean admitted;
  private BufferedInputStream plainIn;
  private boolean tlsActive;
  private final Map<String, Prepared> statements = new HashMap<>();
  private final Map<String, Portal> portals = new HashMap<>();
  private volatile SqlSession session;
  private FrontendReader reader;
  private BackendWriter writer;
  private int processId;
  private int secretKey;
  /** After an error in the extended protocol, messages are skipped until Sync (§55.2.3). */
  private boolean skipUntilSync;

  /**
   * @param admitted false when the server is full: the startup is answered with 53300 (a cancel
   *     request is still served)
   */
  PgConnection(PgWireServer server, Socket socket, boolean admitted) {
    this.server = server;
    this.socket = socket;
    this.admitted = admitted;
  }

  int processId() {
    return processId;
  }

  int secretKey() {
    return secretKey;
  }

  /** Cancels the running statement, if any (a CancelRequest from another connection). */
  void cancel() {
    SqlSession s = session;
    if (s != null) {
      s.cancel();
    }
  }

  /** Stops this connection from another thread (server shutdown): cancel, then close. */
  void abort() {
    cancel();
    try {
      socket.close();
    } catch (IOException e) {
      LOG.debug("closing a connection's socket", e);
    }
  }

  @Override
  public void run() {
    try {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(server.startupTimeoutMs());
      plainIn = new BufferedInputStream(socket.getInputStream(), 8192);
      reader = new FrontendReader(plainIn);
      writer = new BackendWriter(new BufferedOutputStream(socket.getOutputStream(), 8192));
      if (startup()) {
        socket.setSoTimeout(0);
        serve();
      }
    } catch (PgProtocolException e) {
      fatal(SqlState.PROTOCOL_VIOLATION, e.getMessage());
    } catch (SocketTimeoutException e) {
      LOG.debug("connection from {} sent no startup packet in time", socket.getRemoteSocketAddress());
    } catch (IOException e) {
      LOG.debug("connection from {} ended: {}", socket.getRemoteSocketAddress(), e.toString());
    } catch (RuntimeException e) {
      LOG.warn("connection from {} failed", socket.getRemoteSocketAddress(), e);
      fatal(SqlState.INTERNAL_ERROR, messageOf(e));
    } finally {
      SqlSession s = session;
      if (s != null) {
        try {
          s.close();
        } catch (RuntimeException e) {
          LOG.warn("closing a SQL session failed", e);
        }
      }
      try {
        socket.close();
      } catch (IOException e) {
        LOG.debug("closing a connection's socket", e);
      }
      server.closed(this, admitted);
    }
  }

  private void fatal(String sqlState, String message) {
    if (writer == null || socket.isClosed()) {
      return;
    }
    try {
      writer.errorResponse("FATAL", sqlState, message, 0);
      writer.flush();
    } catch (IOException e) {
      LOG.debug("could not send a FATAL error to a closing connection", e);
    }
  }

  /** The startup exchange (§55.2.1); false when the connection ends with it. */
  private boolean startup() throws IOException, PgProtocolException {
    FrontendMessage first = null;
    // At most an SSLRequest and a GSSENCRequest precede the real packet.
    for (int attempt = 0; attempt < 3; attempt++) {
      first = reader.readStartup();
      if (first == null) {
        return false;
      }
      if (first instanceof FrontendMessage.SslRequest
          && !tlsActive
          && server.security().tls().isPresent()) {
        startTls(server.security().tls().get());
        first = null;
        continue;
      }
      if (first instanceof FrontendMessage.SslRequest
          || first instanceof FrontendMessage.GssEncRequest) {
        writer.refuseEncryption();
        writer.flush();
        first = null;
        continue;
      }
      break;
    }
    if (first instanceof FrontendMessage.CancelRequest) {
      FrontendMessage.CancelRequest c = (FrontendMessage.CancelRequest) first;
      server.cancel(c.processId(), c.secretKey());
      return false;
    }
    if (!(first instanceof FrontendMessage.Startup)) {
      throw new PgProtocolException("expected a startup packet");
    }
    FrontendMessage.Startup s = (FrontendMessage.Startup) first;
    if (!admitted) {
      fatal(TOO_MANY_CONNECTIONS, "sorry, too many clients already");
      return false;
    }
    if (s.major() != 3) {
      fatal(
          SqlState.PROTOCOL_VIOLATION,
          "unsupported frontend protocol " + s.major() + "." + s.minor()
              + ": server supports 3.0 to 3.0");
      return false;
    }
    List<String> unknownOptions = new ArrayList<>();
    for (String name : s.parameters().keySet()) {
      if (name.startsWith("_pq_.")) {
        unknownOptions.add(name);
      }
    }
    if (s.minor() > 0 || !unknownOptions.isEmpty()) {
      writer.negotiateProtocolVersion(0, unknownOptions);
    }
    String user = s.parameters().get("user");
    if (user == null || user.isEmpty()) {
      fatal(INVALID_AUTHORIZATION, "no PostgreSQL user name specified in startup packet");
      return false;
    }
    if (server.security().tls().isPresent() && !tlsActive) {
      fatal(
          INVALID_AUTHORIZATION,
          "this server requires TLS: connect with sslmode=require (or verify-ca, verify-full)");
      return false;
    }
    String database = s.parameters().getOrDefault("database", user);
    String applicationName = s.parameters().getOrDefault("application_name", "");
    if (server.security().users().isPresent()) {
      Optional<PgSecurity.User> authenticated = authenticate(server.security().users().get(), user);
      if (authenticated.isEmpty()) {
        fatal(SqlState.INVALID_PASSWORD, "password authentication failed for user \"" + user + "\"");
        return false;
      }
      session = server.engine().openSession(user, database, authenticated.get().access());
    } else {
      session = server.engine().openSession(user, database);
    }
    server.register(this); // assigns the process id and secret key
    writer.authenticationOk();
    writer.parameterStatus("application_name", applicationName);
    writer.parameterStatus("client_encoding", "UTF8");
    writer.parameterStatus("DateStyle", "ISO, MDY");
    writer.parameterStatus("integer_datetimes", "on");
    writer.parameterStatus("IntervalStyle", "postgres");
    writer.parameterStatus("is_superuser", "off");
    writer.parameterStatus("server_encoding", "UTF8");
    writer.parameterStatus("server_version", PgWireServer.SERVER_VERSION);
    writer.parameterStatus("session_authorization", user);
    writer.parameterStatus("standard_conforming_strings", "on");
    writer.parameterStatus("TimeZone", "UTC");
    writer.backendKeyData(processId, secretKey);
    readyForQuery();
    return true;
  }

  /**
   * Answers an SSLRequest with 'S' and replaces the socket, reader and writer by their TLS
   * layer after the handshake. Bytes the client sent after the SSLRequest and before the
   * handshake would be plain text read as if encrypted (the "buffered plaintext" flaw of
   * CVE-2021-23214): such a connection is refused.
   */
  private void startTls(javax.net.ssl.SSLContext context) throws IOException, PgProtocolException {
    if (plainIn.available() > 0) {
      throw new PgProtocolException("received unencrypted data after SSL request");
    }
    writer.acceptEncryption();
    writer.flush();
    Socket plain = socket;
    javax.net.ssl.SSLSocket tls =
        (javax.net.ssl.SSLSocket)
            context
                .getSocketFactory()
                .createSocket(plain, plain.getInetAddress().getHostAddress(), plain.getPort(), true);
    tls.setUseClientMode(false);
    tls.setSoTimeout(server.startupTimeoutMs());
    socket = tls;
    tls.startHandshake();
    tlsActive = true;
    reader = new FrontendReader(new BufferedInputStream(tls.getInputStream(), 8192));
    writer = new BackendWriter(new BufferedOutputStream(tls.getOutputStream(), 8192));
  }

  /**
   * The SCRAM-SHA-256 exchange (PostgreSQL protocol §55.3.2). An unknown user runs the same
   * exchange against a mock verifier and fails like a wrong password.
   *
   * @return the user when the client proved its password; empty otherwise
   */
  private Optional<PgSecurity.User> authenticate(PgSecurity.Users users, String name)
      throws IOException, PgProtocolException {
    Optional<PgSecurity.User> user = users.find(name);
    ScramSha256.Verifier verifier =
        user.isPresent() ? user.get().verifier() : server.mockVerifier(name);
    ScramSha256.ServerExchange exchange =
        new ScramSha256.ServerExchange(verifier, user.isPresent(), server.random());
    writer.authenticationSasl(List.of(ScramSha256.MECHANISM));
    writer.flush();
    FrontendReader.SaslInitial initial =
        FrontendReader.parseSaslInitial(reader.readPasswordMessage());
    if (!initial.mechanism().equals(ScramSha256.MECHANISM)) {
      throw new PgProtocolException(
          "SASL authentication mechanism " + initial.mechanism() + " is not supported; use "
              + ScramSha256.MECHANISM);
    }
    try {
      String serverFirst = exchange.serverFirst(new String(initial.data(), StandardCharsets.UTF_8));
      writer.authenticationSaslContinue(serverFirst.getBytes(StandardCharsets.UTF_8));
      writer.flush();
      Optional<String> serverFinal =
          exchange.serverFinal(new String(reader.readPasswordMessage(), StandardCharsets.UTF_8));
      if (serverFinal.isEmpty()) {
        return Optional.empty();
      }
      writer.authenticationSaslFinal(serverFinal.get().getBytes(StandardCharsets.UTF_8));
      return user;
    } catch (IllegalArgumentException e) {
      throw new PgProtocolException(e.getMessage());
    }
  }

  /** Called once by the server when it registers this connection. */
  void setKeys(int processId, int secretKey) {
    this.processId = processId;
    this.secretKey = secretKey;
  }

  private void serve() throws IOException, PgProtocolException {
    while (true) {
      FrontendMessage m = reader.readMessage();
      if (m == null || m instanceof FrontendMessage.Terminate) {
        return;
      }
      if (m instanceof FrontendMessage.Sync) {
        sync();
        continue;
      }
      if (skipUntilSync) {
        continue; // a Query too, as PostgreSQL ignores everything but Sync here
      }
      if (m instanceof FrontendMessage.Query) {
        simpleQuery(((FrontendMessage.Query) m).sql());
        continue;
      }
      try {
        extended(m);
      } catch (SqlException e) {
        error(e.sqlState(), e.getMessage(), e.position());
        skipUntilSync = true;
      } catch (RuntimeException e) {
        LOG.warn("statement failed with an unexpected exception", e);
        error(SqlState.INTERNAL_ERROR, messageOf(e), 0);
        skipUntilSync = true;
      }
    }
  }

  /** A RuntimeException's message for XX000; its class when it has none. */
  private static String messageOf(RuntimeException e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getName();
  }

  private void error(String sqlState, String message, int position) throws IOException {
    writer.errorResponse("ERROR", sqlState, message, position);
  }

  /**
   * ReadyForQuery with the session's transaction state. Outside a transaction block the
   * implicit transaction has ended, and its portals with it (PostgreSQL drops non-holdable
   * portals at commit).
   */
  private void readyForQuery() throws IOException {
    char status;
    try {
      status = session.txnState().indicator();
    } catch (RuntimeException e) {
      LOG.warn("the session's transaction state is unavailable", e);
      status = TxnState.IDLE.indicator();
    }
    if (status == TxnState.IDLE.indicator()) {
      portals.clear();
    }
    writer.readyForQuery(status);
    writer.flush();
  }

  private void sync() throws IOException {
    skipUntilSync = false;
    readyForQuery();
  }

  // ----------------------------------------------------------------------- simple query

  private void simpleQuery(String sql) throws IOException {
    statements.remove(""); // PostgreSQL drops the unnamed statement and portal here too
    portals.remove("");
    try {
      List<SqlStatement> list = session.prepare(sql, List.of());
      if (list.isEmpty()) {
        writer.emptyQueryResponse();
      }
      for (SqlStatement statement : list) {
        StatementResult result = statement.execute(List.of());
        if (result.hasRows()) {
          writer.rowDescription(fields(result.columns(), List.of()));
          for (List<Object> row : result.rows()) {
            writer.dataRow(encodeRow(result.columns(), row, List.of()));
          }
        }
        writer.commandComplete(result.commandTag());
      }
    } catch (SqlException e) {
      error(e.sqlState(), e.getMessage(), e.position());
    } catch (RuntimeException e) {
      LOG.warn("statement failed with an unexpected exception", e);
      error(SqlState.INTERNAL_ERROR, messageOf(e), 0);
    }
    readyForQuery();
  }

  // --------------------------------------------------------------------- extended query

  private void extended(FrontendMessage m) throws IOException, SqlException {
    if (m instanceof FrontendMessage.Parse) {
      parse((FrontendMessage.Parse) m);
    } else if (m instanceof FrontendMessage.Bind) {
      bind((FrontendMessage.Bind) m);
    } else if (m instanceof FrontendMessage.Describe) {
      describe((FrontendMessage.Describe) m);
    } else if (m instanceof FrontendMessage.Execute) {
      execute((FrontendMessage.Execute) m);
    } else if (m instanceof FrontendMessage.Close) {
      FrontendMessage.Close c = (FrontendMessage.Close) m;
      if (c.kind() == 'S') {
        statements.remove(c.name());
      } else {
        portals.remove(c.name());
      }
      writer.closeComplete();
    } else if (m instanceof FrontendMessage.Flush) {
      writer.flush();
    } else if (m instanceof FrontendMessage.Unsupported) {
      char type = ((FrontendMessage.Unsupported) m).type();
      if (type == 'F') {
        writer.errorResponse(
            "ERROR", SqlState.FEATURE_NOT_SUPPORTED, "the function call protocol is not supported",
            0);
        readyForQuery(); // a FunctionCall cycle ends with ReadyForQuery, like a Query
      }
      // COPY data outside COPY: ignored, as PostgreSQL does.
    } else {
      throw new IllegalStateException("unexpected message " + m);
    }
  }

  private void parse(FrontendMessage.Parse p) throws IOException, SqlException {
    String name = p.statement();
    if (name.isEmpty()) {
      statements.remove(""); // dropped even when the new one fails to parse
    } else if (statements.containsKey(name)) {
      throw new SqlException(
          DUPLICATE_PREPARED_STATEMENT, "prepared statement \"" + name + "\" already exists");
    } else if (named(statements) >= MAX_STATEMENTS) {
      throw new SqlException(
          SqlState.PROGRAM_LIMIT_EXCEEDED,
          "too many prepared statements on this connection (limit " + MAX_STATEMENTS + ")");
    }
    List<SqlType> declared = new ArrayList<>(p.parameterOids().size());
    for (int oid : p.parameterOids()) {
      declared.add(SqlType.ofOid(oid));
    }
    List<SqlStatement> list = session.prepare(p.query(), declared);
    if (list.size() > 1) {
      throw new SqlException(
          SqlState.SYNTAX_ERROR, "cannot insert multiple commands into a prepared statement");
    }
    SqlStatement statement = list.isEmpty() ? null : list.get(0);
    List<SqlType> types = statement == null ? List.copyOf(declared) : statement.parameterTypes();
    statements.put(name, new Prepared(statement, types));
    writer.parseComplete();
  }

  /** Entries other than the unnamed one (which a Parse or Bind replaces, so it adds nothing). */
  private static int named(Map<String, ?> byName) {
    return byName.size() - (byName.containsKey("") ? 1 : 0);
  }

  private Prepared statement(String name) throws SqlException {
    Prepared p = statements.get(name);
    if (p == null) {
      throw new SqlException(
          SqlState.INVALID_SQL_STATEMENT_NAME,
          name.isEmpty()
              ? "unnamed prepared statement does not exist"
              : "prepared statement \"" + name + "\" does not exist");
    }
    return p;
  }

  private Portal portal(String name) throws SqlException {
    Portal p = portals.get(name);
    if (p == null) {
      throw new SqlException(
          SqlState.INVALID_CURSOR_NAME, "portal \"" + name + "\" does not exist");
    }
    return p;
  }

  private void bind(FrontendMessage.Bind b) throws IOException, SqlException {
    Prepared p = statement(b.statement());
    String name = b.portal();
    if (name.isEmpty()) {
      portals.remove("");
    } else if (portals.containsKey(name)) {
      throw new SqlException(DUPLICATE_CURSOR, "portal \"" + name + "\" already exists");
    } else if (named(portals) >= MAX_PORTALS) {
      throw new SqlException(
          SqlState.PROGRAM_LIMIT_EXCEEDED,
          "too many portals on this connection (limit " + MAX_PORTALS + ")");
    }
    int n = b.parameters().size();
    int formats = b.parameterFormats().size();
    if (formats > 1 && formats != n) {
      throw new SqlException(
          SqlState.PROTOCOL_VIOLATION,
          "bind message has " + formats + " parameter formats but " + n + " parameters");
    }
    if (n != p.parameterTypes().size()) {
      throw new SqlException(
          SqlState.PROTOCOL_VIOLATION,
          "bind message supplies " + n + " parameters, but prepared statement \"" + b.statement()
              + "\" requires " + p.parameterTypes().size());
    }
    List<Object> params = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      params.add(decodeParameter(i, p.parameterTypes().get(i), formatAt(b.parameterFormats(), i),
          b.parameters().get(i)));
    }
    List<Column> columns = p.columns().orElse(List.of());
    checkResultFormats(columns, b.resultFormats());
    portals.put(name, new Portal(p, java.util.Collections.unmodifiableList(params),
        b.resultFormats()));
    writer.bindComplete();
  }

  private static short formatAt(List<Short> formats, int i) {
    return formats.isEmpty() ? 0 : formats.size() == 1 ? formats.get(0) : formats.get(i);
  }

  private Object decodeParameter(int index, SqlType type, short format, byte[] bytes)
      throws SqlException {
    if (bytes == null) {
      return null;
    }
    if (format == 0) {
      // TEXT's binary form is the UTF-8 text: this checks the encoding and refuses NUL.
      String text = (String) PgBinary.decode(SqlType.TEXT, bytes);
      // UNKNOWN stays text: SqlStatement.execute converts it once the type is known.
      return PgText.parse(type, text);
    }
    if (format != 1) {
      throw new SqlException(SqlState.INVALID_PARAMETER_VALUE, "unsupported format code: " + format);
    }
    if (!PgBinary.canDecode(type)) {
      throw new SqlException(
          SqlState.FEATURE_NOT_SUPPORTED,
          "binary format is not supported for parameters of type " + type.pgName());
    }
    try {
      Object v = PgBinary.decode(type, bytes);
      server.countBinaryIn();
      return v;
    } catch (SqlException e) {
      if (e.sqlState().equals(PgBinary.INVALID_BINARY_REPRESENTATION)) {
        throw new SqlException(
            e.sqlState(),
            "incorrect binary data format in bind parameter " + (index + 1) + ": "
                + e.getMessage());
      }
      throw e;
    }
  }

  private static void checkResultFormats(List<Column> columns, List<Short> formats)
      throws SqlException {
    // A statement without result columns takes any result formats, as in PostgreSQL.
    if (formats.size() > 1 && !columns.isEmpty() && formats.size() != columns.size()) {
      throw new SqlException(
          SqlState.PROTOCOL_VIOLATION,
          "bind message has " + formats.size() + " result formats but query has "
              + columns.size() + " columns");
    }
    for (short f : formats) {
      if (f != 0 && f != 1) {
        throw new SqlException(SqlState.INVALID_PARAMETER_VALUE, "unsupported format code: " + f);
      }
    }
    for (int i = 0; i < columns.size(); i++) {
      SqlType type = columns.get(i).type();
      if (formatAt(formats, i) == 1 && !PgBinary.canEncode(type)) {
        throw new SqlException(
            SqlState.FEATURE_NOT_SUPPORTED,
            "binary format is not supported for results of type " + type.pgName());
      }
    }
  }

  private void describe(FrontendMessage.Describe d) throws IOException, SqlException {
    if (d.kind() == 'S') {
      Prepared p = statement(d.name());
      List<Integer> oids = new ArrayList<>(p.parameterTypes().size());
      for (SqlType t : p.parameterTypes()) {
        oids.add(t.oid());
      }
      writer.parameterDescription(oids);
      Optional<List<Column>> columns = p.columns();
      if (columns.isPresent() && !columns.get().isEmpty()) {
        writer.rowDescription(fields(columns.get(), List.of()));
      } else {
        writer.noData();
      }
      return;
    }
    Portal portal = portal(d.name());
    List<Column> columns =
        portal.result != null ? portal.result.columns() : portal.prepared.columns().orElse(List.of());
    if (columns.isEmpty()) {
      writer.noData();
    } else {
      writer.rowDescription(fields(columns, portal.resultFormats));
    }
  }

  private void execute(FrontendMessage.Execute e) throws IOException, SqlException {
    Portal portal = portal(e.portal());
    if (portal.prepared.statement() == null) {
      writer.emptyQueryResponse();
      return;
    }
    if (portal.result == null) {
      try {
        portal.result = portal.prepared.statement().execute(portal.params);
      } catch (SqlException | RuntimeException ex) {
        portals.remove(e.portal()); // a failed portal cannot be resumed
        throw ex;
      }
      checkResultFormats(portal.result.columns(), portal.resultFormats);
    }
    StatementResult result = portal.result;
    if (!result.hasRows()) {
      writer.commandComplete(result.commandTag());
      return;
    }
    int remaining = result.rows().size() - portal.next;
    int count = e.maxRows() > 0 ? Math.min(e.maxRows(), remaining) : remaining;
    for (int i = portal.next; i < portal.next + count; i++) {
      writer.dataRow(encodeRow(result.columns(), result.rows().get(i), portal.resultFormats));
    }
    portal.next += count;
    if (portal.next < result.rows().size()) {
      portal.suspended = true;
      server.countSuspension();
      writer.portalSuspended();
      return;
    }
    String tag = result.commandTag();
    if (portal.suspended && tag.matches("SELECT [0-9]+")) {
      tag = "SELECT " + count; // PostgreSQL counts the rows of the last Execute only
    }
    writer.commandComplete(tag);
  }

  // --------------------------------------------------------------------------- values

  /** RowDescription fields; typmod as PostgreSQL derives it for varchar(n) and numeric(p,s). */
  private static List<BackendWriter.Field> fields(List<Column> columns, List<Short> formats) {
    List<BackendWriter.Field> out = new ArrayList<>(columns.size());
    for (int i = 0; i < columns.size(); i++) {
      Column c = columns.get(i);
      int typmod = -1;
      if (c.type() == SqlType.VARCHAR && c.precision() >= 0) {
        typmod = c.precision() + 4;
      } else if (c.type() == SqlType.DECIMAL && c.precision() > 0) {
        typmod = ((c.precision() << 16) | Math.max(0, c.scale())) + 4;
      }
      out.add(new BackendWriter.Field(c.name(), 0, (short) 0, c.type().oid(),
          (short) c.type().typeLength(), typmod, formatAt(formats, i)));
    }
    return out;
  }

  private List<byte[]> encodeRow(List<Column> columns, List<Object> row, List<Short> formats) {
    if (row.size() != columns.size()) {
      throw new IllegalStateException(
          "a row has " + row.size() + " values for " + columns.size() + " columns");
    }
    List<byte[]> out = new ArrayList<>(row.size());
    for (int i = 0; i < row.size(); i++) {
      Object v = row.get(i);
      SqlType type = columns.get(i).type();
      if (v == null) {
        out.add(null);
      } else if (formatAt(formats, i) == 1) {
        out.add(PgBinary.encode(type, v));
        server.countBinaryOut();
      } else {
        out.add(PgText.format(type, v).getBytes(StandardCharsets.UTF_8));
      }
    }
    return out;
  }
}
