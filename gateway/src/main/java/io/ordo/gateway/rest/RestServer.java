package io.ordo.gateway.rest;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.ordo.gateway.auth.AuthInterceptor;
import io.ordo.gateway.auth.BearerAuth;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.ordo.gateway.core.ErrorFields;
import io.ordo.gateway.core.OrdoService;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the routes of an {@link HttpRuleTranscoder} (the http rules of one or more gRPC
 * services) over HTTP/1.1 with the JDK's {@link HttpServer}, calling the services through {@code
 * channel} (an in-process channel to the same services the gRPC server exposes).
 *
 * <p>Per request: match the route (unknown path 404, known path with another verb 405 with an
 * {@code Allow} header); read the body, at most {@code httpBodyBytesMax} bytes (larger: 413);
 * decode the query: {@value #TIMEOUT_PARAM} is the call's deadline in milliseconds, in [1,
 * {@value #TIMEOUT_MS_MAX}] (without it a unary call gets the gateway's default deadline and a
 * stream none), every other parameter sets a request field (see {@link HttpRuleTranscoder});
 * build the request message (malformed JSON, unknown fields or parameters, bad values: 400 with
 * the reason); call the method.
 *
 * <p>Unary methods: the response is printed with {@code JsonFormat}, an error as {@code
 * {"code":"<gRPC code>","message":"..."}} with the status of {@link HttpStatuses}, plus the
 * fields of {@link ErrorFields} the call's trailers carry (a failed SQL statement's {@code
 * "sqlstate"} and {@code "position"}).
 *
 * <p>Server-streaming methods: the response is {@code 200} with a chunked body in the {@link
 * StreamFormat} the {@code Accept} header asks for (NDJSON by default, Server-Sent Events for
 * {@code text/event-stream}), one message per line or event, flushed per message; an error after
 * the first message ends the body with an error line or {@code event: error} whose data is {@code
 * {"error":{"code":<HTTP status>,"status":"<gRPC code>","message":"..."}}}; an error before
 * anything was sent is an ordinary error response (e.g. 404 for a missing stream). A stream
 * silent for {@link StreamLimits#keepAliveMs()} gets a keepalive (an empty NDJSON line, an SSE
 * comment); the client closing the connection cancels the gRPC call, noticed when a write fails
 * (the JDK server reports nothing sooner), so within about two keepalive intervals on an idle
 * stream. At most {@link StreamLimits#streamingCallsMax()} streams run at once ({@link
 * StreamLimits#DEFAULT}: 64, keepalive after 15 s); past that a streaming request gets 503 ({@code
 * UNAVAILABLE}, {@code Retry-After: 1}) while unary requests are unaffected.
 *
 * <p>A unary route's request may be served by a server-streaming route of the same request type
 * instead, when the {@link StreamingAlternative} set with {@link #streamInstead} says so ({@code
 * POST /v1/sql} whose text is a push query goes to {@code Sql/Push}).
 *
 * <p>Threads: handlers never wait for a result. A unary handler starts an asynchronous call and
 * returns; the response is written from the channel's executor when the call completes. A
 * streaming handler hands the exchange to its own thread of the stream pool ({@code
 * streamingCallsMax} threads), which relays the stream for its whole life, so long-lived streams
 * never hold a handler thread. Handlers run on a fixed pool of {@code workerThreads} threads with
 * a queue of {@code queueMax} exchanges; beyond that the JDK server closes the connection (load
 * shedding without unbounded queues).
 */
