package io.ordo.launcher.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.util.JsonFormat;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import io.ordo.gateway.GatewayConfig;
import io.ordo.gateway.streams.IngestTopics;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.proto.AppendRequest;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.CreateSubscriptionRequest;
import io.ordo.proto.GetRequest;
import io.ordo.proto.GetResponse;
import io.ordo.proto.Header;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.PutRequest;
import io.ordo.proto.ReadFrom;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.SqlGrpc;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.SubscriptionsGrpc;
import io.ordo.proto.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlStatement;
import io.ordo.sql.StatementResult;
import io.ordo.sql.TxnState;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzing of every interface of one embedded Ordo (broker, executor on a MiniCluster, gateway):
 * gRPC (mutated protobuf bytes sent raw to every method of every service, and well-formed
 * messages with extreme fields), REST (bodies, paths, query strings, methods, headers), records
 * produced to a stream's ingest topic and stream appends with malformed payloads, SQL text
 * through the engine, and PostgreSQL protocol messages over raw sockets.
 *
 * <p>Properties, for every input: a clear error (a gRPC status other than INTERNAL, UNKNOWN or
 * DATA_LOSS, with a description; an HTTP status below 500 with a body, where a request whose head
 * is over the JDK HTTP server's limit ({@link #REQUEST_HEAD_MAX}) may get a close without a
 * response instead; a {@link SqlException} with a SQLSTATE outside class XX; for the PostgreSQL
 * protocol ErrorResponses with a SQLSTATE and a close once the client has closed its side), the
 * server stays up (after each interface, health, a write and a read succeed) and nothing outside
 * the fuzz namespace changes: a SHA-256 over the seeded keys, the rows of a seeded table and the
 * records of a seeded stream is the same before and after each interface. Inputs name only
 * fuzz-owned keys, streams and tables (prefix {@code fz}), which byte mutations cannot turn into
 * the seeded names (prefix {@code chk}).
 *
 * <p>Counts: {@value #DEFAULT_INPUTS} inputs per interface, times {@code -Dordo.fuzz.scale=N} (or
 * {@code ORDO_FUZZ_SCALE}); seed {@code -Dordo.fuzz.seed} (or {@code ORDO_FUZZ_SEED}), default
 * {@value #DEFAULT_SEED}. A failing input is reported with its interface, index and the input.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 60, unit = TimeUnit.MINUTES)
class FuzzIT {
  /**
   * Inputs per interface at scale 1, the count every build runs: small enough that the whole class
   * takes about a minute on a 2-core machine (the SQL inputs cost most); by hand, scale it up.
   */
  static final int DEFAULT_INPUTS = 500;
  static final long DEFAULT_SEED = 20261207L;
  private static final int IN_FLIGHT = 16;
  private static final List<String> CHK_KEYS = List.of("chk-k0", "chk-k1", "chk-k2", "chk-k3");
  private static final String CHK_TABLE = "chk_accounts";
  private static final String CHK_STREAM = "chk-orders";
  private static final String FZ_STREAM = "fzs";
  private static final String INGEST_STREAM = "fzingest";

  private final int inputs = DEFAULT_INPUTS * (int) setting("ordo.fuzz.scale", "ORDO_FUZZ_SCALE", 1);
  private final long seed = setting("ordo.fuzz.seed", "ORDO_FUZZ_SEED", DEFAULT_SEED);
  private final Map<String, Integer> counts = Collections.synchronizedMap(new TreeMap<>());

  @TempDir static Path dir;
  private EmbeddedOrdo ordo;
  private ManagedChannel channel;
  private byte[] baseline;

  private static long setting(String property, String env, long fallback) {
    String v = System.getProperty(property, System.getenv(env));
    return v == null || v.isBlank() ? fallback : Long.parseLong(v.trim());
  }

  @BeforeAll
  void start() throws Exception {
    ordo = EmbeddedOrdo.start(
        EmbeddedOrdo.Options.defaults(dir).withFreePorts().withPgPort(GatewayConfig.ANY_FREE_PG_PORT));
    ordo.awaitServing(Duration.ofSeconds(120));
    channel = ManagedChannelBuilder.forTarget(ordo.grpcTarget()).usePlaintext()
        .maxInboundMessageSize(64 << 20).build();
    seed();
    baseline = checksum();
  }

  @AfterAll
  void stop() throws Exception {
    System.out.println("FUZZ counts per interface (seed " + seed + "): " + counts);
    if (channel != null) {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (ordo != null) {
      ordo.close();
    }
  }

  /** After each interface: the server is up, serves a write and a read, and the seeded data is unchanged. */
  @AfterEach
  void serverUpAndDataUnchanged() throws Exception {
    ordo.awaitServing(Duration.ofSeconds(60));
    String key = "fz-alive";
    Value v = Value.newBuilder().setBytes(ByteString.copyFromUtf8("alive " + System.nanoTime())).build();
    ordo(60).put(PutRequest.newBuilder().setKey(key).setValue(v).build());
    awaitValue(key, v);
    try (SqlSession s = ordo.sqlEngine().openSession("fz", "fz")) {
      assertThat(run(s, "SELECT 1").rows()).hasSize(1);
    }
    assertThat(checksum()).as("checksum of the seeded data").isEqualTo(baseline);
  }

  // ---------------------------------------------------------------------------------------------
  // Seeded data and its checksum

  private OrdoGrpc.OrdoBlockingStub ordo(int seconds) {
    return OrdoGrpc.newBlockingStub(channel).withDeadlineAfter(seconds, TimeUnit.SECONDS);
  }

  private void seed() throws Exception {
    for (int i = 0; i < CHK_KEYS.size(); i++) {
      Value v = i % 2 == 0
          ? Value.newBuilder().setBytes(ByteString.copyFromUtf8("seeded " + i)).build()
          : Value.newBuilder().setCounter(1_000L * i).build();
      ordo(60).put(PutRequest.newBuilder().setKey(CHK_KEYS.get(i)).setValue(v).build());
      awaitValue(CHK_KEYS.get(i), v);
    }
    try (SqlSession s = ordo.sqlEngine().openSession("fz", "fz")) {
      run(s, "CREATE TABLE " + CHK_TABLE + " (id BIGINT PRIMARY KEY, owner TEXT, balance BIGINT)");
      run(s, "INSERT INTO " + CHK_TABLE + " VALUES (1, 'ann', 100), (2, 'bob', 250), (3, NULL, -7)");
      run(s, "CREATE TABLE fzt (id BIGINT PRIMARY KEY, v TEXT, n DECIMAL(20, 4), b BOOLEAN)");
      run(s, "INSERT INTO fzt VALUES (1, 'a', 1.5, true), (2, 'b', -2.25, false)");
    }
    StreamsGrpc.StreamsBlockingStub streams =
        StreamsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    streams.createStream(CreateStreamRequest.newBuilder().setName(CHK_STREAM).setShardCount(2).build());
    streams.createStream(CreateStreamRequest.newBuilder().setName(FZ_STREAM).setShardCount(2).build());
    AppendRequest.Builder append = AppendRequest.newBuilder().setStream(CHK_STREAM);
    for (int i = 0; i < 6; i++) {
      append.addRecords(StreamRecord.newBuilder().setPartitionKey("c" + i)
          .setJson("{\"n\": " + i + "}").addHeaders(Header.newBuilder().setKey("h").setValue(ByteString.copyFromUtf8("v"))));
    }
    StreamsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS).append(append.build());
    SubscriptionsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
        .createSubscription(CreateSubscriptionRequest.newBuilder().setId("fzsub").setStream(FZ_STREAM).build());
  }

  private void awaitValue(String key, Value v) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      GetResponse r = ordo(30).get(GetRequest.newBuilder().setKey(key).build());
      if (r.getFound() && r.getValue().equals(v)) {
        return;
      }
      assertThat(System.nanoTime() - deadline).as("read of " + key + " sees its write").isNegative();
      Thread.sleep(20);
    }
  }

  /** SHA-256 over the seeded keys' values, the seeded table's rows and the seeded stream's records. */
  private byte[] checksum() throws Exception {
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    for (String key : CHK_KEYS) {
      GetResponse r = ordo(30).get(GetRequest.newBuilder().setKey(key).build());
      d.update(key.getBytes(StandardCharsets.UTF_8));
      d.update(r.getValue().toByteArray());
    }
    try (SqlSession s = ordo.sqlEngine().openSession("fz", "fz")) {
      StatementResult rows = run(s, "SELECT id, owner, balance FROM " + CHK_TABLE + " ORDER BY id");
      assertThat(rows.rows()).hasSize(3);
      d.update(rows.rows().toString().getBytes(StandardCharsets.UTF_8));
    }
    int records = 0;
    Iterator<ReadResponse> it = StreamsGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .readStream(ReadStreamRequest.newBuilder().setStream(CHK_STREAM)
            .setFrom(ReadFrom.newBuilder().setSpecial(ReadFrom.Special.EARLIEST)).build());
    List<String> lines = new ArrayList<>();
    while (it.hasNext()) {
      for (ReceivedRecord r : it.next().getRecordsList()) {
        lines.add(r.getId().getShardId() + "/" + r.getId().getOffset() + "/" + r.getRecord());
        records++;
      }
    }
    Collections.sort(lines);
    d.update(String.join("\n", lines).getBytes(StandardCharsets.UTF_8));
    assertThat(records).as("records of the seeded stream").isEqualTo(6);
    return d.digest();
  }

  private static StatementResult run(SqlSession s, String sql) throws SqlException {
    StatementResult last = null;
    for (SqlStatement st : s.prepare(sql, List.of())) {
      last = st.execute(List.of());
    }
    return last;
  }

  // ---------------------------------------------------------------------------------------------
  // Running inputs: IN_FLIGHT at a time; failures collected with the input that caused them

  /** One input: a description (for the failure message) and its run, which returns a failure or null. */
  private record Input(String description, Supplier<CompletableFuture<String>> run) {}

  private void runAll(String iface, int n, java.util.function.IntFunction<Input> inputs)
      throws InterruptedException {
    long startNs = System.nanoTime();
    Semaphore slots = new Semaphore(IN_FLIGHT);
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    AtomicInteger done = new AtomicInteger();
    for (int i = 0; i < n; i++) {
      Input input = inputs.apply(i);
      slots.acquire();
      int index = i;
      CompletableFuture<String> f;
      try {
        f = input.run().get();
      } catch (RuntimeException e) {
        f = CompletableFuture.completedFuture("test harness: " + e);
      }
      f.orTimeout(180, TimeUnit.SECONDS).whenComplete((failure, error) -> {
        if (error instanceof java.util.concurrent.TimeoutException) {
          failure = "no answer within 180 s";
        } else if (error != null) {
          failure = "test harness: " + error;
        }
        if (failure != null) {
          String line = iface + " #" + index + ": " + failure + "\n    input: " + abbreviate(input.description());
          if (failures.size() < 20) {
            System.out.println("FUZZ FAILURE " + line);
          }
          failures.add(line);
        }
        done.incrementAndGet();
        slots.release();
      });
    }
    slots.acquire(IN_FLIGHT);
    slots.release(IN_FLIGHT);
    counts.merge(iface, done.get(), Integer::sum);
    System.out.println("FUZZ " + iface + ": " + done.get() + " inputs, " + failures.size() + " without a clear error, "
        + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNs) + " s");
    assertThat(failures).as(iface + ": inputs without a clear error").isEmpty();
  }

  static String abbreviate(String s) {
    return s.length() <= 600 ? s : s.substring(0, 600) + "... (" + s.length() + " chars)";
  }

  static String hex(byte[] b) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < Math.min(b.length, 300); i++) {
      out.append(String.format("%02x", b[i]));
    }
    return out + (b.length > 300 ? "... (" + b.length + " bytes)" : "");
  }

  // ---------------------------------------------------------------------------------------------
  // gRPC

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  };

  private static List<MethodDescriptor<?, ?>> grpcMethods() {
    List<MethodDescriptor<?, ?>> out = new ArrayList<>();
    for (ServiceDescriptor s : List.of(OrdoGrpc.getServiceDescriptor(), StreamsGrpc.getServiceDescriptor(),
        SubscriptionsGrpc.getServiceDescriptor(), SqlGrpc.getServiceDescriptor(), HealthGrpc.getServiceDescriptor())) {
      out.addAll(s.getMethods());
    }
    return out;
  }

  private static Descriptor requestType(MethodDescriptor<?, ?> method) {
    return ((ProtoMethodDescriptorSupplier) method.getSchemaDescriptor()).getMethodDescriptor().getInputType();
  }

  @Test
  @Order(1)
  void grpc() throws Exception {
    List<MethodDescriptor<?, ?>> methods = grpcMethods();
    Mutations m = new Mutations(seed);
    ProtoInputs protos = new ProtoInputs(m);
    AtomicInteger mutated = new AtomicInteger();
    AtomicInteger wellFormed = new AtomicInteger();
    runAll("grpc", inputs, i -> {
      MethodDescriptor<?, ?> method = methods.get(i % methods.size());
      Descriptor type = requestType(method);
      byte[] bytes;
      String kind;
      switch (m.below(6)) {
        case 0:
        case 1:
        case 2:
          bytes = m.mutate(protos.small(type).toByteArray());
          kind = "mutated";
          mutated.incrementAndGet();
          break;
        case 3:
          bytes = protos.withInvalidUtf8(protos.small(type));
          kind = "invalid UTF-8";
          mutated.incrementAndGet();
          break;
        case 4:
          bytes = ProtoInputs.nested(protos.small(type).toByteArray(), ProtoInputs.firstMessageField(type),
              m.chance(0.5) ? 90 + m.below(20) : 1_000 + m.below(5_000));
          kind = "deeply nested";
          mutated.incrementAndGet();
          break;
        default:
          DynamicMessage message = protos.wellFormed(type);
          bytes = message.toByteArray();
          kind = "well-formed " + abbreviate(message.toString().replace('\n', ' '));
          wellFormed.incrementAndGet();
          break;
      }
      String description = method.getFullMethodName() + " " + kind + " " + hex(bytes);
      return new Input(description, () -> callRaw(method, bytes));
    });
    counts.put("grpc (mutated bytes)", mutated.get());
    counts.put("grpc (well-formed, extreme fields)", wellFormed.get());
  }

  /** Sends {@code bytes} as the one request message of {@code method}; a failure or null. */
  private CompletableFuture<String> callRaw(MethodDescriptor<?, ?> method, byte[] bytes) {
    MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(method.getType()).setFullMethodName(method.getFullMethodName())
        .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    boolean streaming = method.getType() != MethodDescriptor.MethodType.UNARY;
    ClientCall<byte[], byte[]> call = channel.newCall(raw,
        CallOptions.DEFAULT.withDeadlineAfter(streaming ? 3 : 60, TimeUnit.SECONDS));
    CompletableFuture<String> result = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        result.complete(grpcFailure(status, streaming));
      }
    }, new Metadata());
    call.request(Integer.MAX_VALUE);
    call.sendMessage(bytes);
    call.halfClose();
    return result;
  }

  /** Null if {@code status} is a clear answer to an input, else why not. */
  static String grpcFailure(Status status, boolean streaming) {
    switch (status.getCode()) {
      case OK:
        return null;
      case INTERNAL:
      case UNKNOWN:
      case DATA_LOSS:
      case UNIMPLEMENTED:
        return "status " + status;
      case DEADLINE_EXCEEDED:
      case CANCELLED:
        // The client's deadline: a followed stream never ends by itself.
        return streaming || status.getDescription() != null ? null : "status " + status;
      default:
        return status.getDescription() == null || status.getDescription().isBlank()
            ? "status " + status.getCode() + " without a description" : null;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // REST: raw HTTP/1.1 over sockets, so request lines, headers and lengths can be malformed

  private final ExecutorService blocking = Executors.newFixedThreadPool(IN_FLIGHT, r -> {
    Thread t = new Thread(r, "fuzz-io");
    t.setDaemon(true);
    return t;
  });

  /** Sends HTTP requests while {@link #blocking} threads read the answers: one per exchange. */
  private final ExecutorService senders = Executors.newFixedThreadPool(IN_FLIGHT, r -> {
    Thread t = new Thread(r, "fuzz-http-send");
    t.setDaemon(true);
    return t;
  });

  private record Http(String method, String target, String body) {}

  private static final List<Http> REST_CORPUS = List.of(
      new Http("POST", "/v1/txn", "{\"ops\": [{\"key\": \"fz-a\", \"increment\": {\"delta\": \"-10\", \"min\": \"0\"}}, {\"key\": \"fz-b\", \"read\": {}}]}"),
      new Http("GET", "/v1/kv/fz-a", ""),
      new Http("PUT", "/v1/kv/fz-a", "{\"value\": {\"bytes\": \"aGVsbG8=\"}}"),
      new Http("PUT", "/v1/kv/fz-c", "{\"value\": {\"counter\": \"42\"}}"),
      new Http("DELETE", "/v1/kv/fz-b", ""),
      new Http("GET", "/v1/health?probe=true", ""),
      new Http("POST", "/v1/sql", "{\"sql\": \"SELECT id, v FROM fzt WHERE id = $1\", \"params\": [1]}"),
      new Http("POST", "/v1/sql", "{\"sql\": \"INSERT INTO fzt VALUES (3, 'c', 3.5, true)\"}"),
      new Http("POST", "/v1/streams", "{\"name\": \"fzs2\", \"shardCount\": 1, \"retentionSeconds\": \"86400\"}"),
      new Http("GET", "/v1/streams/fzs", ""),
      new Http("GET", "/v1/streams?pageSize=10", ""),
      new Http("DELETE", "/v1/streams/fz-none", ""),
      new Http("GET", "/v1/streams/fzs/shards", ""),
      new Http("GET", "/v1/streams/fzs/lookup?partitionKey=k", ""),
      new Http("POST", "/v1/streams/fzs/records", "{\"records\": [{\"partitionKey\": \"k\", \"json\": \"{\\\"total\\\": 42}\"}, {\"raw\": \"AAE=\", \"headers\": [{\"key\": \"h\", \"value\": \"dg==\"}]}]}"),
      new Http("GET", "/v1/streams/fzs/shards/0/records?maxRecords=3", ""),
      new Http("GET", "/v1/streams/fzs/records?maxRecords=3", ""),
      new Http("POST", "/v1/streams/fzs/shards/0/split", "{}"),
      new Http("POST", "/v1/streams/fzs/merge", "{\"shardIds\": [\"1\", \"2\"]}"),
      new Http("POST", "/v1/streams/fzs/shards/0/trim", "{\"beforeOffset\": \"1\"}"),
      new Http("POST", "/v1/subscriptions", "{\"id\": \"fzsub2\", \"stream\": \"fzs\"}"),
      new Http("GET", "/v1/subscriptions/fzsub", ""),
      new Http("GET", "/v1/subscriptions", ""),
      new Http("GET", "/v1/subscriptions/fzsub/consumers", ""),
      new Http("DELETE", "/v1/subscriptions/fz-none", ""),
      new Http("GET", "/v1/subscriptions/fzsub/fetch?consumer=c1&maxMessages=1", ""),
      new Http("POST", "/v1/subscriptions/fzsub/acks", "{\"consumer\": \"c1\", \"ids\": [{\"shardId\": \"0\", \"offset\": \"0\"}]}"),
      new Http("GET", "/metrics", ""));

  private static final List<String> JSON_VOCABULARY = List.of("null", "true", "false", "\"\"", "[]", "{}",
      "{\"ops\": [", "\"key\":", "\"fz-q\"", ",", ":", "\"value\": {\"bytes\": \"!!\"}", "\"delta\": 1e400",
      "\"counter\": \"-9223372036854775809\"", "\"shardCount\": 2147483648", "\"\\ud800\"", "\"\\u0000\"",
      "\"increment\": {\"delta\": \"9223372036854775807\"}", "}", "]", "\"", "\\", "\"unknownField\": 1",
      "[[[[[[[[", "{\"a\":{\"a\":{\"a\":");
  private static final List<String> PATH_VOCABULARY = List.of("%", "%zz", "%00", "%FF", "%2F", "..", "//",
      "?", "#", "&", "=", ";", "{key}", "\u00e9", " ", "\t", "fz", "v1", "streams", "shards", "-1",
      "99999999999999999999", "records", "*", "%25", "+");
  private static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD",
      "OPTIONS", "TRACE", "FOO", "get", "CONNECT");

  @Test
  @Order(2)
  void rest() throws Exception {
    Mutations m = new Mutations(seed + 2);
    runAll("rest", inputs, i -> {
      Http base = REST_CORPUS.get(i % REST_CORPUS.size());
      String method = base.method();
      String target = base.target();
      String body = base.body();
      List<String> headers = new ArrayList<>(List.of("Host: 127.0.0.1", "Connection: close"));
      String contentType = "application/json";
      String contentLength = null; // null: the true length
      switch (m.below(6)) {
        case 0:
        case 1:
          body = m.mutateText(body.isEmpty() ? "{}" : body, JSON_VOCABULARY, m.chance(0.5) ? "[" : "{\"a\":", m.chance(0.5) ? "]" : "}");
          break;
        case 2:
          target = m.mutateText(target, PATH_VOCABULARY, "/", "");
          if (m.chance(0.5)) {
            target += (target.contains("?") ? "&" : "?") + m.pick(List.of("follow=maybe", "maxRecords=-1",
                "shardId=99999999999999999999", "x=%zz", "probe=", "partitionKey=%FF%FE", "follow=true&follow=false",
                "from.offset=abc", "=", "&&&", "maxRecords=" + "9".repeat(5_000)));
          }
          break;
        case 3:
          method = m.pick(METHODS);
          break;
        case 4:
          switch (m.below(7)) {
            case 0: contentLength = String.valueOf(body.length() + 1 + m.below(100_000)); break;
            case 1: contentLength = String.valueOf(Math.max(0, body.length() - 1 - m.below(10))); break;
            case 2: contentLength = m.pick(List.of("-1", "abc", "99999999999999999999", "", "1, 2", "0x10")); break;
            case 3: contentType = m.pick(List.of("text/plain", "application/json; charset=ISO-8859-1",
                "multipart/form-data; boundary=", "application/x-protobuf", "", "\u0000", "application/json; charset=nope")); break;
            case 4: headers.add("Transfer-Encoding: chunked"); contentLength = ""; body = m.pick(List.of(
                "zz\r\n" + body + "\r\n0\r\n\r\n", "ffffffffffffffff\r\n", "5\r\nab", Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n")); break;
            case 5: headers.add("X-Fuzz: " + "h".repeat(m.chance(0.5) ? 10 : 200_000)); break;
            default: headers.add(m.pick(List.of("Expect: 100-continue", "no colon header", ": empty name",
                "Content-Length: 5", "Accept: text/event-stream", "Accept: application/x-ndjson", "Content-Encoding: gzip"))); break;
          }
          break;
        default: // a wrong type or a huge number for one JSON value
          body = body.replaceFirst("\"(-?[0-9]+)\"|\\b[0-9]+\\b|\"fz[^\"]*\"|true|false",
              java.util.regex.Matcher.quoteReplacement(m.pick(List.of("[1,2]", "{}", "null", "\"x\"", "1e999",
                  "123456789012345678901234567890", "-1", "true", "\"-9223372036854775809\"", "1.5", "\"\""))));
          break;
      }
      byte[] bodyBytes = body.getBytes(StandardCharsets.UTF_8);
      StringBuilder req = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
      for (String h : headers) {
        req.append(h).append("\r\n");
      }
      req.append("Content-Type: ").append(contentType).append("\r\n");
      if (contentLength == null) {
        req.append("Content-Length: ").append(bodyBytes.length).append("\r\n");
      } else if (!contentLength.isEmpty()) {
        req.append("Content-Length: ").append(contentLength).append("\r\n");
      }
      req.append("\r\n");
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      bytes.writeBytes(req.toString().getBytes(StandardCharsets.UTF_8));
      bytes.writeBytes(bodyBytes);
      byte[] request = bytes.toByteArray();
      long headSize = jdkHeadSize(request);
      boolean overLimit = REQUEST_HEAD_MAX > 0 && headSize > REQUEST_HEAD_MAX;
      if (overLimit) {
        overLongHeads.incrementAndGet();
      }
      String description = (overLimit ? "(head of " + headSize + " over the limit) " : "")
          + new String(request, StandardCharsets.UTF_8);
      return new Input(description,
          () -> CompletableFuture.supplyAsync(() -> httpExchange(request, overLimit), blocking));
    });
    counts.put("rest (heads over the JDK server's limit)", overLongHeads.get());
  }

  /**
   * The JDK HTTP server's limit on a request's head ({@code sun.net.httpserver.maxReqHeaderSize},
   * default 389,120 = 380 KiB; 0 or less: none), in the units of {@link #jdkHeadSize}. A request
   * over it is dropped by the server before the gateway sees it: the connection is closed without
   * a response (README, REST).
   */
  static final long REQUEST_HEAD_MAX = Integer.getInteger("sun.net.httpserver.maxReqHeaderSize", 380 * 1024);

  private final AtomicInteger overLongHeads = new AtomicInteger();

  /**
   * The size of {@code request}'s head as the JDK HTTP server counts it against {@link
   * #REQUEST_HEAD_MAX} (sun.net.httpserver.Request): the request line's bytes plus 32, plus for each
   * header line its bytes (trailing whitespace excluded) plus 33. Lines end at CRLF, the head at the
   * first empty line (or at the end of the request).
   */
  static long jdkHeadSize(byte[] request) {
    String text = new String(request, StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    String[] lines = (end < 0 ? text : text.substring(0, end)).split("\r\n", -1);
    long size = lines[0].length() + 32L;
    for (int i = 1; i < lines.length; i++) {
      size += lines[i].stripTrailing().length() + 33L;
    }
    return size;
  }

  /**
   * Sends one raw request, closes the sending side, reads the answer; a failure or null. A head
   * over {@link #REQUEST_HEAD_MAX} ({@code overLimit}) may instead be answered by a close, which
   * the client sees as an end of stream or a reset.
   *
   * <p>The request is sent from another thread while this one reads, as HTTP clients do, so an
   * answer given before the server has read the whole request is read as it arrives; {@link
   * #bodyStart} keeps such an answer when a reset follows it.
   */
  private String httpExchange(byte[] request, boolean overLimit) {
    try (Socket socket = new Socket("127.0.0.1", ordo.httpPort())) {
      socket.setSoTimeout(60_000);
      OutputStream out = socket.getOutputStream();
      CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
        try {
          out.write(request);
          out.flush();
          socket.shutdownOutput();
        } catch (IOException e) {
          // The server answered and closed before it had read all of a bad request.
        }
      }, senders);
      try {
        return readHttpAnswer(socket.getInputStream(), request, overLimit);
      } finally {
        socket.close(); // ends a send still blocked on a server that stopped reading
        sent.join();
      }
    } catch (IOException e) {
      return "I/O error: " + e;
    }
  }

  /**
   * Up to 4 KiB of a response body: what arrived before the end of the stream or a reset. The JDK
   * HTTP server answers a request it refuses itself (such as a target that is no URI) and closes
   * at once without reading the rest, so a client still sending gets a reset after the answer.
   */
  private static byte[] bodyStart(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    byte[] buffer = new byte[4_096];
    try {
      int n;
      while (body.size() < buffer.length && (n = in.read(buffer, 0, buffer.length - body.size())) > 0) {
        body.write(buffer, 0, n);
      }
    } catch (IOException e) {
      if (body.size() == 0) {
        throw e;
      }
    }
    return body.toByteArray();
  }

  /** Reads one HTTP answer to {@code request}; a failure or null (see {@link #httpExchange}). */
  private static String readHttpAnswer(InputStream in, byte[] request, boolean overLimit) {
    try {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int c;
      while ((c = in.read()) >= 0) {
        head.write(c);
        byte[] h = head.toByteArray();
        int n = h.length;
        if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
          break;
        }
        if (n > 64 << 10) {
          return "response headers over 64 KiB";
        }
      }
      String headText = head.toString(StandardCharsets.ISO_8859_1);
      if (headText.isEmpty()) {
        return overLimit ? null : "connection closed without a response";
      }
      String[] statusLine = headText.split("\r\n", 2)[0].split(" ", 3);
      if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
        return "not an HTTP response: " + abbreviate(headText);
      }
      int status = Integer.parseInt(statusLine[1]);
      if (status >= 500) {
        byte[] rest = bodyStart(in);
        return "HTTP " + status + ": " + abbreviate(headText + new String(rest, StandardCharsets.UTF_8));
      }
      boolean headRequest = new String(request, 0, Math.min(5, request.length), StandardCharsets.ISO_8859_1).startsWith("HEAD ");
      if (status >= 400 && !headRequest && bodyStart(in).length == 0) {
        return "HTTP " + status + " without a reason in the body";
      }
      return null;
    } catch (SocketTimeoutException e) {
      return "no complete response within 60 s";
    } catch (IOException e) {
      boolean reset = e.getMessage() != null && e.getMessage().contains("Connection reset");
      return overLimit && reset ? null : "I/O error: " + e;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Streams: records produced to an ingest topic with a plain KafkaProducer, and appends through
  // the API with malformed payloads

  @Test
  @Order(3)
  void ingestTopicRecords() throws Exception {
    StreamsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
        .createStream(CreateStreamRequest.newBuilder().setName(INGEST_STREAM).setShardCount(2).build());
    String topic = IngestTopics.topic(ordo.topics(), INGEST_STREAM);
    Mutations m = new Mutations(seed + 3);
    Map<String, Object> config = Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, ordo.bootstrapServers(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.LINGER_MS_CONFIG, 5,
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 << 20);
    int sent = 0;
    String sentinel = "fz-sentinel-" + seed;
    AtomicInteger refusedByKafka = new AtomicInteger();
    CompletableFuture<Void> sentinelAcked = new CompletableFuture<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config)) {
      for (int i = 0; i < inputs; i++) {
        byte[] key = switch (m.below(6)) {
          case 0 -> null;
          case 1 -> new byte[0];
          case 2 -> new byte[] {(byte) 0xC3, 0x28, (byte) 0xFF};
          case 3 -> m.bytes(16);
          case 4 -> "fz".repeat(600).getBytes(StandardCharsets.UTF_8); // over the key limit
          default -> ("fz-" + i).getBytes(StandardCharsets.UTF_8);
        };
        byte[] value = switch (m.below(7)) {
          case 0 -> null;
          case 1 -> new byte[0];
          case 2 -> m.chance(0.02) ? new byte[(1 << 20) + 1 + m.below(100)] : m.bytes(200); // over the value limit
          case 3 -> m.mutateText("{\"total\": 42, \"items\": [1, 2]}", JSON_VOCABULARY, "[", "]").getBytes(StandardCharsets.UTF_8);
          case 4 -> m.mutate("{\"a\": 1}".getBytes(StandardCharsets.UTF_8));
          default -> m.bytes(32);
        };
        if (value != null && value.length > 900_000 && key != null && key.length > 1_000) {
          key = null; // keep the record under the broker's message size, so Kafka accepts it
        }
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, key, value);
        int nHeaders = m.chance(0.1) ? 50 + m.below(500) : m.below(3);
        for (int h = 0; h < nHeaders; h++) {
          String hKey = switch (m.below(4)) {
            case 0 -> "";
            case 1 -> "h\u0000\uFFFD";
            case 2 -> "h".repeat(m.chance(0.5) ? 1 : 5_000);
            default -> "h" + h;
          };
          record.headers().add(new RecordHeader(hKey, m.chance(0.2) ? null : m.bytes(m.chance(0.1) ? 20_000 : 16)));
        }
        // Acks by callback: the futures of records in a batch the producer split (one over the
        // broker's size limit) chain, and Future.get recursed through 10,000 of them to a
        // StackOverflowError in the test.
        producer.send(record, (metadata, error) -> {
          if (error != null) {
            refusedByKafka.incrementAndGet(); // e.g. over the broker's size limit: never reaches Ordo
          }
        });
        sent++;
      }
      producer.send(new ProducerRecord<>(topic, sentinel.getBytes(StandardCharsets.UTF_8),
          "{\"end\": true}".getBytes(StandardCharsets.UTF_8)), (metadata, error) -> {
            if (error == null) {
              sentinelAcked.complete(null);
            } else {
              sentinelAcked.completeExceptionally(error);
            }
          });
      producer.flush();
    }
    sentinelAcked.get(120, TimeUnit.SECONDS);
    assertThat(refusedByKafka.get()).as("records the broker refused").isLessThan(inputs / 20);
    // The bridge passes every malformed record over and still ingests the record after them.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    int records;
    while (true) {
      records = 0;
      boolean found = false;
      Iterator<ReadResponse> it = StreamsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
          .readStream(ReadStreamRequest.newBuilder().setStream(INGEST_STREAM)
              .setFrom(ReadFrom.newBuilder().setSpecial(ReadFrom.Special.EARLIEST)).build());
      while (it.hasNext()) {
        for (ReceivedRecord r : it.next().getRecordsList()) {
          records++;
          found |= r.getRecord().getPartitionKey().equals(sentinel);
        }
      }
      if (found) {
        break;
      }
      assertThat(System.nanoTime() - deadline).as("the sentinel after the fuzz records is ingested").isNegative();
      Thread.sleep(500);
    }
    assertThat(records).isBetween(2, sent + 1);
    counts.put("ingest topic records", sent);
    counts.put("ingest topic records appended to the stream", records - 1);
  }

  @Test
  @Order(4)
  void streamAppends() throws Exception {
    Mutations m = new Mutations(seed + 4);
    ProtoInputs protos = new ProtoInputs(m);
    MethodDescriptor<?, ?> append = StreamsGrpc.getAppendMethod();
    runAll("stream appends", inputs, i -> {
      StreamRecord.Builder record = StreamRecord.newBuilder().setPartitionKey(m.pick(List.of("", "k", "fz-" + i)));
      switch (m.below(6)) {
        case 0 -> record.setJson(m.mutateText("{\"total\": 42, \"items\": [1, \"a\", null]}", JSON_VOCABULARY, "[", "]"));
        case 1 -> record.setJson(m.chance(0.5) ? "[".repeat(1 + m.below(100_000)) : "{\"a\":".repeat(1 + m.below(50_000)) + "1" + "}".repeat(m.below(50_000)));
        case 2 -> record.setRaw(ByteString.copyFrom(m.chance(0.05) ? new byte[(1 << 20) + m.below(1 << 20)] : m.bytes(64)));
        case 3 -> record.setPartitionKey("k".repeat(1_000 + m.below(3_000)));
        case 4 -> record.addHeaders(Header.newBuilder().setKey(m.pick(List.of("", "h", "h".repeat(5_000))))
            .setValue(ByteString.copyFrom(m.bytes(m.chance(0.1) ? 2_000_000 : 8))));
        default -> record.setJson("{\"x\": " + m.pick(List.of("1e999", "NaN", "-0", "\"\\ud800\"", "01", "1.", "[1,]", "{\"a\" 1}", "'x'")) + "}");
      }
      AppendRequest.Builder request = AppendRequest.newBuilder().setStream(FZ_STREAM).addRecords(record);
      switch (m.below(5)) {
        case 0 -> request.setShardId(m.pick(List.of(-1L, Long.MAX_VALUE, Long.MIN_VALUE, 99L, 0L)));
        case 1 -> request.setExpectedOffset(m.pick(List.of(-1L, Long.MAX_VALUE, Long.MIN_VALUE, 0L)));
        case 2 -> {
          int n = m.chance(0.1) ? 10_001 : m.below(50);
          for (int k = 0; k < n; k++) {
            request.addRecords(StreamRecord.newBuilder().setJson("{"));
          }
        }
        case 3 -> request.setId(m.pick(List.of("", "x".repeat(129), "\u0000", "fz-id")));
        default -> { }
      }
      if (m.chance(0.25)) {
        byte[] bytes = m.chance(0.5) ? protos.withInvalidUtf8(DynamicMessage.newBuilder(request.build()).build())
            : m.mutate(request.build().toByteArray());
        return new Input("gRPC Append " + hex(bytes), () -> callRaw(append, bytes));
      }
      if (m.chance(0.5)) {
        byte[] bytes = request.build().toByteArray();
        return new Input("gRPC Append " + abbreviate(request.build().toString()), () -> callRaw(append, bytes));
      }
      String json;
      try {
        json = JsonFormat.printer().omittingInsignificantWhitespace().print(request);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      byte[] body = json.getBytes(StandardCharsets.UTF_8);
      byte[] http = ("POST /v1/streams/" + FZ_STREAM + "/records HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n" + json).getBytes(StandardCharsets.UTF_8);
      return new Input("REST append " + json, () -> CompletableFuture.supplyAsync(() -> httpExchange(http, false), blocking));
    });
  }

  // ---------------------------------------------------------------------------------------------
  // SQL text through the engine

  private static final List<String> SQL_CORPUS = List.of(
      "SELECT id, v, n FROM fzt WHERE id > 0 AND v LIKE 'a%' ORDER BY v DESC LIMIT 10 OFFSET 1",
      "SELECT count(*), sum(n), max(v) FROM fzt GROUP BY b HAVING count(*) > 1",
      "INSERT INTO fzt (id, v, n, b) VALUES (10, 'x', 12.5, NULL)",
      "UPDATE fzt SET v = v || 'y', n = n * 2 WHERE id = 1",
      "DELETE FROM fzt WHERE id IN (5, 6, 7)",
      "SELECT 1 + 2 * 3, 'x' || 'y', CAST('12' AS INTEGER), 9223372036854775807 + 1, 1 / 0",
      "SELECT * FROM fzt a JOIN fzt b ON a.id = b.id WHERE a.n BETWEEN -1 AND 1",
      "BEGIN", "COMMIT", "ROLLBACK",
      "CREATE TABLE IF NOT EXISTS fzu (k TEXT PRIMARY KEY, x BIGINT NOT NULL)",
      "DROP TABLE IF EXISTS fzu",
      "SELECT CASE WHEN id = 1 THEN 'one' ELSE NULL END, COALESCE(v, 'none') FROM fzt",
      "SELECT * FROM fzs LIMIT 1",
      "SELECT current_user, current_database(), version()",
      "SELECT id FROM fzt WHERE v = $1",
      "SHOW transaction_isolation",
      "SELECT relname FROM pg_catalog.pg_class WHERE relkind = 'r'");
  private static final List<String> SQL_VOCABULARY = List.of("SELECT", "FROM", "WHERE", "(", ")", ",", "*",
      "fzt", "fzu", "id", "v", "NULL", "'", "''", "\"", "$1", "$99999", "?", ";", "--", "/*", "*/", "E'\\x", "U&'\\0000'",
      "CAST(", "AS", "BIGINT", "DECIMAL(1000, 500)", "VARCHAR(-1)", "INTERVAL '1' DAY", "TIMESTAMP 'x'",
      "INSERT INTO fzt VALUES", "UPDATE fzt SET", "DELETE FROM fzt", "DROP TABLE fzu", "CREATE TABLE fzv (",
      "BEGIN", "COMMIT", "ROLLBACK", "1e400", "-9223372036854775808", "9223372036854775808", "NaN", "::",
      "JOIN", "UNION ALL", "ORDER BY", "LIMIT", "-1", "GROUP BY", "ARRAY[", "]", "\u0000", "\uD800",
      "generate_series(1, 1000)", "WITH RECURSIVE r AS (", "ESCAPE", "LIKE", "IS NOT DISTINCT FROM");

  @Test
  @Order(5)
  void sqlText() throws Exception {
    Mutations m = new Mutations(seed + 5);
    ThreadLocal<SqlSession> sessions = ThreadLocal.withInitial(() -> ordo.sqlEngine().openSession("fz", "fz"));
    runAll("sql text", inputs, i -> {
      String sql = switch (m.below(5)) {
        case 0, 1 -> m.mutateText(m.pick(SQL_CORPUS), SQL_VOCABULARY, "(", ")");
        case 2 -> {
          StringBuilder b = new StringBuilder();
          int n = 1 + m.below(20);
          for (int k = 0; k < n; k++) {
            b.append(m.pick(SQL_VOCABULARY)).append(' ');
          }
          yield b.toString();
        }
        case 3 -> "SELECT " + "(".repeat(m.chance(0.5) ? 100 + m.below(1_000) : 5_000 + m.below(50_000)) + "1"
            + ")".repeat(m.below(2) == 0 ? 0 : 5_000);
        default -> "SELECT " + m.pick(List.of("'" + "x".repeat(100_000 + m.below(1_000_000)) + "'",
            "9".repeat(10_000), "1" + "+1".repeat(30_000), "ARRAY[" + "1,".repeat(100_000) + "1]",
            "E'" + "\\x".repeat(1_000) + "'", "x'" + "f".repeat(100_001) + "'"));
      };
      return new Input(sql, () -> CompletableFuture.supplyAsync(() -> sqlAnswer(sessions.get(), sql), blocking));
    });
  }

  private static String sqlAnswer(SqlSession session, String sql) {
    try {
      for (SqlStatement st : session.prepare(sql, List.of())) {
        List<Object> params = new ArrayList<>();
        for (int k = 0; k < st.parameterTypes().size(); k++) {
          params.add(k % 2 == 0 ? "1" : null);
        }
        st.execute(params);
      }
      return null;
    } catch (SqlException e) {
      if (e.sqlState() == null || e.sqlState().length() != 5 || e.sqlState().startsWith("XX")
          || e.getMessage() == null || e.getMessage().isBlank()) {
        return "SQLSTATE " + e.sqlState() + ": " + e.getMessage() + " " + stackTop(e);
      }
      return null;
    } catch (Throwable t) {
      return "exception " + t + " " + stackTop(t);
    } finally {
      if (session.txnState() != TxnState.IDLE) {
        try {
          for (SqlStatement st : session.prepare("ROLLBACK", List.of())) {
            st.execute(List.of());
          }
        } catch (SqlException e) {
          // the next input reports it
        }
      }
    }
  }

  static String stackTop(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    StackTraceElement[] st = root.getStackTrace();
    StringBuilder b = new StringBuilder("[root " + root.getClass().getSimpleName() + ": " + abbreviate(String.valueOf(root.getMessage())));
    for (int i = 0; i < Math.min(6, st.length); i++) {
      b.append(" at ").append(st[i]);
    }
    return b.append(']').toString();
  }

  // ---------------------------------------------------------------------------------------------
  // PostgreSQL protocol messages over raw sockets

  private static byte[] pgMessage(char type, byte[] body) {
    ByteBuffer b = ByteBuffer.allocate(5 + body.length);
    b.put((byte) type).putInt(4 + body.length).put(body);
    return b.array();
  }

  private static byte[] cstrings(String... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String p : parts) {
      out.writeBytes(p.getBytes(StandardCharsets.UTF_8));
      out.write(0);
    }
    return out.toByteArray();
  }

  private static byte[] startup(int code, byte[] params) {
    ByteBuffer b = ByteBuffer.allocate(8 + params.length);
    b.putInt(8 + params.length).putInt(code).put(params);
    return b.array();
  }

  private static final byte[] STARTUP = startup(196608, cstrings("user", "fz", "database", "fz", "application_name", "fuzz", ""));

  private static List<byte[]> pgCorpus(String sql) {
    ByteArrayOutputStream parse = new ByteArrayOutputStream();
    parse.writeBytes(cstrings("s1", sql));
    parse.writeBytes(new byte[] {0, 1, 0, 0, 0, 20});
    ByteArrayOutputStream bind = new ByteArrayOutputStream();
    bind.writeBytes(cstrings("p1", "s1"));
    bind.writeBytes(new byte[] {0, 1, 0, 0, 0, 1, 0, 0, 0, 1, '1', 0, 1, 0, 0});
    return List.of(
        pgMessage('Q', cstrings(sql)),
        pgMessage('P', parse.toByteArray()),
        pgMessage('B', bind.toByteArray()),
        pgMessage('D', cstrings("Ss1")),
        pgMessage('D', cstrings("Pp1")),
        pgMessage('E', new byte[] {'p', '1', 0, 0, 0, 0, 0}),
        pgMessage('S', new byte[0]),
        pgMessage('H', new byte[0]),
        pgMessage('C', cstrings("Ss1")),
        pgMessage('d', new byte[] {1, 2, 3}),
        pgMessage('c', new byte[0]),
        pgMessage('f', cstrings("oops")),
        pgMessage('F', new byte[] {0, 0, 0, 1, 0, 0, 0, 0, 0, 0}),
        pgMessage('p', cstrings("secret")),
        pgMessage('X', new byte[0]));
  }

  @Test
  @Order(6)
  void pgProtocol() throws Exception {
    int port = ordo.pgPort().orElseThrow();
    Mutations m = new Mutations(seed + 6);
    runAll("pgwire", inputs, i -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      boolean startupOnly = m.chance(0.3);
      if (startupOnly) {
        byte[] first = m.pick(List.of(STARTUP, startup(80877103, new byte[0]), startup(80877104, new byte[0]),
            startup(80877102, new byte[] {0, 0, 0, 1, 0, 0, 0, 2}), startup(196608, cstrings("user", "", "")),
            startup(131072, cstrings("user", "fz", ""))));
        out.writeBytes(m.mutate(first));
      } else {
        out.writeBytes(STARTUP);
        String sql = m.chance(0.5) ? m.pick(SQL_CORPUS) : m.mutateText(m.pick(SQL_CORPUS), SQL_VOCABULARY, "(", ")");
        List<byte[]> corpus = pgCorpus(sql);
        int n = 1 + m.below(4);
        for (int k = 0; k < n; k++) {
          byte[] msg = m.pick(corpus);
          switch (m.below(4)) {
            case 0 -> msg = m.mutate(msg);
            case 1 -> { // a lying length
              msg = msg.clone();
              int len = m.pick(List.of(0, 3, 4, msg.length - 2, msg.length + 100, 64 << 20, (64 << 20) - 1, Integer.MAX_VALUE, -1));
              ByteBuffer.wrap(msg).putInt(1, len);
            }
            case 2 -> msg = java.util.Arrays.copyOf(msg, m.below(msg.length)); // truncated
            default -> { }
          }
          out.writeBytes(msg);
        }
        if (m.chance(0.2)) {
          out.writeBytes(pgMessage((char) (m.chance(0.5) ? m.below(256) : 'z'), m.bytes(20))); // unknown type
        }
      }
      byte[] bytes = out.toByteArray();
      return new Input("pg " + hex(bytes), () -> CompletableFuture.supplyAsync(() -> pgExchange(port, bytes, startupOnly), blocking));
    });
  }

  /**
   * Sends {@code bytes}, closes the sending side and reads until the server closes: every
   * ErrorResponse must carry a SQLSTATE outside class XX, and the server must close within 60 s.
   */
  private static String pgExchange(int port, byte[] bytes, boolean startupOnly) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(60_000);
      try {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        socket.shutdownOutput();
      } catch (IOException e) {
        // the server closed first: it read enough to refuse the input
      }
      byte[] answer = socket.getInputStream().readAllBytes();
      // Each SSLRequest or GSSENCRequest before the startup packet is answered with one byte (N,
      // S or G); the server takes at most 3 of them. A message of those types has a length whose
      // first byte is 0 instead.
      int skip = 0;
      while (startupOnly && skip < 3 && skip < answer.length
          && (answer[skip] == 'N' || answer[skip] == 'S' || answer[skip] == 'G')
          && (skip + 1 == answer.length || answer[skip + 1] != 0)) {
        skip++;
      }
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(answer, skip, answer.length - skip));
      while (in.available() > 0) {
        int type = in.readUnsignedByte();
        int len = in.readInt();
        if (len < 4 || len - 4 > in.available()) {
          return "garbled backend message (type " + type + ", length " + len + "): " + hex(answer);
        }
        byte[] body = in.readNBytes(len - 4);
        if (type == 'E') {
          String code = errorField(body, 'C');
          if (code == null || code.length() != 5 || code.startsWith("XX")) {
            return "ErrorResponse with SQLSTATE " + code + ": " + errorField(body, 'M');
          }
        }
      }
      return null;
    } catch (SocketTimeoutException e) {
      return "the server did not close within 60 s after the client closed its side";
    } catch (EOFException e) {
      return "truncated backend message";
    } catch (IOException e) {
      return e.getMessage() != null && e.getMessage().contains("Connection reset") ? null : "I/O error: " + e;
    }
  }

  private static String errorField(byte[] body, char field) {
    int i = 0;
    while (i < body.length && body[i] != 0) {
      char t = (char) body[i++];
      int end = i;
      while (end < body.length && body[end] != 0) {
        end++;
      }
      if (t == field) {
        return new String(body, i, end - i, StandardCharsets.UTF_8);
      }
      i = end + 1;
    }
    return null;
  }
}
