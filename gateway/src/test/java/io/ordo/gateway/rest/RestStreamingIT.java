package io.ordo.gateway.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ordo.proto.ListStreamsRequest;
import io.ordo.proto.ListStreamsResponse;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadShardRequest;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.RecordId;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.SubscriptionsGrpc;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The REST layer end to end over real HTTP: server-streaming methods as NDJSON and SSE, errors
 * before and in the middle of a stream, cancellation when the client disconnects, the bound on
 * concurrent streams, and unary calls with query parameters.
 *
 * <p>The gRPC side is a small fake of ordo.v1.Streams written here (canned records), behind an
 * in-process server: the thing under test is the REST layer, not the streams service. The HTTP
 * handler pool has one thread, so a stream that held a handler thread would block everything
 * else.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RestStreamingIT {
  private static final int STREAMS_MAX = 2;
  private static final long KEEPALIVE_MS = 200;

  /** One cancel latch per "endless" ReadShard call, in call order. */
  private static final BlockingQueue<CountDownLatch> ENDLESS_CALLS = new LinkedBlockingQueue<>();

  private static Server grpcServer;
  private static ManagedChannel channel;
  private static RestServer rest;
  private static HttpClient http;

  /**
   * ReadShard by stream name: "canned" sends max_records (default 3) records from from.offset
   * and completes; "broken" sends two and fails UNAVAILABLE; "missing" fails NOT_FOUND at once;
   * "endless" sends one and then nothing until cancelled. ListStreams filters three names by
   * prefix.
   */
  private static final class FakeStreams extends StreamsGrpc.StreamsImplBase {
    @Override
    public void listStreams(
        ListStreamsRequest request, StreamObserver<ListStreamsResponse> responses) {
      ListStreamsResponse.Builder response = ListStreamsResponse.newBuilder();
      for (String name : List.of("clicks", "orders", "orders-eu")) {
        if (name.startsWith(request.getPrefix())) {
          response.addStreamsBuilder().setName(name).setShardCount(2);
        }
      }
      responses.onNext(response.build());
      responses.onCompleted();
    }

    @Override
    public void readShard(ReadShardRequest request, StreamObserver<ReadResponse> responses) {
      long from = request.getFrom().getOffset();
      switch (request.getStream()) {
        case "canned" -> {
          long count = request.getMaxRecords() == 0 ? 3 : request.getMaxRecords();
          for (long i = 0; i < count; i++) {
            responses.onNext(record(request.getShardId(), from + i));
          }
          responses.onCompleted();
        }
        case "broken" -> {
          responses.onNext(record(request.getShardId(), from));
          responses.onNext(record(request.getShardId(), from + 1));
          responses.onError(
              Status.UNAVAILABLE.withDescription("shard 7 is \"unreadable\" now").asRuntimeException());
        }
        case "missing" ->
            responses.onError(
                Status.NOT_FOUND.withDescription("stream 'missing' does not exist").asRuntimeException());
        case "endless" -> {
          CountDownLatch cancelled = new CountDownLatch(1);
          ((ServerCallStreamObserver<ReadResponse>) responses).setOnCancelHandler(cancelled::countDown);
          responses.onNext(record(request.getShardId(), from));
          ENDLESS_CALLS.add(cancelled);
        }
        default -> responses.onError(Status.INTERNAL.withDescription("unexpected").asRuntimeException());
      }
    }

    private static ReadResponse record(long shardId, long offset) {
      return ReadResponse.newBuilder()
          .addRecords(
              ReceivedRecord.newBuilder()
                  .setId(RecordId.newBuilder().setShardId(shardId).setOffset(offset))
                  .setRecord(StreamRecord.newBuilder().setPartitionKey("k" + offset)))
          .build();
    }
  }

  @BeforeAll
  static void start() throws IOException {
    String name = "rest-streaming-it-" + System.nanoTime();
    grpcServer = InProcessServerBuilder.forName(name).addService(new FakeStreams()).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    rest =
        RestServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            HttpRuleTranscoder.forServices(
                List.of(StreamsGrpc.getServiceDescriptor(), SubscriptionsGrpc.getServiceDescriptor())),
            channel,
            1 << 20,
            1,
            16,
            new RestServer.StreamLimits(STREAMS_MAX, KEEPALIVE_MS));
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (rest != null) {
      rest.close();
    }
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (grpcServer != null) {
      grpcServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * An NDJSON {@code body} without keepalives (empty lines): this class's streams send one after
   * {@value #KEEPALIVE_MS} ms of silence, which a slow machine can reach between two records.
   */
  private static String ndjsonWithoutKeepalives(String body) {
    return body.replaceAll("(?m)^\n", "");
  }

  /** An SSE {@code body} without keepalives (a comment event, sent as for NDJSON). */
  private static String sseWithoutKeepalives(String body) {
    return body.replace(": keepalive\n\n", "");
  }

  @BeforeEach
  void noStreamLeftOver() {
    await(() -> rest.activeStreams() == 0, "streams of an earlier test to end");
    ENDLESS_CALLS.clear();
  }

  @Test
  void streamsRecordsAsNdjsonOneLinePerMessageWithQueryParametersApplied() throws Exception {
    HttpResponse<String> response =
        get("/v1/streams/canned/shards/7/records?from.offset=5&max_records=2&follow=false", null);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValue("application/x-ndjson; charset=utf-8");
    assertThat(ndjsonWithoutKeepalives(response.body()))
        .isEqualTo(
            "{\"records\":[{\"id\":{\"shardId\":\"7\",\"offset\":\"5\"},\"record\":{\"partitionKey\":\"k5\"}}]}\n"
                + "{\"records\":[{\"id\":{\"shardId\":\"7\",\"offset\":\"6\"},\"record\":{\"partitionKey\":\"k6\"}}]}\n");
  }

  @Test
  void streamsServerSentEventsWhenAcceptAsksForThem() throws Exception {
    HttpResponse<String> response =
        get("/v1/streams/canned/shards/3/records?maxRecords=2", "text/event-stream");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValue("text/event-stream; charset=utf-8");
    assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-cache");
    assertThat(sseWithoutKeepalives(response.body()))
        .isEqualTo(
            "data: {\"records\":[{\"id\":{\"shardId\":\"3\"},\"record\":{\"partitionKey\":\"k0\"}}]}\n\n"
                + "data: {\"records\":[{\"id\":{\"shardId\":\"3\",\"offset\":\"1\"},\"record\":{\"partitionKey\":\"k1\"}}]}\n\n");
  }

  @Test
  void anErrorMidStreamIsTheLastLineOrEvent() throws Exception {
    String error =
        "{\"error\":{\"code\":503,\"status\":\"UNAVAILABLE\","
            + "\"message\":\"shard 7 is \\\"unreadable\\\" now\"}}";
    HttpResponse<String> ndjson = get("/v1/streams/broken/shards/7/records", null);
    assertThat(ndjson.statusCode()).isEqualTo(200);
    List<String> lines = ndjsonWithoutKeepalives(ndjson.body()).lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).contains("\"partitionKey\":\"k0\"").doesNotContain("error");
    assertThat(lines.get(1)).contains("\"partitionKey\":\"k1\"");
    assertThat(lines.get(2)).isEqualTo(error);

    HttpResponse<String> sse = get("/v1/streams/broken/shards/7/records", "text/event-stream");
    assertThat(sse.statusCode()).isEqualTo(200);
    assertThat(sseWithoutKeepalives(sse.body())).startsWith("data: {\"records\"").endsWith("\n\nevent: error\ndata: " + error + "\n\n");
  }

  @Test
  void anErrorBeforeTheFirstMessageIsAnOrdinaryErrorResponse() throws Exception {
    HttpResponse<String> response = get("/v1/streams/missing/shards/1/records", "text/event-stream");
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
    assertSameJson(
        response.body(), "{\"code\":\"NOT_FOUND\",\"message\":\"stream 'missing' does not exist\"}");
  }

  @Test
  void badQueryParametersAndPathVariablesAre400BeforeAnyCall() throws Exception {
    HttpResponse<String> unknown = get("/v1/streams/canned/shards/1/records?limit=3", null);
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertSameJson(
        unknown.body(),
        "{\"code\":\"INVALID_ARGUMENT\",\"message\":\"unknown query parameter 'limit' (no such"
            + " field in ordo.v1.ReadShardRequest)\"}");
    HttpResponse<String> typed = get("/v1/streams/canned/shards/one/records", null);
    assertThat(typed.statusCode()).isEqualTo(400);
    assertSameJson(
        typed.body(),
        "{\"code\":\"INVALID_ARGUMENT\",\"message\":\"path variable 'shard_id' must be an int64,"
            + " got 'one'\"}");
  }

  /**
   * A body that ends before its Content-Length, or whose chunked framing is malformed, is the
   * client's error: 400 with the reason. Found by fuzzing, where both were answered with 500.
   */
  @Test
  void aBodyShorterThanItsLengthOrWithBadChunksIs400() throws Exception {
    for (String framing : List.of("Content-Length: 100\r\n\r\n{\"name\": ", "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")) {
      try (Socket socket = new Socket("127.0.0.1", rest.port())) {
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(("POST /v1/streams HTTP/1.1\r\nHost: x\r\n"
            + "Content-Type: application/json\r\n" + framing).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        socket.shutdownOutput();
        String response = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(response).as(framing).startsWith("HTTP/1.1 400")
            .contains("could not read the request body");
      }
    }
  }

  /**
   * A body nested deeper than the JSON parser's stack is a 400. Found by fuzzing: a body of
   * 14,000 '[' killed the worker thread with StackOverflowError and the client got no answer.
   */
  @Test
  void aBodyNestedTooDeeplyIs400() throws Exception {
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rest.port() + "/v1/streams"))
            .POST(HttpRequest.BodyPublishers.ofString("[".repeat(14_000)))
            .timeout(Duration.ofSeconds(30))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("malformed JSON body");
  }

  @Test
  void unaryCallsTakeQueryParameters() throws Exception {
    HttpResponse<String> response = get("/v1/streams?prefix=orders", null);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body())
        .isEqualTo(
            "{\"streams\":[{\"name\":\"orders\",\"shardCount\":2},"
                + "{\"name\":\"orders-eu\",\"shardCount\":2}]}");
  }

  @Test
  void theClientClosingTheConnectionCancelsTheCall() throws Exception {
    try (Socket socket = openStream("/v1/streams/endless/shards/1/records")) {
      assertThat(readUntil(socket, "\"partitionKey\":\"k0\"")).startsWith("HTTP/1.1 200");
      CountDownLatch cancelled = ENDLESS_CALLS.poll(10, TimeUnit.SECONDS);
      assertThat(cancelled).isNotNull();
      assertThat(cancelled.getCount()).isEqualTo(1);
      assertThat(rest.activeStreams()).isEqualTo(1);
      socket.close();
      // The stream is idle: the next keepalive write fails and cancels the call.
      assertThat(cancelled.await(10, TimeUnit.SECONDS)).isTrue();
    }
    await(() -> rest.activeStreams() == 0, "the stream to be released");
  }

  @Test
  void anIdleStreamCarriesKeepalivesAndEndsAtItsTimeout() throws Exception {
    HttpResponse<String> response = get("/v1/streams/endless/shards/2/records?timeoutMs=1000", null);
    assertThat(response.statusCode()).isEqualTo(200);
    List<String> lines = response.body().lines().toList();
    assertThat(lines.get(0)).contains("\"partitionKey\":\"k0\"");
    // 1 s of silence with a keepalive every 200 ms: empty lines between record and error.
    assertThat(lines.subList(1, lines.size() - 1)).isNotEmpty().allMatch(String::isEmpty);
    assertThat(lines.get(lines.size() - 1))
        .startsWith("{\"error\":{\"code\":504,\"status\":\"DEADLINE_EXCEEDED\",\"message\":");
    assertThat(ENDLESS_CALLS.poll(10, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void streamsPastTheLimitGet503AndUnaryCallsStillRun() throws Exception {
    try (Socket first = openStream("/v1/streams/endless/shards/1/records");
        Socket second = openStream("/v1/streams/endless/shards/2/records")) {
      readUntil(first, "\"partitionKey\"");
      readUntil(second, "\"partitionKey\"");
      assertThat(rest.activeStreams()).isEqualTo(STREAMS_MAX);

      HttpResponse<String> refused = get("/v1/streams/canned/shards/3/records", null);
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
      assertThat(refused.body())
          .isEqualTo(
              "{\"code\":\"UNAVAILABLE\",\"message\":\"the server relays at most 2 streaming calls"
                  + " at once (streamingCallsMax); retry later\"}");
      // The single HTTP handler thread is free: the two streams run on the stream pool.
      assertThat(get("/v1/streams?prefix=clicks", null).statusCode()).isEqualTo(200);

      first.close();
      await(() -> rest.activeStreams() == 1, "the closed stream to be released");
      HttpResponse<String> admitted = get("/v1/streams/canned/shards/3/records?max_records=1", null);
      assertThat(admitted.statusCode()).isEqualTo(200);
      assertThat(admitted.body().lines()).hasSize(1);
    }
  }

  @Test
  void closingTheServerEndsOpenStreamsWithUnavailable() throws Exception {
    String name = "rest-streaming-close-" + System.nanoTime();
    Server server = InProcessServerBuilder.forName(name).addService(new FakeStreams()).build().start();
    ManagedChannel ownChannel = InProcessChannelBuilder.forName(name).build();
    RestServer own =
        RestServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            HttpRuleTranscoder.forService(StreamsGrpc.getServiceDescriptor()),
            ownChannel,
            1 << 20,
            1,
            16,
            new RestServer.StreamLimits(1, 60_000));
    try (Socket socket = openStream(own.port(), "/v1/streams/endless/shards/1/records")) {
      readUntil(socket, "\"partitionKey\"");
      CountDownLatch cancelled = ENDLESS_CALLS.poll(10, TimeUnit.SECONDS);
      own.close();
      assertThat(cancelled.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(readUntil(socket, "\"status\":\"UNAVAILABLE\""))
          .contains("\"message\":\"the REST server is stopping\"");
    } finally {
      own.close();
      ownChannel.shutdownNow();
      server.shutdownNow();
    }
  }

  // ---- helpers ----

  /** Equal as JSON (the printer escapes some characters, e.g. ' as \\u0027). */
  private static void assertSameJson(String actual, String expected) throws IOException {
    Struct.Builder actualStruct = Struct.newBuilder();
    JsonFormat.parser().merge(actual, actualStruct);
    Struct.Builder expectedStruct = Struct.newBuilder();
    JsonFormat.parser().merge(expected, expectedStruct);
    assertThat(actualStruct.build()).as(actual).isEqualTo(expectedStruct.build());
  }

  private static HttpResponse<String> get(String pathAndQuery, String accept)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rest.port() + pathAndQuery))
            .timeout(Duration.ofSeconds(20))
            .GET();
    if (accept != null) {
      request.header("Accept", accept);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Socket openStream(String pathAndQuery) throws IOException {
    return openStream(rest.port(), pathAndQuery);
  }

  /** A raw connection with a streaming GET sent, so the test decides when it closes. */
  private static Socket openStream(int port, String pathAndQuery) throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(10_000);
    socket
        .getOutputStream()
        .write(
            ("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/x-ndjson\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    return socket;
  }

  /** Reads until {@code needle} has arrived (at most 1 MiB, each read at most 10 s). */
  private static String readUntil(Socket socket, String needle) throws IOException {
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    byte[] buffer = new byte[4096];
    while (seen.size() < (1 << 20)) {
      int n = in.read(buffer);
      if (n < 0) {
        break;
      }
      seen.write(buffer, 0, n);
      if (seen.toString(StandardCharsets.UTF_8).contains(needle)) {
        return seen.toString(StandardCharsets.UTF_8);
      }
    }
    throw new AssertionError("'" + needle + "' never arrived; got: " + seen.toString(StandardCharsets.UTF_8));
  }

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }
}