public final class RestServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RestServer.class);

  /** Longest {@code ?timeoutMs=} accepted, in milliseconds (10 minutes). */
  public static final long TIMEOUT_MS_MAX = 600_000;

  /** The query parameter that sets the call's deadline, in milliseconds. */
  public static final String TIMEOUT_PARAM = "timeoutMs";

  /** How long close() lets exchanges in progress finish, in seconds. */
  static final int STOP_DELAY_SECONDS = 1;

  /**
   * Bounds of server-streaming calls.
   *
   * @param streamingCallsMax streams relayed at once, each on its own thread (> 0)
   * @param keepAliveMs longest silence on an open stream before a keepalive is written, in
   *     milliseconds (> 0); also how late a client's disconnect from an idle stream is noticed
   */
  public record StreamLimits(int streamingCallsMax, long keepAliveMs) {
    /** 64 streams, a keepalive after 15 s of silence. */
    public static final StreamLimits DEFAULT = new StreamLimits(64, 15_000);

    public StreamLimits {
      if (streamingCallsMax <= 0 || keepAliveMs <= 0) {
        throw new IllegalArgumentException(
            "streamingCallsMax and keepAliveMs must be > 0, got "
                + streamingCallsMax + ", " + keepAliveMs);
      }
    }
  }

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

  private final HttpServer server;
  private final ThreadPoolExecutor executor;
  private final ThreadPoolExecutor streamPool;
  private final HttpRuleTranscoder transcoder;
  private final Channel channel;
  private final int httpBodyBytesMax;
  private final StreamLimits streamLimits;
  private final Set<ServerStream> streams = new HashSet<>(); // guarded by this
  private volatile BearerAuth metricsAuth; // null: /metrics is open
  private volatile StreamingAlternative streamingAlternative = (route, request) -> Optional.empty();
  private boolean closed; // guarded by this

  private RestServer(
      HttpServer server,
      ThreadPoolExecutor executor,
      ThreadPoolExecutor streamPool,
      HttpRuleTranscoder transcoder,
      Channel channel,
      int httpBodyBytesMax,
      StreamLimits streamLimits) {
    this.server = server;
    this.executor = executor;
    this.streamPool = streamPool;
    this.transcoder = transcoder;
    this.channel = channel;
    this.httpBodyBytesMax = httpBodyBytesMax;
    this.streamLimits = streamLimits;
  }

  /**
   * Binds and starts the server with {@link StreamLimits#DEFAULT}.
   *
   * @throws IOException if the address cannot be bound
   */
  public static RestServer start(
      InetSocketAddress address,
      HttpRuleTranscoder transcoder,
      Channel channel,
      int httpBodyBytesMax,
      int workerThreads,
      int queueMax)
      throws IOException {
    return start(
        address, transcoder, channel, httpBodyBytesMax, workerThreads, queueMax, StreamLimits.DEFAULT);
  }

  /**
   * Binds and starts the server.
   *
   * @param address where to listen (port 0 picks a free port, see {@link #port()})
   * @param transcoder the routes
   * @param channel the channel calls go through
   * @param httpBodyBytesMax largest request body, in bytes (> 0)
   * @param workerThreads handler threads (> 0)
   * @param queueMax exchanges waiting for a handler thread (> 0)
   * @param streamLimits bounds of server-streaming calls
   * @throws IOException if the address cannot be bound
   */
  public static RestServer start(
      InetSocketAddress address,
      HttpRuleTranscoder transcoder,
      Channel channel,
      int httpBodyBytesMax,
      int workerThreads,
      int queueMax,
      StreamLimits streamLimits)
      throws IOException {
    return start(
        address, transcoder, channel, httpBodyBytesMax, workerThreads, queueMax, streamLimits,
        Optional.empty());
  }

  /**
   * Binds and starts the server, in plain HTTP or HTTPS.
   *
   * @param tls when present the server speaks HTTPS only (TLS 1.2/1.3) with this context
   * @see #start(InetSocketAddress, HttpRuleTranscoder, Channel, int, int, int, StreamLimits)
   */
  public static RestServer start(
      InetSocketAddress address,
      HttpRuleTranscoder transcoder,
      Channel channel,
      int httpBodyBytesMax,
      int workerThreads,
      int queueMax,
      StreamLimits streamLimits,
      Optional<SSLContext> tls)
      throws IOException {
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(transcoder, "transcoder");
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(streamLimits, "streamLimits");
    if (httpBodyBytesMax <= 0 || workerThreads <= 0 || queueMax <= 0) {
      throw new IllegalArgumentException(
          "httpBodyBytesMax, workerThreads and queueMax must be > 0, got "
              + httpBodyBytesMax + ", " + workerThreads + ", " + queueMax);
    }
    AtomicInteger threadCount = new AtomicInteger();
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            workerThreads,
            workerThreads,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(queueMax),
            runnable -> {
              Thread thread = new Thread(runnable, "ordo-http-" + threadCount.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    AtomicInteger streamThreadCount = new AtomicInteger();
    int streamsMax = streamLimits.streamingCallsMax();
    // At most streamsMax streams are admitted (see startStream), so neither the threads nor the
    // queue (which only bridges a finishing thread's last moments) can overflow.
    ThreadPoolExecutor streamPool =
        new ThreadPoolExecutor(
            streamsMax,
            streamsMax,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(streamsMax),
            runnable -> {
              Thread thread =
                  new Thread(runnable, "ordo-http-stream-" + streamThreadCount.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    streamPool.allowCoreThreadTimeOut(true);
    HttpServer server;
    try {
      server = createServer(address, tls);
    } catch (IOException e) {
      executor.shutdownNow();
      streamPool.shutdownNow();
      throw e;
    }
    RestServer rest =
        new RestServer(
            server, executor, streamPool, transcoder, channel, httpBodyBytesMax, streamLimits);
    server.createContext("/", rest::handle);
    // The JDK's default executor runs one exchange at a time; ours is a bounded pool.
    server.setExecutor(executor);
    server.start();
    LOG.info("REST server listening on {}", server.getAddress());
    return rest;
  }

  /**
   * An HTTP server, or an HTTPS one (TLS 1.2/1.3 with {@code tls}) when given a context. Not
   * started.
   */
  static HttpServer createServer(InetSocketAddress address, Optional<SSLContext> tls)
      throws IOException {
    if (tls.isEmpty()) {
      return HttpServer.create(address, 0);
    }
    HttpsServer https = HttpsServer.create(address, 0);
    SSLContext context = tls.get();
    https.setHttpsConfigurator(
        new HttpsConfigurator(context) {
          @Override
          public void configure(HttpsParameters params) {
            SSLParameters parameters = context.getDefaultSSLParameters();
            parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
            params.setSSLParameters(parameters);
          }
        });
    return https;
  }

  /**
   * Requires a bearer token with at least {@code needed} on {@code GET /metrics} of this server
   * (401 without one, 403 with too little); the service routes are checked by the gRPC
   * services' own interceptor, which gets the request's {@code Authorization} header.
   */
  public void requireForMetrics(BearerAuth auth) {
    this.metricsAuth = Objects.requireNonNull(auth, "auth");
  }

  /**
   * Decides, per request, that a unary route's request is served by a server-streaming route
   * instead (same request message type), e.g. {@code POST /v1/sql} with a push query, which
   * never ends and so is answered as a stream.
   */
  @FunctionalInterface
  public interface StreamingAlternative {
    /** The streaming route to call instead, or empty to call {@code route} as usual. */
    Optional<HttpRuleTranscoder.Route> of(HttpRuleTranscoder.Route route, Message request);
  }

  /** Sets the {@link StreamingAlternative} (by default none). */
  public void streamInstead(StreamingAlternative alternative) {
    this.streamingAlternative = Objects.requireNonNull(alternative, "alternative");
  }

  /** The port the server listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * Also serves {@code GET /metrics} ({@link MetricsEndpoint}) with {@code scrape}'s text. No route
   * of the services starts with /metrics.
   */
  public void serveMetrics(Supplier<String> scrape) {
    server.createContext(
        MetricsEndpoint.PATH, MetricsEndpoint.handler(scrape, () -> Optional.ofNullable(metricsAuth)));
  }

  /** Streams being relayed now. */
  public synchronized int activeStreams() {
    return streams.size();
  }

  /**
   * Ends the open streams (each gets a final {@code UNAVAILABLE} error), stops accepting, lets
   * exchanges in progress finish for up to 1 s, stops the pools. Idempotent.
   */
  @Override
  public void close() {
    List<ServerStream> open;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      open = new ArrayList<>(streams);
    }
    for (ServerStream stream : open) {
      stream.cancel(Status.UNAVAILABLE.withDescription("the REST server is stopping"));
    }
    server.stop(STOP_DELAY_SECONDS);
    executor.shutdownNow();
    streamPool.shutdownNow();
  }

  private void handle(HttpExchange exchange) {
    try {
      dispatch(exchange);
    } catch (StackOverflowError e) {
      // The JSON parser recurses per nesting level: a body nested deeper than the stack is the
      // client's error. Without this the worker thread died and the client never got an answer.
      sendError(exchange, 400, "INVALID_ARGUMENT", "malformed JSON body: nested too deeply");
    } catch (RuntimeException | IOException e) {
      LOG.warn("REST request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
      sendError(exchange, 500, "INTERNAL", "internal error: " + e);
    }
  }

  private void dispatch(HttpExchange exchange) throws IOException {
    String verb = exchange.getRequestMethod();
    URI uri = exchange.getRequestURI();
    HttpRuleTranscoder.Match match;
    try {
      match = transcoder.match(verb, uri.getRawPath());
    } catch (IllegalArgumentException e) {
      sendError(exchange, 400, "INVALID_ARGUMENT", e.getMessage());
      return;
    }
    if (match instanceof HttpRuleTranscoder.NotFound) {
      sendError(exchange, 404, "NOT_FOUND", "no route for " + verb + " " + uri.getRawPath());
      return;
    }
    if (match instanceof HttpRuleTranscoder.MethodNotAllowed notAllowed) {
      String allow = String.join(", ", notAllowed.allowed());
      exchange.getResponseHeaders().set("Allow", allow);
      sendError(
          exchange,
          405,
          "METHOD_NOT_ALLOWED",
          verb + " is not allowed on " + uri.getRawPath() + "; allowed: " + allow);
      return;
    }
    HttpRuleTranscoder.Found found = (HttpRuleTranscoder.Found) match;
    Channel channel = withAuthorization(this.channel, exchange);

    QueryParameters query;
    Long timeoutMs;
    try {
      query = QueryParameters.parse(uri.getRawQuery());
      timeoutMs = parseTimeoutMs(query.get(TIMEOUT_PARAM));
      query = query.without(TIMEOUT_PARAM);
    } catch (IllegalArgumentException e) {
      sendError(exchange, 400, "INVALID_ARGUMENT", e.getMessage());
      return;
    }
    String body = readBody(exchange);
    if (body == null) {
      return; // readBody answered
    }
    Message request;
    try {
      request = transcoder.buildRequest(found.route(), found.variables(), query, body);
    } catch (IllegalArgumentException e) {
      sendError(exchange, 400, "INVALID_ARGUMENT", e.getMessage());
      return;
    }
    if (found.route().serverStreaming()) {
      startStream(exchange, channel, found.route(), request, timeoutMs);
      return;
    }
    Optional<HttpRuleTranscoder.Route> streaming = streamingAlternative.of(found.route(), request);
    if (streaming.isPresent()) {
      startStream(exchange, channel, streaming.get(), request, timeoutMs);
      return;
    }
    CallOptions options = CallOptions.DEFAULT;
    if (timeoutMs != null) {
      // The service stops waiting a margin before the call's deadline; extend the deadline by
      // that margin so it waits the full timeoutMs and its own "outcome unknown" answer wins.
      options =
          options.withDeadlineAfter(
              OrdoService.deadlineMsForWaitMs(timeoutMs), TimeUnit.MILLISECONDS);
    }
    ClientCalls.asyncUnaryCall(
        channel.newCall(found.route().method(), options),
        request,
        new StreamObserver<>() {
          private Message response;

          @Override
          public void onNext(Message value) {
            response = value;
          }

          @Override
          public void onError(Throwable t) {
            Status status = Status.fromThrowable(t);
            String message = status.getDescription() == null ? status.getCode().name() : status.getDescription();
            sendError(
                exchange,
                HttpStatuses.of(status.getCode()),
                status.getCode().name(),
                message,
                ErrorFields.jsonFields(Status.trailersFromThrowable(t)));
          }

          @Override
          public void onCompleted() {
            try {
              send(exchange, 200, PRINTER.print(response));
            } catch (InvalidProtocolBufferException e) {
              sendError(exchange, 500, "INTERNAL", "could not print the response: " + e.getMessage());
            }
          }
        });
  }

  /**
   * Admits a stream (503 past {@link StreamLimits#streamingCallsMax()}) and hands it to a thread
   * of the stream pool; returns at once.
   */
  private void startStream(
      HttpExchange exchange,
      Channel channel,
      HttpRuleTranscoder.Route route,
      Message request,
      Long timeoutMs) {
    StreamFormat format = StreamFormat.negotiate(exchange.getRequestHeaders().get("Accept"));
    // A stream has no result to wait for, so the deadline is timeoutMs itself: the stream ends
    // with DEADLINE_EXCEEDED when it runs out.
    CallOptions options =
        timeoutMs == null
            ? CallOptions.DEFAULT
            : CallOptions.DEFAULT.withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS);
    ServerStream stream;
    synchronized (this) {
      if (closed) {
        sendError(exchange, 503, "UNAVAILABLE", "the REST server is stopping");
        return;
      }
      if (streams.size() >= streamLimits.streamingCallsMax()) {
        exchange.getResponseHeaders().set("Retry-After", "1");
        sendError(
            exchange,
            503,
            "UNAVAILABLE",
            "the server relays at most "
                + streamLimits.streamingCallsMax()
                + " streaming calls at once (streamingCallsMax); retry later");
        return;
      }
      stream =
          new ServerStream(
              exchange,
              format,
              channel.newCall(route.method(), options),
              request,
              streamLimits.keepAliveMs(),
              this::streamDone);
      streams.add(stream);
    }
    try {
      streamPool.execute(stream);
    } catch (RejectedExecutionException e) {
      // Only after close() shut the pool down: admission keeps the pool from filling up.
      synchronized (this) {
        streams.remove(stream);
      }
      sendError(exchange, 503, "UNAVAILABLE", "the REST server is stopping");
    }
  }

  /**
   * The channel for one request: with the request's {@code Authorization} header as the call's
   * {@code authorization} metadata, which the services' interceptor checks (one check for gRPC
   * and REST).
   */
  private static Channel withAuthorization(Channel channel, HttpExchange exchange) {
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization == null) {
      return channel;
    }
    Metadata headers = new Metadata();
    try {
      headers.put(AuthInterceptor.AUTHORIZATION, authorization);
    } catch (IllegalArgumentException e) {
      return channel; // not ASCII: the call goes without it and is refused as unauthenticated
    }
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private synchronized void streamDone(ServerStream stream) {
    streams.remove(stream);
  }

  /**
   * Reads the body as UTF-8 text, or answers 413 (too large) or 400 (not UTF-8, or a body that
   * ends before its Content-Length or has malformed chunks) and returns null.
   */
  private String readBody(HttpExchange exchange) throws IOException {
    String declared = exchange.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      long length;
      try {
        length = Long.parseLong(declared.trim());
      } catch (NumberFormatException e) {
        length = -1;
      }
      if (length > httpBodyBytesMax) {
        drain(exchange);
        sendTooLarge(exchange, length);
        return null;
      }
    }
    byte[] bytes;
    try (InputStream in = exchange.getRequestBody()) {
      bytes = in.readNBytes(httpBodyBytesMax + 1);
    } catch (IOException e) {
      // The body's framing is the client's: fewer bytes than its Content-Length before the
      // connection ended, or a malformed chunk. A 400 (if the client still listens), not a 500.
      exchange.getResponseHeaders().set("Connection", "close");
      sendError(exchange, 400, "INVALID_ARGUMENT", "could not read the request body: " + e.getMessage());
      return null;
    }
    if (bytes.length > httpBodyBytesMax) {
      drain(exchange);
      sendTooLarge(exchange, -1);
      return null;
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      sendError(exchange, 400, "INVALID_ARGUMENT", "request body is not valid UTF-8");
      return null;
    }
  }

  /** The most of a rejected body read and discarded before answering 413. */
  static final long DRAIN_BYTES_MAX = 32L * 1024 * 1024;

  /**
   * Reads and discards the rest of a rejected body, at most {@link #DRAIN_BYTES_MAX} bytes: a
   * client still sending when the server answers and closes gets a connection reset instead of
   * the 413, so a moderately oversized body is consumed first. A larger one is cut off.
   */
  private static void drain(HttpExchange exchange) {
    try (InputStream in = exchange.getRequestBody()) {
      byte[] buffer = new byte[64 * 1024];
      long drained = 0;
      int n;
      while (drained < DRAIN_BYTES_MAX && (n = in.read(buffer)) > 0) {
        drained += n;
      }
    } catch (IOException e) {
      // The client went away; the 413 is best effort from here on.
    }
  }

  private void sendTooLarge(HttpExchange exchange, long declaredBytes) {
    // The rest of the body stays unread: the connection must not be reused for another request.
    exchange.getResponseHeaders().set("Connection", "close");
    sendError(
        exchange,
        413,
        "RESOURCE_EXHAUSTED",
        "request body is "
            + (declaredBytes >= 0 ? declaredBytes + " bytes" : "larger than " + httpBodyBytesMax + " bytes")
            + "; at most "
            + httpBodyBytesMax
            + " are allowed (httpBodyBytesMax)");
  }

  /**
   * Parses the values of {@value #TIMEOUT_PARAM}.
   *
   * @param values the parameter's values, in order (empty when it is absent)
   * @return the timeout in milliseconds, or null if not given
   * @throws IllegalArgumentException if it is given twice or is not an integer in [1, {@value
   *     #TIMEOUT_MS_MAX}]
   */
  static Long parseTimeoutMs(List<String> values) {
    if (values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw new IllegalArgumentException("query parameter " + TIMEOUT_PARAM + " is given twice");
    }
    String value = values.get(0);
    long parsed;
    try {
      parsed = Long.parseLong(value);
    } catch (NumberFormatException e) {
      parsed = -1;
    }
    if (parsed < 1 || parsed > TIMEOUT_MS_MAX) {
      throw new IllegalArgumentException(
          "query parameter "
              + TIMEOUT_PARAM
              + " must be an integer number of milliseconds in [1, "
              + TIMEOUT_MS_MAX
              + "], got '"
              + value
              + "'");
    }
    return parsed;
  }

  /** {@code text} as a JSON string literal, quotes and escapes included. */
  static String jsonString(String text) {
    try {
      return PRINTER.print(com.google.protobuf.Value.newBuilder().setStringValue(text).build());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a string Value always prints", e);
    }
  }

  static void sendError(HttpExchange exchange, int httpStatus, String code, String message) {
    sendError(exchange, httpStatus, code, message, Map.of());
  }

  /**
   * Sends {@code {"code":...,"message":...}} with {@code extra}'s fields after them (Integer and
   * Long values as JSON integers, anything else as a JSON string).
   */
  static void sendError(
      HttpExchange exchange, int httpStatus, String code, String message, Map<String, Object> extra) {
    Struct error =
        Struct.newBuilder()
            .putFields("code", com.google.protobuf.Value.newBuilder().setStringValue(code).build())
            .putFields(
                "message", com.google.protobuf.Value.newBuilder().setStringValue(message).build())
            .build();
    String json;
    try {
      json = PRINTER.print(error);
    } catch (InvalidProtocolBufferException e) {
      // A Struct of two strings always prints; keep a fallback anyway.
      json = "{\"code\":\"INTERNAL\"}";
    }
    if (!extra.isEmpty()) {
      // Appended by hand: a Struct holds numbers as doubles, which print as 18.0.
      StringBuilder body = new StringBuilder(json.substring(0, json.length() - 1));
      extra.forEach(
          (name, value) ->
              body.append(',')
                  .append(jsonString(name))
                  .append(':')
                  .append(
                      value instanceof Integer || value instanceof Long
                          ? value.toString()
                          : jsonString(String.valueOf(value))));
      json = body.append('}').toString();
    }
    send(exchange, httpStatus, json);
  }

  private static void send(HttpExchange exchange, int httpStatus, String json) {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    try {
      exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
      if (httpStatus == 401) {
        exchange.getResponseHeaders().set("WWW-Authenticate", BearerAuth.CHALLENGE);
      }
      exchange.sendResponseHeaders(httpStatus, bytes.length);
      exchange.getResponseBody().write(bytes);
    } catch (IOException | RuntimeException e) {
      // The client went away or the server is stopping; nobody is left to tell.
      LOG.debug("could not write the response to {}: {}", exchange.getRemoteAddress(), e.toString());
    } finally {
      exchange.close();
    }
  }
}
