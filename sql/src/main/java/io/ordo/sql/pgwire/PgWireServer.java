package io.ordo.sql.pgwire;

import io.ordo.sql.SqlEngine;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL wire protocol (version 3.0) server in front of a {@link SqlEngine}, so psql,
 * pgjdbc, libpq and other PostgreSQL clients talk to Ordo SQL (PostgreSQL manual, "Frontend/Backend
 * Protocol"; see sql/PGWIRE.md for what is supported).
 *
 * <p>Blocking sockets, one thread per connection ({@code pgwire-<port>-conn-<n>}), at most {@code
 * maxConnections} sessions; a client beyond that gets ErrorResponse 53300 {@code sorry, too many
 * clients already}. A few extra short-lived threads ({@link #OVERFLOW_THREADS}) answer those
 * clients and serve CancelRequests while the server is full; beyond them a connection is closed
 * at once. Authentication and TLS follow its {@link PgSecurity}: without users any user name is
 * accepted (trust); with users the client authenticates with SCRAM-SHA-256 (AuthenticationSASL,
 * SASLContinue, SASLFinal) and its session may run only what the user's access covers. Without
 * TLS, SSLRequest is refused with 'N' and the client goes on in plain text; with TLS it is
 * answered 'S', the handshake follows, and a client that does not ask for TLS is refused.
 * GSSENCRequest is always refused with 'N'. Each session gets a process id (a counter) and a
 * random secret key for CancelRequest.
 */
public final class PgWireServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PgWireServer.class);

  /** The server_version reported: clients (pgjdbc) choose features by it. */
  public static final String SERVER_VERSION = "15.0";
  /** Threads beyond maxConnections that refuse clients and serve cancel requests. */
  public static final int OVERFLOW_THREADS = 8;
  /** How long a new connection may take to send its startup packet, in milliseconds. */
  public static final int STARTUP_TIMEOUT_MS = 10_000;
  /** How long {@link #close} waits for connection threads to end, in milliseconds. */
  public static final long CLOSE_WAIT_MS = 5_000;

  private final SqlEngine engine;
  private final PgSecurity security;
  /** Derives the mock SCRAM verifiers of unknown users (random per server). */
  private final byte[] mockSecret = new byte[32];
  private final ServerSocket serverSocket;
  private final Semaphore sessions;
  private final Semaphore overflow = new Semaphore(OVERFLOW_THREADS);
  private final Map<Integer, PgConnection> byProcessId = new ConcurrentHashMap<>();
  private final Set<PgConnection> connections = ConcurrentHashMap.newKeySet();
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
  private final AtomicInteger nextProcessId = new AtomicInteger(1);
  private final AtomicLong connectionCounter = new AtomicLong();
  private final AtomicLong binaryIn = new AtomicLong();
  private final AtomicLong binaryOut = new AtomicLong();
  private final AtomicLong suspensions = new AtomicLong();
  private final SecureRandom random = new SecureRandom();
  private final Thread acceptor;
  private volatile boolean closed;

  private PgWireServer(
      SqlEngine engine, PgSecurity security, ServerSocket serverSocket, int maxConnections) {
    this.engine = engine;
    this.security = security;
    random.nextBytes(mockSecret);
    this.serverSocket = serverSocket;
    this.sessions = new Semaphore(maxConnections);
    this.acceptor = new Thread(this::acceptLoop, "pgwire-" + serverSocket.getLocalPort() + "-accept");
    this.acceptor.setDaemon(true);
  }

  /**
   * Starts a server listening on {@code bind} (port 0 picks a free port).
   *
   * @param maxConnections the most concurrent sessions, at least 1
   * @throws IOException when the address cannot be bound
   */
  public static PgWireServer start(SqlEngine engine, InetSocketAddress bind, int maxConnections)
      throws IOException {
    return start(engine, bind, maxConnections, PgSecurity.NONE);
  }

  /**
   * Starts a server listening on {@code bind} (port 0 picks a free port) with the given
   * authentication and TLS.
   *
   * @param maxConnections the most concurrent sessions, at least 1
   * @throws IOException when the address cannot be bound
   */
  public static PgWireServer start(
      SqlEngine engine, InetSocketAddress bind, int maxConnections, PgSecurity security)
      throws IOException {
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(security, "security");
    Objects.requireNonNull(bind, "bind");
    if (maxConnections < 1) {
      throw new IllegalArgumentException("maxConnections must be at least 1: " + maxConnections);
    }
    ServerSocket socket = new ServerSocket();
    try {
      socket.setReuseAddress(true);
      socket.bind(bind, 128);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
    PgWireServer server = new PgWireServer(engine, security, socket, maxConnections);
    server.acceptor.start();
    LOG.info("PostgreSQL protocol server listening on {}", socket.getLocalSocketAddress());
    return server;
  }

  /** The port the server listens on. */
  public int port() {
    return serverSocket.getLocalPort();
  }

  SqlEngine engine() {
    return engine;
  }

  PgSecurity security() {
    return security;
  }

  SecureRandom random() {
    return random;
  }

  /** The mock verifier of an unknown user (stable for this server's life). */
  ScramSha256.Verifier mockVerifier(String user) {
    return ScramSha256.mockVerifier(user, mockSecret);
  }

  int startupTimeoutMs() {
    return STARTUP_TIMEOUT_MS;
  }

  /** Values received in binary format since start (observability and tests). */
  long binaryValuesReceived() {
    return binaryIn.get();
  }

  /** Values sent in binary format since start. */
  long binaryValuesSent() {
    return binaryOut.get();
  }

  /** PortalSuspended messages sent since start (Executes that stopped at their row limit). */
  long portalSuspensions() {
    return suspensions.get();
  }

  void countSuspension() {
    suspensions.incrementAndGet();
  }

  /** Sessions open now. */
  int openSessions() {
    return byProcessId.size();
  }

  void countBinaryIn() {
    binaryIn.incrementAndGet();
  }

  void countBinaryOut() {
    binaryOut.incrementAndGet();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket socket;
      try {
        socket = serverSocket.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("accepting a PostgreSQL connection failed", e);
          pause(); // e.g. out of file descriptors: do not spin
        }
        continue;
      }
      boolean admitted = sessions.tryAcquire();
      if (!admitted && !overflow.tryAcquire()) {
        closeQuietly(socket); // even the refusing threads are busy
        continue;
      }
      PgConnection c = new PgConnection(this, socket, admitted);
      connections.add(c);
      Thread t = null;
      try {
        t = new Thread(
            () -> {
              try {
                c.run();
              } finally {
                threads.remove(Thread.currentThread());
              }
            },
            "pgwire-" + port() + "-conn-" + connectionCounter.incrementAndGet());
        t.setDaemon(true);
        threads.add(t);
        t.start();
      } catch (OutOfMemoryError | RuntimeException e) {
        // No thread for this client (the JVM's thread limit): refuse it, keep accepting.
        LOG.warn("no thread for a PostgreSQL connection", e);
        if (t != null) {
          threads.remove(t);
        }
        closeQuietly(socket);
        closed(c, admitted);
        pause();
        continue;
      }
      if (closed) {
        c.abort(); // close() may have missed a connection added while it ran
      }
    }
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      LOG.debug("closing a refused connection", e);
    }
  }

  /** Gives a started session its process id and secret key, and makes it cancellable. */
  void register(PgConnection c) {
    int pid = nextProcessId.getAndUpdate(p -> p == Integer.MAX_VALUE ? 1 : p + 1);
    c.setKeys(pid, random.nextInt());
    byProcessId.put(pid, c);
  }

  /** A connection ended: forget it and free its slot. */
  void closed(PgConnection c, boolean admitted) {
    connections.remove(c);
    byProcessId.remove(c.processId(), c);
    if (admitted) {
      sessions.release();
    } else {
      overflow.release();
    }
  }

  /** A CancelRequest: cancels the matching session's running statement; wrong keys do nothing. */
  void cancel(int processId, int secretKey) {
    PgConnection c = byProcessId.get(processId);
    if (c != null && c.secretKey() == secretKey) {
      LOG.debug("cancel request for process {}", processId);
      c.cancel();
    }
  }

  /**
   * Stops accepting, cancels running statements, closes every connection (their sessions roll
   * back open transaction blocks) and waits up to {@link #CLOSE_WAIT_MS} for their threads.
   */
  @Override
  public void close() {
    closed = true;
    try {
      serverSocket.close();
    } catch (IOException e) {
      LOG.debug("closing the server socket", e);
    }
    for (PgConnection c : connections) {
      c.abort();
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MS);
    List<Thread> all = new ArrayList<>(threads);
    all.add(acceptor);
    for (Thread t : all) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        break;
      }
      try {
        t.join(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    for (Thread t : threads) {
      if (t.isAlive()) {
        LOG.warn("{} still running {} ms after close", t.getName(), CLOSE_WAIT_MS);
      }
    }
  }
}
