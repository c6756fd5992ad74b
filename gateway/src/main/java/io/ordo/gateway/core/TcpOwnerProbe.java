package io.ordo.gateway.core;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An {@link OwnerProbe} that opens a TCP connection to the advertised {@code
 * host:port} (IPv6 as {@code [addr]:port}) and closes it at once: accepted means a process
 * listens there. Refused, unresolvable, malformed or not accepted within {@code timeoutMs} means
 * nothing answers. It proves less than a health check (any listener counts), which errs on the
 * side of waiting for the lease; it needs no credentials or TLS trust between gateways.
 *
 * <p>Bounded: at most {@value #THREADS} connects at a time and {@value #QUEUE_MAX} waiting; a probe
 * that finds the queue full completes with true (assume the owner answers: the caller waits for
 * the lease as before). Daemon threads; {@link #close} stops them.
 */
public final class TcpOwnerProbe implements OwnerProbe, AutoCloseable {
  /** Default connect timeout, in milliseconds. */
  public static final int TIMEOUT_MS_DEFAULT = 1_000;

  static final int THREADS = 2;
  static final int QUEUE_MAX = 64;

  private final int timeoutMs;
  private final ThreadPoolExecutor pool;

  /** @param timeoutMs connect timeout in milliseconds, &gt; 0 */
  public TcpOwnerProbe(int timeoutMs) {
    if (timeoutMs <= 0) {
      throw new IllegalArgumentException("timeoutMs must be > 0, got " + timeoutMs);
    }
    this.timeoutMs = timeoutMs;
    AtomicInteger count = new AtomicInteger();
    this.pool =
        new ThreadPoolExecutor(
            THREADS,
            THREADS,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE_MAX),
            r -> {
              Thread t = new Thread(r, "ordo-lease-probe-" + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.pool.allowCoreThreadTimeOut(true);
  }

  @Override
  public CompletableFuture<Boolean> answers(String address) {
    try {
      return CompletableFuture.supplyAsync(() -> connects(address), pool);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.completedFuture(true);
    }
  }

  /** Whether a TCP connection to {@code address} ({@code host:port}) is accepted in time. */
  public boolean connects(String address) {
    InetSocketAddress target = parse(address);
    if (target == null || target.isUnresolved()) {
      return false;
    }
    try (Socket socket = new Socket()) {
      socket.connect(target, timeoutMs);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** {@code host:port} or {@code [v6]:port} as a resolved address; null when malformed. */
  static InetSocketAddress parse(String address) {
    int colon = address.lastIndexOf(':');
    if (colon <= 0 || colon == address.length() - 1) {
      return null;
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      return null;
    }
    if (port < 1 || port > 65_535 || host.isEmpty()) {
      return null;
    }
    return new InetSocketAddress(host, port);
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
