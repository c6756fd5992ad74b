package io.ordo.gateway.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Value;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.ordo.gateway.core.ErrorFields;
import io.ordo.gateway.rest.HttpRuleTranscoder;
import io.ordo.gateway.rest.RestServer;
import io.ordo.proto.SqlGrpc;
import io.ordo.proto.SqlRequest;
import io.ordo.proto.SqlResponse;
import io.ordo.proto.SqlResult;
import io.ordo.proto.SqlRow;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Sql service over gRPC (in process) and REST, against {@link ScriptedSqlEngine}. */
class SqlServiceTest {
  private static final int SESSIONS_MAX = 2;

  private ScriptedSqlEngine engine;
  private SqlService service;
  private Server server;
  private ManagedChannel channel;
  private RestServer rest;

  @BeforeEach
  void start() throws Exception {
    engine = new ScriptedSqlEngine();
    service = new SqlService(engine, SESSIONS_MAX);
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(service).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (rest != null) {
      rest.close();
    }
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    service.close();
  }

  private SqlResponse execute(String sql, Value... params) {
    return SqlGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .execute(SqlRequest.newBuilder().setSql(sql).addAllParams(List.of(params)).build());
  }

  private StatusRuntimeException executeFails(String sql, Value... params) {
    try {
      execute(sql, params);
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("'" + sql + "' did not fail");
  }

  @Test
  void executeReturnsOneResultPerStatementInOneSession() {
    SqlResponse response = execute("INSERT a; INSERT b;\nSELECT *");
    assertThat(response.getResultsList())
        .extracting(SqlResult::getCommandTag)
        .containsExactly("INSERT 0 1", "INSERT 0 1", "SELECT 2");
    SqlResult select = response.getResults(2);
    assertThat(select.getColumnsList()).singleElement().satisfies(c -> {
      assertThat(c.getName()).isEqualTo("v");
      assertThat(c.getType()).isEqualTo("TEXT");
      assertThat(c.getTypeOid()).isEqualTo(25);
      assertThat(c.getNullable()).isTrue();
    });
    assertThat(select.getRowsList())
        .extracting(row -> row.getValues(0).getStringValue())
        .containsExactly("a", "b");
    assertThat(response.getTxnState()).isEqualTo("I");
    assertThat(engine.opened.get()).isEqualTo(1);
    assertThat(engine.closed.get()).isEqualTo(1);
  }

  @Test
  void aFailingStatementEndsTheRequestWithItsSqlStateAndPositionAfterEarlierOnesTookEffect() {
    StatusRuntimeException e = executeFails("INSERT a;  FAIL 42P01 3; INSERT b");
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).isEqualTo("ERROR 42P01: scripted failure");
    Metadata trailers = e.getTrailers();
    assertThat(trailers.get(ErrorFields.SQLSTATE)).isEqualTo("42P01");
    // "FAIL" starts at offset 11 of the request; the engine's position 3 is relative to it.
    assertThat(trailers.get(ErrorFields.POSITION)).isEqualTo("14");
    assertThat(engine.table).containsExactly("a");
  }

  @Test
  void aSyntaxErrorAnywhereRunsNothing() {
    StatusRuntimeException e = executeFails("INSERT a; BOGUS x");
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getTrailers().get(ErrorFields.SQLSTATE)).isEqualTo("42601");
    assertThat(e.getTrailers().get(ErrorFields.POSITION)).isEqualTo("11");
    assertThat(engine.table).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({
    "40001, ABORTED",
    "54000, RESOURCE_EXHAUSTED",
    "53300, RESOURCE_EXHAUSTED",
    "57014, CANCELLED",
    "57P03, UNAVAILABLE",
    "08P01, INVALID_ARGUMENT",
    "08006, UNAVAILABLE",
    "72000, OUT_OF_RANGE",
    "XX000, INTERNAL",
    "22P02, INVALID_ARGUMENT",
    "22012, INVALID_ARGUMENT",
    "23505, INVALID_ARGUMENT",
    "0A000, INVALID_ARGUMENT",
    "42703, INVALID_ARGUMENT",
    "25P02, INVALID_ARGUMENT"
  })
  void sqlStatesMapToStatusCodes(String sqlState, Status.Code code) {
    StatusRuntimeException e = executeFails("FAIL " + sqlState + " 0");
    assertThat(e.getStatus().getCode()).isEqualTo(code);
    assertThat(e.getTrailers().get(ErrorFields.SQLSTATE)).isEqualTo(sqlState);
    assertThat(e.getTrailers().containsKey(ErrorFields.POSITION)).isFalse();
  }

  @Test
  void aBlockLeftOpenIsRolledBackAndReported() {
    StatusRuntimeException e = executeFails("BEGIN; INSERT a");
    assertThat(e.getTrailers().get(ErrorFields.SQLSTATE)).isEqualTo("25001");
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(engine.table).isEmpty();

    assertThat(execute("BEGIN; INSERT a; INSERT b; COMMIT").getResultsCount()).isEqualTo(4);
    assertThat(engine.table).containsExactly("a", "b");
  }

