package io.ordo.gateway.rest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.ordo.gateway.auth.BearerAuth;
import io.ordo.gateway.auth.Permission;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics}: the gateway's metrics in the Prometheus text format, on the REST server
 * ({@link RestServer#serveMetrics}) or on a port of its own ({@link #start}, which serves nothing
 * else). The text comes from a supplier (the gateway's Prometheus registry), so this package
 * knows nothing of Micrometer. Other verbs get 405, other paths 404.
 */
public final class MetricsEndpoint implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);

  /** The path metrics are served on. */
  public static final String PATH = "/metrics";

  /** The content type of the Prometheus text exposition format 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsEndpoint(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Serves {@code GET /metrics} alone on {@code address} (one handler thread: scrapes are rare).
   *
   * @throws IOException if the address cannot be bound
   */
  public static MetricsEndpoint start(InetSocketAddress address, Supplier<String> scrape)
      throws IOException {
    return start(address, scrape, Optional.empty(), Optional.empty());
  }

  /**
   * Serves {@code GET /metrics} alone on {@code address}, over HTTPS when given a TLS context
   * and only to bearer tokens with read permission when given {@code auth}.
   *
   * @throws IOException if the address cannot be bound
   */
  public static MetricsEndpoint start(
      InetSocketAddress address,
      Supplier<String> scrape,
      Optional<SSLContext> tls,
      Optional<BearerAuth> auth)
      throws IOException {
    Objects.requireNonNull(scrape, "scrape");
    HttpServer server = RestServer.createServer(address, tls);
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "ordo-metrics-http");
              t.setDaemon(true);
              return t;
            });
    server.createContext("/", handler(scrape, () -> auth));
    server.setExecutor(executor);
    server.start();
    LOG.info("metrics served on http://{}{}", server.getAddress(), PATH);
    return new MetricsEndpoint(server, executor);
  }

  /** The port it listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  /** A handler that answers {@code GET /metrics} with {@code scrape}'s text. */
  static HttpHandler handler(Supplier<String> scrape, Supplier<Optional<BearerAuth>> auth) {
    return exchange -> {
      try {
        Optional<BearerAuth> required = auth.get();
        if (required.isPresent() && !authorized(exchange, required.get())) {
          return;
        }
        handle(exchange, scrape);
      } catch (RuntimeException e) {
        LOG.warn("serving metrics failed", e);
        RestServer.sendError(exchange, 500, "INTERNAL", "could not collect the metrics: " + e);
      }
    };
  }

  /** Answers 401 or 403 and returns false unless the request has a token with read permission. */
  private static boolean authorized(HttpExchange exchange, BearerAuth auth) {
    BearerAuth.Decision decision =
        auth.check(
            exchange.getRequestHeaders().getFirst("Authorization"),
            Optional.of(Permission.READ),
            "GET " + PATH);
    if (decision instanceof BearerAuth.Unauthenticated u) {
      RestServer.sendError(exchange, 401, "UNAUTHENTICATED", u.reason());
      return false;
    }
    if (decision instanceof BearerAuth.Denied d) {
      RestServer.sendError(exchange, 403, "PERMISSION_DENIED", d.reason());
      return false;
    }
    return true;
  }

  private static void handle(HttpExchange exchange, Supplier<String> scrape) throws IOException {
    if (!PATH.equals(exchange.getRequestURI().getRawPath())) {
      RestServer.sendError(
          exchange, 404, "NOT_FOUND", "no route for " + exchange.getRequestURI().getRawPath());
      return;
    }
    String verb = exchange.getRequestMethod();
    if (!verb.equals("GET") && !verb.equals("HEAD")) {
      exchange.getResponseHeaders().set("Allow", "GET, HEAD");
      RestServer.sendError(exchange, 405, "METHOD_NOT_ALLOWED", verb + " is not allowed on " + PATH);
      return;
    }
    byte[] body = scrape.get().getBytes(StandardCharsets.UTF_8);
    try {
      exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
      if (verb.equals("HEAD")) {
        exchange.sendResponseHeaders(200, -1);
      } else {
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
      }
    } finally {
      exchange.close();
    }
  }
}
