package io.ordo.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.UnknownFieldSet;
import com.google.protobuf.util.JsonFormat;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.ordo.gateway.core.Limits;
import io.ordo.proto.Get;
import io.ordo.proto.GetRequest;
import io.ordo.proto.HealthRequest;
import io.ordo.proto.HealthResponse;
import io.ordo.proto.ListValue;
import io.ordo.proto.Operation;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.Put;
import io.ordo.proto.PutRequest;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.Value;
import io.ordo.sequencer.TopicLayout;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input over gRPC and over REST gets INVALID_ARGUMENT / HTTP 400 (or 413, 404, 405) with the
 * reason, and the gateway keeps serving. A real broker, a real gateway on free ports; no executor
 * is needed because nothing here reaches the log.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GatewayBadInputIT {
  // Small limits make oversized input small; the checks are the same at the defaults.
  private static final Limits LIMITS = new Limits(64, 1024, 8, 4096, 16, 128 << 10, 1000);
  // Generous: CI machines are small and busy; every call here is answered without the log.
  private static final long CALL_TIMEOUT_MS = 30_000;

  @TempDir static Path dataDir;
  static EmbeddedKafkaBroker broker;
  static GatewayServer gateway;
  static ManagedChannel channel;
  static OrdoGrpc.OrdoBlockingStub stub;
  static HttpClient http;

  @BeforeAll
  static void start() throws IOException {
    broker = EmbeddedKafkaBroker.start(dataDir, 0);
    gateway =
        GatewayServer.start(
            GatewayConfig.defaults(broker.bootstrapServers(), TopicLayout.withPrefix("badinput"))
                .withPorts(0, 0)
                .withPgPort(GatewayConfig.NO_PG_PORT)
                .withHeartbeatIntervalMs(50)
                .withLimits(LIMITS));
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", gateway.grpcPort()).usePlaintext().build();
    stub = OrdoGrpc.newBlockingStub(channel);
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (gateway != null) {
      gateway.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  // ---- gRPC ----

  private static OrdoGrpc.OrdoBlockingStub stub() {
    return stub.withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  private static Operation get(String key) {
    return Operation.newBuilder().setKey(key).setGet(Get.getDefaultInstance()).build();
  }

  private static Operation put(String key, int valueBytes) {
    return Operation.newBuilder()
        .setKey(key)
        .setPut(
            Put.newBuilder()
                .setValue(Value.newBuilder().setBytes(ByteString.copyFrom(new byte[valueBytes]))))
        .build();
  }

  private static void assertGrpcInvalid(Runnable call, String reason) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).isEqualTo(reason);
            });
  }

  /** Calls Txn with raw bytes as the request, bypassing the client's own encoding. */
  private static byte[] callTxnRaw(byte[] request) {
    return callRaw(OrdoGrpc.getTxnMethod(), request);
  }

  private static byte[] callRaw(MethodDescriptor<?, ?> method, byte[] request) {
    MethodDescriptor.Marshaller<byte[]> bytes =
        new MethodDescriptor.Marshaller<>() {
          @Override
          public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
          }

          @Override
          public byte[] parse(InputStream stream) {
            try {
              return stream.readAllBytes();
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          }
        };
    MethodDescriptor<byte[], byte[]> raw = method.toBuilder(bytes, bytes).build();
    return ClientCalls.blockingUnaryCall(
        channel,
        raw,
        CallOptions.DEFAULT.withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS),
        request);
  }

  @Test
  void grpcRejectsAMalformedMessage() {
    // Field 2 (ops) announced as 100 bytes long, followed by only 3.
    byte[] truncated = {0x12, 100, 1, 2, 3};
    assertThatThrownBy(() -> callTxnRaw(truncated))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).startsWith("malformed request message");
            });
  }

  /**
   * The standard health service is guarded too: found by fuzzing, a malformed Check request was
   * answered UNKNOWN (grpc-java's answer to a request it cannot parse).
   */
  @Test
  void grpcHealthRejectsAMalformedMessage() {
    byte[] invalidUtf8Service = {0x0a, 2, (byte) 0xC3, 0x28};
    assertThatThrownBy(() -> callRaw(io.grpc.health.v1.HealthGrpc.getCheckMethod(), invalidUtf8Service))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).startsWith("malformed request message");
            });
  }

  @Test
  void grpcRejectsUnknownFields() {
    TxnRequest request =
        TxnRequest.newBuilder()
            .addOps(get("a"))
            .setUnknownFields(
                UnknownFieldSet.newBuilder()
                    .addField(42, UnknownFieldSet.Field.newBuilder().addVarint(7).build())
                    .build())
            .build();
    assertThatThrownBy(() -> callTxnRaw(request.toByteArray()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("request has an unknown field (number 42)");
            });
  }

  @Test
  void grpcRejectsEmptyAndOversizedKeys() {
    assertGrpcInvalid(
        () -> stub().get(GetRequest.newBuilder().setKey("").build()), "key is empty");
    assertGrpcInvalid(
        () -> stub().txn(TxnRequest.newBuilder().addOps(get("a")).addOps(get("")).build()),
        "op 1: key is empty");
    assertGrpcInvalid(
        () -> stub().get(GetRequest.newBuilder().setKey("k".repeat(65)).build()),
        "key is 65 bytes (UTF-8); at most 64 are allowed (keyBytesMax)");
    assertGrpcInvalid(
        () -> stub().txn(TxnRequest.newBuilder().addOps(get("k".repeat(65))).build()),
        "op 0: key is 65 bytes (UTF-8); at most 64 are allowed (keyBytesMax)");
  }

  @Test
  void grpcRejectsOversizedValues() {
    assertGrpcInvalid(
        () ->
            stub()
                .put(
                    PutRequest.newBuilder()
                        .setKey("k")
                        .setValue(
                            Value.newBuilder().setBytes(ByteString.copyFrom(new byte[1025])))
                        .build()),
        "value is 1025 bytes; at most 1024 are allowed (valueBytesMax)");
    assertGrpcInvalid(
        () -> stub().txn(TxnRequest.newBuilder().addOps(put("k", 1025)).build()),
        "op 0: put.value is 1025 bytes; at most 1024 are allowed (valueBytesMax)");
  }

  @Test
  void grpcRejectsTooManyOpsAnOpWithNoKindAndABadId() {
    TxnRequest.Builder many = TxnRequest.newBuilder();
    for (int i = 0; i < 9; i++) {
      many.addOps(get("k" + i));
    }
    assertGrpcInvalid(
        () -> stub().txn(many.build()),
        "transaction has 9 operations; at most 8 are allowed (opsPerTxnMax)");
    assertGrpcInvalid(
        () -> stub().txn(TxnRequest.newBuilder().addOps(Operation.newBuilder().setKey("a")).build()),
        "op 0: no operation set (set one of get, put, delete, assert, append, increment,"
            + " stream_append, ack)");
    assertGrpcInvalid(
        () -> stub().txn(TxnRequest.newBuilder().setId("bad id").addOps(get("a")).build()),
        "id contains U+0020 at index 3; allowed characters are [A-Za-z0-9._:-]");
    assertGrpcInvalid(
        () -> stub().txn(TxnRequest.newBuilder().setId("x".repeat(17)).addOps(get("a")).build()),
        "id is 17 characters; at most 16 are allowed (txnIdLengthMax)");
    assertGrpcInvalid(
        () -> stub().put(PutRequest.newBuilder().setKey("k").build()), "value is missing");
  }

  @Test
  void grpcRejectsOversizedTransactions() {
    // Six values of 1000 bytes: each within valueBytesMax, together over txnBytesMax (4096) but
    // within gRPC's inbound bound (txnBytesMax + 4096), so the gateway's own check answers.
    TxnRequest.Builder big = TxnRequest.newBuilder();
    for (int i = 0; i < 6; i++) {
      big.addOps(put("k" + i, 1000));
    }
    assertThat(big.build().getSerializedSize()).isBetween(4097, 8000);
    assertThatThrownBy(() -> stub().txn(big.build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .matches(
                      "transaction encodes to 6\\d{3} bytes; at most 4096 are allowed"
                          + " \\(txnBytesMax\\)");
            });
    // Far above the bound, gRPC itself refuses the message before it is parsed.
    TxnRequest.Builder huge = TxnRequest.newBuilder();
    for (int i = 0; i < 8; i++) {
      ListValue.Builder elements = ListValue.newBuilder();
      for (int j = 0; j < 1000; j++) {
        elements.addElements(ByteString.copyFrom(new byte[1]));
      }
      huge.addOps(
          Operation.newBuilder()
              .setKey("k" + i)
              .setPut(Put.newBuilder().setValue(Value.newBuilder().setList(elements))));
    }
    assertThat(huge.build().getSerializedSize()).isGreaterThan(8192);
    assertThatThrownBy(() -> stub().txn(huge.build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
  }

  // ---- REST ----

  private static HttpResponse<String> send(String method, String pathAndQuery, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.httpPort() + pathAndQuery))
            .timeout(Duration.ofMillis(CALL_TIMEOUT_MS));
    request.method(
        method,
        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The response's JSON body as a Struct (the error body has "code" and "message"). */
  private static Struct json(HttpResponse<String> response) throws IOException {
    Struct.Builder struct = Struct.newBuilder();
    JsonFormat.parser().merge(response.body(), struct);
    return struct.build();
  }

  private static String field(Struct struct, String name) {
    return struct.getFieldsOrThrow(name).getStringValue();
  }

  private static void assertRest(
      HttpResponse<String> response, int status, String code, String message) throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValue("application/json; charset=utf-8");
    Struct body = json(response);
    assertThat(body.getFieldsMap().keySet()).containsExactlyInAnyOrder("code", "message");
    assertThat(field(body, "code")).isEqualTo(code);
    assertThat(field(body, "message")).isEqualTo(message);
  }

  private static void assertRestStartsWith(
      HttpResponse<String> response, int status, String code, String messagePrefix)
      throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    Struct body = json(response);
    assertThat(field(body, "code")).isEqualTo(code);
    assertThat(field(body, "message")).startsWith(messagePrefix);
  }

  @Test
  void restRejectsMalformedJsonAndUnknownFieldsWithTheParsersReason() throws Exception {
    assertRestStartsWith(
        send("POST", "/v1/txn", "{\"ops\": ["), 400, "INVALID_ARGUMENT", "malformed JSON body: ");

    HttpResponse<String> unknown =
        send("POST", "/v1/txn", "{\"ops\":[{\"key\":\"a\",\"get\":{}}],\"colour\":1}");
    assertRestStartsWith(unknown, 400, "INVALID_ARGUMENT", "malformed JSON body: ");
    assertThat(field(json(unknown), "message")).contains("colour");

    HttpResponse<String> unknownNested =
        send("PUT", "/v1/kv/k", "{\"value\":{\"bytes\":\"aGk=\",\"shade\":2}}");
    assertRestStartsWith(unknownNested, 400, "INVALID_ARGUMENT", "malformed JSON body: ");
    assertThat(field(json(unknownNested), "message")).contains("shade");

    assertRestStartsWith(
        send("PUT", "/v1/kv/k", "{\"value\":{\"bytes\":\"not base64!\"}}"),
        400, "INVALID_ARGUMENT", "malformed JSON body: ");
  }

  @Test
  void restRejectsEmptyAndOversizedKeys() throws Exception {
    assertRest(send("GET", "/v1/kv/", null), 400, "INVALID_ARGUMENT", "key is empty");
    assertRest(
        send("POST", "/v1/txn", "{\"ops\":[{\"key\":\"\",\"get\":{}}]}"),
        400, "INVALID_ARGUMENT", "op 0: key is empty");
    assertRest(
        send("GET", "/v1/kv/" + "k".repeat(65), null),
        400, "INVALID_ARGUMENT", "key is 65 bytes (UTF-8); at most 64 are allowed (keyBytesMax)");
    // 33 two-byte characters, percent-encoded: 66 bytes.
    assertRest(
        send("DELETE", "/v1/kv/" + "%C3%A9".repeat(33), null),
        400, "INVALID_ARGUMENT", "key is 66 bytes (UTF-8); at most 64 are allowed (keyBytesMax)");
  }

  @Test
  void restRejectsOversizedValues() throws Exception {
    String value = Base64.getEncoder().encodeToString(new byte[1025]);
    assertRest(
        send("PUT", "/v1/kv/k", "{\"value\":{\"bytes\":\"" + value + "\"}}"),
        400, "INVALID_ARGUMENT", "value is 1025 bytes; at most 1024 are allowed (valueBytesMax)");
    assertRest(
        send("POST", "/v1/txn", "{\"ops\":[{\"key\":\"k\",\"put\":{\"value\":{\"bytes\":\"" + value + "\"}}}]}"),
        400, "INVALID_ARGUMENT", "op 0: put.value is 1025 bytes; at most 1024 are allowed (valueBytesMax)");
  }

  @Test
  void restRejectsTooManyOpsAnOpWithNoKindAndABadId() throws Exception {
    StringBuilder ops = new StringBuilder();
    for (int i = 0; i < 9; i++) {
      ops.append(i == 0 ? "" : ",").append("{\"key\":\"k").append(i).append("\",\"get\":{}}");
    }
    assertRest(
        send("POST", "/v1/txn", "{\"ops\":[" + ops + "]}"),
        400, "INVALID_ARGUMENT", "transaction has 9 operations; at most 8 are allowed (opsPerTxnMax)");
    assertRest(
        send("POST", "/v1/txn", "{\"ops\":[{\"key\":\"a\"}]}"),
        400, "INVALID_ARGUMENT",
        "op 0: no operation set (set one of get, put, delete, assert, append, increment,"
            + " stream_append, ack)");
    assertRest(
        send("POST", "/v1/txn", "{\"id\":\"a/b\",\"ops\":[{\"key\":\"a\",\"get\":{}}]}"),
        400, "INVALID_ARGUMENT", "id contains '/' at index 1; allowed characters are [A-Za-z0-9._:-]");
    assertRest(
        send("POST", "/v1/txn", "{}"), 400, "INVALID_ARGUMENT", "transaction has no operations");
    assertRest(
        send("PUT", "/v1/kv/k", "{\"value\":{}}"),
        400, "INVALID_ARGUMENT", "value has no kind set (set one of bytes, counter, list)");
  }

  @Test
  void restRejectsABodyOverTheLimitWith413() throws Exception {
    String body = "{\"ops\":[],\"id\":\"" + "x".repeat(LIMITS.httpBodyBytesMax()) + "\"}";
    assertRest(
        send("POST", "/v1/txn", body),
        413, "RESOURCE_EXHAUSTED",
        "request body is " + body.length() + " bytes; at most 131072 are allowed (httpBodyBytesMax)");
  }

  @Test
  void restAnswersUnknownPaths404AndWrongMethods405() throws Exception {
    assertRest(send("GET", "/v1/nothing", null), 404, "NOT_FOUND", "no route for GET /v1/nothing");
    HttpResponse<String> wrongMethod = send("PATCH", "/v1/kv/a", "{}");
    assertRest(wrongMethod, 405, "METHOD_NOT_ALLOWED",
        "PATCH is not allowed on /v1/kv/a; allowed: GET, PUT, DELETE");
    assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("GET, PUT, DELETE");
    assertRest(
        send("GET", "/v1/kv/a?timeoutMs=-5", null),
        400, "INVALID_ARGUMENT",
        "query parameter timeoutMs must be an integer number of milliseconds in [1, 600000], got '-5'");
    assertRest(
        send("GET", "/v1/kv/%C3%28", null),
        400, "INVALID_ARGUMENT", "path variable 'key' is not valid UTF-8 after percent-decoding");
  }

  @Test
  void healthStillAnswersServingOnBothProtocolsAfterBadInput() throws Exception {
    // Bad input first (in this test too, so the order of test methods does not matter).
    send("POST", "/v1/txn", "{{{");
    assertThatThrownBy(() -> callTxnRaw(new byte[] {0x12, 100}))
        .isInstanceOf(StatusRuntimeException.class);

    HealthResponse health = stub().health(HealthRequest.getDefaultInstance());
    assertThat(health.getStatus()).as(health.getDetail()).isEqualTo("SERVING");
    assertThat(health.getDetail()).contains("sequencer up").contains("results listener up");

    HttpResponse<String> rest = send("GET", "/v1/health", null);
    assertThat(rest.statusCode()).isEqualTo(200);
    HealthResponse.Builder parsed = HealthResponse.newBuilder();
    JsonFormat.parser().merge(rest.body(), parsed);
    assertThat(parsed.getStatus()).as(parsed.getDetail()).isEqualTo("SERVING");
    assertThat(parsed.getDetail()).contains("sequencer up").contains("results listener up");
  }
}