  @Test
  void parametersAreConvertedFromJsonValues() {
    SqlResponse response =
        execute(
            "ECHO $1 $2 $3 $4 $5",
            Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build(),
            Value.newBuilder().setBoolValue(true).build(),
            Value.newBuilder().setNumberValue(42).build(),
            Value.newBuilder().setNumberValue(1.25).build(),
            Value.newBuilder().setStringValue("2024-01-31").build());
    SqlResult result = response.getResults(0);
    assertThat(result.getColumnsList())
        .extracting(c -> c.getType())
        .containsExactly("TEXT", "BOOLEAN", "BIGINT", "DECIMAL", "TEXT");
    SqlRow row = result.getRows(0);
    assertThat(row.getValues(0).hasNullValue()).isTrue();
    assertThat(row.getValues(1).getBoolValue()).isTrue();
    assertThat(row.getValues(2).getStringValue()).isEqualTo("42");
    assertThat(row.getValues(3).getStringValue()).isEqualTo("1.25");
    assertThat(row.getValues(4).getStringValue()).isEqualTo("2024-01-31");
  }

  @Test
  void missingOrStructuredParametersAreRejected() {
    StatusRuntimeException missing =
        executeFails("ECHO $1 $2", Value.newBuilder().setBoolValue(true).build());
    assertThat(missing.getTrailers().get(ErrorFields.SQLSTATE)).isEqualTo("42P02");
    StatusRuntimeException list =
        executeFails(
            "ECHO $1",
            Value.newBuilder().setListValue(ListValue.getDefaultInstance()).build());
    assertThat(list.getTrailers().get(ErrorFields.SQLSTATE)).isEqualTo("22023");
    assertThat(list.getStatus().getDescription()).contains("$1", "array");
  }

