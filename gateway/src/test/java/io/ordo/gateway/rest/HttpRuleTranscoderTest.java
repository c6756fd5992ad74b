package io.ordo.gateway.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.grpc.Status;
import io.ordo.proto.DeleteRequest;
import io.ordo.proto.GetRequest;
import io.ordo.proto.HealthRequest;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.PutRequest;
import io.ordo.proto.TxnRequest;
import io.ordo.proto.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Routes derived from the google.api.http options of ordo.v1.Ordo, and request building. */
class HttpRuleTranscoderTest {
  private static final HttpRuleTranscoder TRANSCODER =
      HttpRuleTranscoder.forService(OrdoGrpc.getServiceDescriptor());

  private static HttpRuleTranscoder.Found found(String verb, String path) {
    HttpRuleTranscoder.Match match = TRANSCODER.match(verb, path);
    assertThat(match).isInstanceOf(HttpRuleTranscoder.Found.class);
    return (HttpRuleTranscoder.Found) match;
  }

  @Test
  void derivesAllFiveRoutesFromTheDescriptorInDeclarationOrder() {
    assertThat(TRANSCODER.routes())
        .extracting(
            r -> r.httpMethod() + " " + r.path().template() + " body=" + r.body() + " -> "
                + r.method().getFullMethodName())
        .containsExactly(
            "POST /v1/txn body=* -> ordo.v1.Ordo/Txn",
            "GET /v1/kv/{key} body= -> ordo.v1.Ordo/Get",
            "PUT /v1/kv/{key} body=* -> ordo.v1.Ordo/Put",
            "DELETE /v1/kv/{key} body= -> ordo.v1.Ordo/Delete",
            "GET /v1/health body= -> ordo.v1.Ordo/Health");
    assertThat(TRANSCODER.routes().get(0).requestPrototype())
        .isEqualTo(TxnRequest.getDefaultInstance());
    assertThat(TRANSCODER.routes().get(4).requestPrototype())
        .isEqualTo(HealthRequest.getDefaultInstance());
  }

  @Test
  void bindsPathVariablesPercentDecodedAsUtf8() {
    HttpRuleTranscoder.Found get = found("GET", "/v1/kv/user%2F42%20caf%C3%A9+x");
    assertThat(get.route().method().getFullMethodName()).isEqualTo("ordo.v1.Ordo/Get");
    // %2F is a slash inside the key, %20 a space, and '+' stays a plus in a path.
    assertThat(get.variables()).isEqualTo(Map.of("key", "user/42 café+x"));
    Message request = TRANSCODER.buildRequest(get.route(), get.variables(), "");
    assertThat(request).isEqualTo(GetRequest.newBuilder().setKey("user/42 café+x").build());

    HttpRuleTranscoder.Found delete = found("DELETE", "/v1/kv/a");
    assertThat(TRANSCODER.buildRequest(delete.route(), delete.variables(), ""))
        .isEqualTo(DeleteRequest.newBuilder().setKey("a").build());
  }

  @Test
  void bindsAnEmptySegmentSoTheServiceCanRejectTheEmptyKey() {
    HttpRuleTranscoder.Found get = found("GET", "/v1/kv/");
    assertThat(get.variables()).isEqualTo(Map.of("key", ""));
  }