  @Test
  void requestsWithUnknownFieldsAreRefused() {
    SqlRequest withUnknown =
        SqlRequest.newBuilder()
            .setSql("INSERT a")
            .setUnknownFields(
                com.google.protobuf.UnknownFieldSet.newBuilder()
                    .addField(99, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(1).build())
                    .build())
            .build();
    StatusRuntimeException e =
        assertThrowsStatus(() -> SqlGrpc.newBlockingStub(channel).execute(withUnknown));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getTrailers().get(ErrorFields.SQLSTATE)).isEqualTo("08P01");
    assertThat(engine.table).isEmpty();
  }

  @Test
  void valuesAreEncodedJsonFriendly() {
    SqlRow row = execute("TYPES").getResults(0).getRows(0);
    assertThat(row.getValues(0).getBoolValue()).isTrue();
    assertThat(row.getValues(1).getNumberValue()).isEqualTo(7);
    assertThat(row.getValues(2).getNumberValue()).isEqualTo(42);
    assertThat(row.getValues(3).getStringValue()).isEqualTo("1152921504606846977");
    assertThat(row.getValues(4).getNumberValue()).isEqualTo(1.5);
    assertThat(row.getValues(5).getStringValue()).isEqualTo("12345678901234567890.125");
    assertThat(row.getValues(6).getStringValue()).isEqualTo("héllo");
    assertThat(row.getValues(7).getStringValue()).isEqualTo("AAEC/w==");
    assertThat(row.getValues(8).getStringValue()).isEqualTo("2024-01-31");
    assertThat(row.getValues(9).getStringValue()).isEqualTo("2024-01-31T12:00:00");
    assertThat(row.getValues(10).getStringValue()).isEqualTo("2024-01-31T12:00:00.5Z");
    Value json = row.getValues(11);
    assertThat(json.getStructValue().getFieldsOrThrow("a").getListValue().getValuesList())
        .containsExactly(
            Value.newBuilder().setNumberValue(1).build(),
            Value.newBuilder().setBoolValue(true).build(),
            Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build());
    assertThat(row.getValues(12).hasNullValue()).isTrue();
  }

  /** A Session call whose responses land in a queue. */
  private final class SessionClient {
    final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    ClientCallStreamObserver<SqlRequest> requests;

    SessionClient() {
      SqlGrpc.newStub(channel)
          .session(
              new ClientResponseObserver<SqlRequest, SqlResponse>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<SqlRequest> stream) {
                  requests = stream;
                }

                @Override
                public void onNext(SqlResponse value) {
                  received.add(value);
                }

                @Override
                public void onError(Throwable t) {
                  received.add(t);
                }

                @Override
                public void onCompleted() {
                  received.add("completed");
                }
              });
    }

    SqlResponse send(String sql) throws InterruptedException {
      requests.onNext(SqlRequest.newBuilder().setSql(sql).build());
      Object next = received.poll(10, TimeUnit.SECONDS);
      assertThat(next).isInstanceOf(SqlResponse.class);
      return (SqlResponse) next;
    }
  }

  @Test
  void aSessionKeepsItsTransactionBlockAcrossRequestsAndAnswersErrorsInTheStream()
      throws Exception {
    SessionClient client = new SessionClient();
    assertThat(client.send("BEGIN").getTxnState()).isEqualTo("T");
    assertThat(client.send("INSERT a").getTxnState()).isEqualTo("T");
    SqlResponse failed = client.send("INSERT b; FAIL 23505 2");
    assertThat(failed.getResultsList()).extracting(SqlResult::getCommandTag).containsExactly("INSERT 0 1");
    assertThat(failed.getError().getSqlstate()).isEqualTo("23505");
    assertThat(failed.getError().getMessage()).isEqualTo("scripted failure");
    assertThat(failed.getError().getPosition()).isEqualTo(12);
    assertThat(failed.getTxnState()).isEqualTo("E");
    assertThat(client.send("INSERT c").getError().getSqlstate()).isEqualTo("25P02");
    assertThat(client.send("ROLLBACK").getTxnState()).isEqualTo("I");
    assertThat(engine.table).isEmpty();

    client.send("BEGIN");
    client.send("INSERT d");
    assertThat(engine.table).isEmpty();
    assertThat(client.send("COMMIT").getResults(0).getCommandTag()).isEqualTo("COMMIT");
    assertThat(engine.table).containsExactly("d");

    client.requests.onCompleted();
    assertThat(client.received.poll(10, TimeUnit.SECONDS)).isEqualTo("completed");
    assertThat(engine.opened.get()).isEqualTo(1);
    assertThat(engine.closed.get()).isEqualTo(1);
  }

  @Test
  void aDeadlineCancelsTheRunningStatement() {
    StatusRuntimeException e =
        assertThrowsStatus(
            () ->
                SqlGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(300, TimeUnit.MILLISECONDS)
                    .execute(SqlRequest.newBuilder().setSql("SLEEP").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    await(() -> engine.cancels.get() >= 1 && engine.closed.get() == 1);
  }

  @Test
  void cancellingASessionCallCancelsTheStatementAndClosesTheSession() throws Exception {
    SessionClient client = new SessionClient();
    client.send("BEGIN");
    client.send("INSERT a");
    client.requests.onNext(SqlRequest.newBuilder().setSql("SLEEP").build());
    assertThat(engine.sleeping.await(10, TimeUnit.SECONDS)).isTrue();
    client.requests.cancel("the user pressed Ctrl-C", null);
    await(() -> engine.cancels.get() >= 1 && engine.closed.get() == 1);
    assertThat(engine.table).isEmpty();
    assertThat(service.openSessions()).isZero();
  }

  @Test
  void sessionsBeyondTheLimitAreRefused() throws Exception {
    SessionClient first = new SessionClient();
    SessionClient second = new SessionClient();
    first.send("BEGIN");
    second.send("BEGIN");
    StatusRuntimeException e = executeFails("SELECT *");
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription()).contains("2 SQL sessions");

    first.requests.onCompleted();
    assertThat(first.received.poll(10, TimeUnit.SECONDS)).isEqualTo("completed");
    await(() -> service.openSessions() == 1);
    assertThat(execute("SELECT *").getResults(0).getCommandTag()).isEqualTo("SELECT 0");
  }

  @Test
  void restPostOfSqlReturnsJsonResultsAndErrorsWithSqlStateAndPosition() throws Exception {
    rest =
        RestServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            HttpRuleTranscoder.forServices(List.of(SqlGrpc.getServiceDescriptor())),
            channel,
            1 << 20,
            1,
            16);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    HttpResponse<String> ok = post(http, "{\"sql\":\"INSERT a; SELECT *\"}");
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body())
        .isEqualTo(
            "{\"results\":[{\"commandTag\":\"INSERT 0 1\"},{\"commandTag\":\"SELECT 1\","
                + "\"columns\":[{\"name\":\"v\",\"type\":\"TEXT\",\"typeOid\":25,\"nullable\":true}],"
                + "\"rows\":[{\"values\":[\"a\"]}]}],\"txnState\":\"I\"}");

    HttpResponse<String> params =
        post(http, "{\"sql\":\"ECHO $1 $2\",\"params\":[12345678901,\"x\"]}");
    assertThat(params.statusCode()).isEqualTo(200);
    assertThat(params.body()).contains("\"rows\":[{\"values\":[\"12345678901\",\"x\"]}]");

    HttpResponse<String> bad = post(http, "{\"sql\":\"SELECT *; FAIL 42703 8\"}");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body())
        .isEqualTo(
            "{\"code\":\"INVALID_ARGUMENT\",\"message\":\"ERROR 42703: scripted failure\","
                + "\"sqlstate\":\"42703\",\"position\":18}");

    HttpResponse<String> conflict = post(http, "{\"sql\":\"FAIL 40001 0\"}");
    assertThat(conflict.statusCode()).isEqualTo(409);
    assertThat(conflict.body()).contains("\"sqlstate\":\"40001\"").doesNotContain("position");
  }

  private HttpResponse<String> post(HttpClient http, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rest.port() + "/v1/sql"))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json")
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static StatusRuntimeException assertThrowsStatus(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("the call did not fail");
  }

  private static void await(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - deadline).as("condition within 10 s").isNegative();
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