  @Test
  void mergesTheJsonBodyWithThePathVariable() {
    HttpRuleTranscoder.Found put = found("PUT", "/v1/kv/k1");
    Message request =
        TRANSCODER.buildRequest(put.route(), put.variables(), "{\"value\":{\"bytes\":\"aGk=\"}}");
    assertThat(request)
        .isEqualTo(
            PutRequest.newBuilder()
                .setKey("k1")
                .setValue(Value.newBuilder().setBytes(ByteString.copyFromUtf8("hi")))
                .build());
    // The same key in the body is fine; a different one is a contradiction.
    assertThat(TRANSCODER.buildRequest(put.route(), put.variables(), "{\"key\":\"k1\"}"))
        .isEqualTo(PutRequest.newBuilder().setKey("k1").build());
    assertThatThrownBy(
            () -> TRANSCODER.buildRequest(put.route(), put.variables(), "{\"key\":\"other\"}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("field 'key' is set both in the path ('k1') and in the body ('other')");
  }

  @Test
  void parsesATxnBodyAndTreatsABlankBodyAsNoFields() {
    HttpRuleTranscoder.Found txn = found("POST", "/v1/txn");
    Message request =
        TRANSCODER.buildRequest(
            txn.route(),
            txn.variables(),
            "{\"id\":\"t1\",\"ops\":[{\"key\":\"a\",\"get\":{}},"
                + "{\"key\":\"b\",\"increment\":{\"delta\":\"5\",\"min\":\"0\"}}]}");
    TxnRequest parsed = (TxnRequest) request;
    assertThat(parsed.getId()).isEqualTo("t1");
    assertThat(parsed.getOpsList()).hasSize(2);
    assertThat(parsed.getOps(1).getIncrement().getDelta()).isEqualTo(5);
    assertThat(parsed.getOps(1).getIncrement().hasMin()).isTrue();
    assertThat(TRANSCODER.buildRequest(txn.route(), txn.variables(), "  "))
        .isEqualTo(TxnRequest.getDefaultInstance());
  }

  @Test
  void rejectsUnknownJsonFieldsAndMalformedJsonWithTheParsersReason() {
    HttpRuleTranscoder.Found txn = found("POST", "/v1/txn");
    assertThatThrownBy(
            () -> TRANSCODER.buildRequest(txn.route(), txn.variables(), "{\"opz\":[]}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("malformed JSON body: ")
        .hasMessageContaining("opz");
    assertThatThrownBy(() -> TRANSCODER.buildRequest(txn.route(), txn.variables(), "{\"ops\":["))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("malformed JSON body: ");
  }

  @Test
  void unknownPathsAreNotFoundAndOtherVerbsAreNotAllowed() {
    assertThat(TRANSCODER.match("GET", "/v1/nope")).isInstanceOf(HttpRuleTranscoder.NotFound.class);
    assertThat(TRANSCODER.match("GET", "/v1/kv/a/b")).isInstanceOf(HttpRuleTranscoder.NotFound.class);
    assertThat(TRANSCODER.match("GET", "/")).isInstanceOf(HttpRuleTranscoder.NotFound.class);
    assertThat(TRANSCODER.match("PATCH", "/v1/kv/a"))
        .isEqualTo(new HttpRuleTranscoder.MethodNotAllowed(List.of("GET", "PUT", "DELETE")));
    assertThat(TRANSCODER.match("GET", "/v1/txn"))
        .isEqualTo(new HttpRuleTranscoder.MethodNotAllowed(List.of("POST")));
    assertThat(TRANSCODER.match("POST", "/v1/health"))
        .isEqualTo(new HttpRuleTranscoder.MethodNotAllowed(List.of("GET")));
  }

  @Test
  void rejectsMalformedPercentEscapesInAMatchedPath() {
    assertThatThrownBy(() -> TRANSCODER.match("GET", "/v1/kv/a%2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("path variable 'key' has a malformed percent-escape at index 1");
    assertThatThrownBy(() -> TRANSCODER.match("GET", "/v1/kv/%C3%28"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("path variable 'key' is not valid UTF-8 after percent-decoding");
  }

  @Test
  void pathTemplatesOfUnsupportedFormsAreRejected() {
    assertThat(PathTemplate.parse("/v1/kv/{key=*}").variableNames()).containsExactly("key");
    assertThatThrownBy(() -> PathTemplate.parse("/v1/{name=**}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unsupported variable");
    assertThatThrownBy(() -> PathTemplate.parse("/v1/kv/{a.b}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unsupported variable");
    assertThatThrownBy(() -> PathTemplate.parse("/v1/kv:get"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unsupported segment");
    assertThatThrownBy(() -> PathTemplate.parse("v1"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void mapsGrpcStatusesToHttpStatuses() {
    assertThat(HttpStatuses.of(Status.Code.OK)).isEqualTo(200);
    assertThat(HttpStatuses.of(Status.Code.INVALID_ARGUMENT)).isEqualTo(400);
    assertThat(HttpStatuses.of(Status.Code.OUT_OF_RANGE)).isEqualTo(400);
    assertThat(HttpStatuses.of(Status.Code.NOT_FOUND)).isEqualTo(404);
    assertThat(HttpStatuses.of(Status.Code.ALREADY_EXISTS)).isEqualTo(409);
    assertThat(HttpStatuses.of(Status.Code.RESOURCE_EXHAUSTED)).isEqualTo(429);
    assertThat(HttpStatuses.of(Status.Code.DEADLINE_EXCEEDED)).isEqualTo(504);
    assertThat(HttpStatuses.of(Status.Code.UNAVAILABLE)).isEqualTo(503);
    assertThat(HttpStatuses.of(Status.Code.INTERNAL)).isEqualTo(500);
    assertThat(HttpStatuses.of(Status.Code.ABORTED)).isEqualTo(409);
    assertThat(HttpStatuses.of(Status.Code.CANCELLED)).isEqualTo(499);
    assertThat(HttpStatuses.of(Status.Code.FAILED_PRECONDITION)).isEqualTo(400);
    assertThat(HttpStatuses.of(Status.Code.UNIMPLEMENTED)).isEqualTo(500);
  }

  @Test
  void parsesAPositiveBoundedTimeoutOnce() {
    assertThat(RestServer.parseTimeoutMs(List.of())).isNull();
    assertThat(RestServer.parseTimeoutMs(List.of("250"))).isEqualTo(250L);
    assertThatThrownBy(() -> RestServer.parseTimeoutMs(List.of("0")))
        .hasMessage(
            "query parameter timeoutMs must be an integer number of milliseconds in [1, 600000],"
                + " got '0'");
    assertThatThrownBy(() -> RestServer.parseTimeoutMs(List.of("abc")))
        .hasMessageContaining("got 'abc'");
    assertThatThrownBy(() -> RestServer.parseTimeoutMs(List.of("1", "2")))
        .hasMessage("query parameter timeoutMs is given twice");
  }

  @Test
  void theOrdoRoutesTakeNoQueryParametersButTimeoutMs() {
    // Get's only field is bound by the path, Txn's come from the body: nothing is left for the
    // query, so any parameter is an error that names it.
    HttpRuleTranscoder.Found get = found("GET", "/v1/kv/a");
    assertThatThrownBy(
            () ->
                TRANSCODER.buildRequest(
                    get.route(), get.variables(), QueryParameters.parse("deadline=5"), ""))
        .hasMessage("unknown query parameter 'deadline' (no such field in ordo.v1.GetRequest)");
    assertThatThrownBy(
            () ->
                TRANSCODER.buildRequest(
                    get.route(), get.variables(), QueryParameters.parse("key=b"), ""))
        .hasMessage("query parameter 'key' names field 'key', which the path binds");
    HttpRuleTranscoder.Found txn = found("POST", "/v1/txn");
    assertThatThrownBy(
            () ->
                TRANSCODER.buildRequest(
                    txn.route(), txn.variables(), QueryParameters.parse("id=t1"), "{}"))
        .hasMessage("unknown query parameter 'id': POST /v1/txn takes every field from the body");
  }
}
