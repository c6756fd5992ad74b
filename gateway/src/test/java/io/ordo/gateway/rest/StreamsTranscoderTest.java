package io.ordo.gateway.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import io.grpc.protobuf.ProtoUtils;
import io.ordo.proto.ListStreamsRequest;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.ReadFrom;
import io.ordo.proto.ReadShardRequest;
import io.ordo.proto.SplitShardRequest;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.StreamsProto;
import io.ordo.proto.SubscriptionsGrpc;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Routes of several services (the real descriptors of ordo.v1.Ordo, Streams and Subscriptions),
 * typed path variables and query parameters, and the rules that are rejected at build time.
 */
class StreamsTranscoderTest {
  private static final HttpRuleTranscoder TRANSCODER =
      HttpRuleTranscoder.forServices(
          List.of(
              OrdoGrpc.getServiceDescriptor(),
              StreamsGrpc.getServiceDescriptor(),
              SubscriptionsGrpc.getServiceDescriptor()));

  private static HttpRuleTranscoder.Found found(String verb, String path) {
    HttpRuleTranscoder.Match match = TRANSCODER.match(verb, path);
    assertThat(match).as(verb + " " + path).isInstanceOf(HttpRuleTranscoder.Found.class);
    return (HttpRuleTranscoder.Found) match;
  }

  private static Message build(String verb, String path, String query, String body) {
    HttpRuleTranscoder.Found found = found(verb, path);
    return TRANSCODER.buildRequest(
        found.route(), found.variables(), QueryParameters.parse(query), body);
  }

  private static Message get(String path, String query) {
    return build("GET", path, query, "");
  }

  @Test
  void routesEveryHttpRuleOfTheThreeServicesAndLeavesTheBidiMethodUnrouted() {
    List<HttpRuleTranscoder.Route> routes = TRANSCODER.routes();
    assertThat(routes).hasSize(5 + 12 + 7);
    assertThat(routes)
        .extracting(r -> r.method().getFullMethodName())
        .doesNotContain("ordo.v1.Subscriptions/StreamingFetch")
        .startsWith("ordo.v1.Ordo/Txn")
        .endsWith("ordo.v1.Subscriptions/Fetch", "ordo.v1.Subscriptions/Ack");
    assertThat(routes)
        .filteredOn(HttpRuleTranscoder.Route::serverStreaming)
        .extracting(r -> r.httpMethod() + " " + r.path().template())
        .containsExactly(
            "GET /v1/streams/{stream}/shards/{shard_id}/records",
            "GET /v1/streams/{stream}/records",
            "GET /v1/subscriptions/{subscription_id}/fetch");
    assertThat(TRANSCODER.match("PUT", "/v1/streams/s"))
        .isEqualTo(new HttpRuleTranscoder.MethodNotAllowed(List.of("GET", "DELETE")));
  }

  @Test
  void parsesTypedPathVariablesAsProto3Json() {
    assertThat(get("/v1/streams/s%2F1/shards/42/records", ""))
        .isEqualTo(ReadShardRequest.newBuilder().setStream("s/1").setShardId(42).build());
    assertThat(get("/v1/streams/s/shards/-3/records", ""))
        .isEqualTo(ReadShardRequest.newBuilder().setStream("s").setShardId(-3).build());
  }

  @Test
  void rejectsBadPathVariableValuesWithTheFieldAndType() {
    assertThatThrownBy(() -> get("/v1/streams/s/shards/x1/records", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("path variable 'shard_id' must be an int64, got 'x1'");
    assertThatThrownBy(() -> get("/v1/streams/s/shards/99999999999999999999/records", ""))
        .hasMessage("path variable 'shard_id' must be an int64, got '99999999999999999999'");
    assertThatThrownBy(() -> get("/v1/streams/s/shards//records", ""))
        .hasMessage("path variable 'shard_id' must be an int64, got ''");
  }

  @Test
  void aTypedPathVariableMustAgreeWithTheBody() {
    assertThat(build("POST", "/v1/streams/s/shards/3/split", "", "{\"shardId\":\"3\",\"atHash\":\"ab\"}"))
        .isEqualTo(
            SplitShardRequest.newBuilder().setStream("s").setShardId(3).setAtHash("ab").build());
    assertThatThrownBy(
            () -> build("POST", "/v1/streams/s/shards/3/split", "", "{\"shardId\":\"4\"}"))
        .hasMessage("field 'shardId' is set both in the path ('3') and in the body ('4')");
  }

  @Test
  void mapsQueryParametersOntoFieldsByProtoOrJsonNameNestedAndOneofAware() {
    assertThat(get("/v1/streams", "prefix=a%20b")).isEqualTo(
        ListStreamsRequest.newBuilder().setPrefix("a b").build());
    assertThat(
            get(
                "/v1/streams/s/shards/7/records",
                "follow=true&max_records=10&from.special=LATEST&until_offset=0"))
        .isEqualTo(
            ReadShardRequest.newBuilder()
                .setStream("s")
                .setShardId(7)
                .setFollow(true)
                .setMaxRecords(10)
                .setFrom(ReadFrom.newBuilder().setSpecial(ReadFrom.Special.LATEST))
                .setUntilOffset(0) // explicit presence: set, though 0
                .build());
    ReadShardRequest camel =
        (ReadShardRequest)
            get("/v1/streams/s/shards/7/records", "maxRecords=3&from.timestampMs=1700000000000");
    assertThat(camel.getMaxRecords()).isEqualTo(3);
    assertThat(camel.getFrom().getTimestampMs()).isEqualTo(1_700_000_000_000L);
    assertThat(camel.hasUntilOffset()).isFalse();
    // Enums also by number, as proto3 JSON allows.
    assertThat(((ReadShardRequest) get("/v1/streams/s/shards/7/records", "from.special=1")).getFrom().getSpecial())
        .isEqualTo(ReadFrom.Special.EARLIEST);
  }

  @Test
  void rejectsBadQueryParametersNamingThem() {
    String records = "/v1/streams/s/shards/7/records";
    assertThatThrownBy(() -> get("/v1/streams", "prefx=a"))
        .hasMessage("unknown query parameter 'prefx' (no such field in ordo.v1.ListStreamsRequest)");
    assertThatThrownBy(() -> get(records, "from.nope=1"))
        .hasMessage("unknown query parameter 'from.nope' (no such field in ordo.v1.ReadShardRequest)");
    assertThatThrownBy(() -> get(records, "follow.x=1"))
        .hasMessage("unknown query parameter 'follow.x' (ordo.v1.ReadShardRequest.follow is not a message)");
    assertThatThrownBy(() -> get(records, "max_records=ten"))
        .hasMessage("query parameter 'max_records' must be an int64, got 'ten'");
    assertThatThrownBy(() -> get(records, "follow=yes"))
        .hasMessage("query parameter 'follow' must be true or false, got 'yes'");
    assertThatThrownBy(() -> get(records, "from.special=NEWEST"))
        .hasMessage(
            "query parameter 'from.special' must be one of SPECIAL_UNSPECIFIED, EARLIEST, LATEST"
                + " (ordo.v1.ReadFrom.Special), got 'NEWEST'");
    assertThatThrownBy(() -> get(records, "from.offset=5&from.special=LATEST"))
        .hasMessage(
            "query parameters 'from.offset' and 'from.special' set two fields of the oneof"
                + " ordo.v1.ReadFrom.at");
    assertThatThrownBy(() -> get(records, "max_records=1&maxRecords=2"))
        .hasMessage(
            "query parameter 'max_records' / 'maxRecords' is given 2 times, but"
                + " ordo.v1.ReadShardRequest.max_records takes one value");
    assertThatThrownBy(() -> get(records, "follow=true&follow=false"))
        .hasMessageContaining("'follow' is given 2 times");
    assertThatThrownBy(() -> get(records, "from=5"))
        .hasMessage(
            "query parameter 'from' names the message field ordo.v1.ReadShardRequest.from;"
                + " set its fields with 'from.<field>'");
    assertThatThrownBy(() -> get(records, "shard_id=8"))
        .hasMessage("query parameter 'shard_id' names field 'shard_id', which the path binds");
    assertThatThrownBy(() -> build("POST", "/v1/streams", "name=x", "{}"))
        .hasMessage("unknown query parameter 'name': POST /v1/streams takes every field from the body");
  }

  @Test
  void decodesQueryStringsAsFormsKeepingOrderAndRepetition() {
    QueryParameters query = QueryParameters.parse("b=1+2&a=%2B&b=3&flag&&c=caf%C3%A9");
    assertThat(query.asMap())
        .containsExactly(
            Map.entry("b", List.of("1 2", "3")),
            Map.entry("a", List.of("+")),
            Map.entry("flag", List.of("")),
            Map.entry("c", List.of("café")));
    assertThat(query.without("b").asMap().keySet()).containsExactly("a", "flag", "c");
    assertThatThrownBy(() -> QueryParameters.parse("a=%G1"))
        .hasMessage("query parameter 'a' has a malformed percent-escape at index 0");
    assertThatThrownBy(() -> QueryParameters.parse("a=1&".repeat(QueryParameters.PAIRS_MAX + 1)))
        .hasMessage("the query has more than 1024 parameters");
  }

  @Test
  void negotiatesTheStreamFormatFromAccept() {
    assertThat(StreamFormat.negotiate(null)).isEqualTo(StreamFormat.NDJSON);
    assertThat(StreamFormat.negotiate(List.of("*/*"))).isEqualTo(StreamFormat.NDJSON);
    assertThat(StreamFormat.negotiate(List.of("text/event-stream"))).isEqualTo(StreamFormat.SSE);
    assertThat(StreamFormat.negotiate(List.of("application/json, Text/Event-Stream;q=0.5")))
        .isEqualTo(StreamFormat.SSE);
    assertThat(StreamFormat.negotiate(List.of("application/x-ndjson, text/event-stream;q=0.9")))
        .isEqualTo(StreamFormat.NDJSON);
    assertThat(StreamFormat.negotiate(List.of("text/event-stream;q=0"))).isEqualTo(StreamFormat.NDJSON);
    assertThat(new String(StreamFormat.SSE.message("{}"))).isEqualTo("data: {}\n\n");
    assertThat(new String(StreamFormat.SSE.error("{}"))).isEqualTo("event: error\ndata: {}\n\n");
    assertThat(new String(StreamFormat.NDJSON.message("{}"))).isEqualTo("{}\n");
  }

  // ---- rules that only a synthetic service can express ----

  /**
   * A service {@code test.<service>} with one method {@code Call(test.Req) returns (test.Req)}
   * under {@code rule}; test.Req has repeated int64 ids, repeated ordo.v1.ReadFrom.Special
   * specials, a ReadFrom from, and (when {@code withTimeoutField}) an int64 timeoutMs.
   */
  private static ServiceDescriptor synthetic(
      String service, HttpRule rule, MethodDescriptor.MethodType type, boolean withTimeoutField)
      throws Descriptors.DescriptorValidationException {
    DescriptorProto.Builder req =
        DescriptorProto.newBuilder()
            .setName("Req")
            .addField(field("ids", 1, FieldDescriptorProto.Type.TYPE_INT64, null, true))
            .addField(
                field("specials", 2, FieldDescriptorProto.Type.TYPE_ENUM, ".ordo.v1.ReadFrom.Special", true))
            .addField(field("from", 3, FieldDescriptorProto.Type.TYPE_MESSAGE, ".ordo.v1.ReadFrom", false))
            .addField(field("name", 4, FieldDescriptorProto.Type.TYPE_STRING, null, false));
    if (withTimeoutField) {
      req.addField(field("timeout_ms", 5, FieldDescriptorProto.Type.TYPE_INT64, null, false));
    }
    FileDescriptorProto file =
        FileDescriptorProto.newBuilder()
            .setName("test/" + service + ".proto")
            .setPackage("test")
            .setSyntax("proto3")
            .addDependency(StreamsProto.getDescriptor().getName())
            .addDependency(AnnotationsProto.getDescriptor().getName())
            .addMessageType(req)
            .addService(
                ServiceDescriptorProto.newBuilder()
                    .setName(service)
                    .addMethod(
                        MethodDescriptorProto.newBuilder()
                            .setName("Call")
                            .setInputType(".test.Req")
                            .setOutputType(".test.Req")
                            .setClientStreaming(
                                type == MethodDescriptor.MethodType.CLIENT_STREAMING
                                    || type == MethodDescriptor.MethodType.BIDI_STREAMING)
                            .setServerStreaming(
                                type == MethodDescriptor.MethodType.SERVER_STREAMING
                                    || type == MethodDescriptor.MethodType.BIDI_STREAMING)
                            .setOptions(
                                MethodOptions.newBuilder().setExtension(AnnotationsProto.http, rule))))
            .build();
    Descriptors.FileDescriptor fd =
        Descriptors.FileDescriptor.buildFrom(
            file,
            new Descriptors.FileDescriptor[] {StreamsProto.getDescriptor(), AnnotationsProto.getDescriptor()});
    Descriptors.ServiceDescriptor protoService = fd.findServiceByName(service);
    Message prototype = DynamicMessage.getDefaultInstance(fd.findMessageTypeByName("Req"));
    MethodDescriptor<Message, Message> method =
        MethodDescriptor.<Message, Message>newBuilder()
            .setType(type)
            .setFullMethodName(MethodDescriptor.generateFullMethodName("test." + service, "Call"))
            .setRequestMarshaller(ProtoUtils.marshaller(prototype))
            .setResponseMarshaller(ProtoUtils.marshaller(prototype))
            .build();
    ProtoServiceDescriptorSupplier schema =
        new ProtoServiceDescriptorSupplier() {
          @Override
          public Descriptors.FileDescriptor getFileDescriptor() {
            return fd;
          }

          @Override
          public Descriptors.ServiceDescriptor getServiceDescriptor() {
            return protoService;
          }
        };
    return ServiceDescriptor.newBuilder("test." + service)
        .setSchemaDescriptor(schema)
        .addMethod(method)
        .build();
  }

  private static FieldDescriptorProto field(
      String name, int number, FieldDescriptorProto.Type type, String typeName, boolean repeated) {
    FieldDescriptorProto.Builder field =
        FieldDescriptorProto.newBuilder()
            .setName(name)
            .setNumber(number)
            .setType(type)
            .setLabel(
                repeated
                    ? FieldDescriptorProto.Label.LABEL_REPEATED
                    : FieldDescriptorProto.Label.LABEL_OPTIONAL);
    if (typeName != null) {
      field.setTypeName(typeName);
    }
    return field.build();
  }

  private static HttpRule get(String template) {
    return HttpRule.newBuilder().setGet(template).build();
  }

  @Test
  void bindsRepeatedScalarsAndEnumsByRepetition() throws Exception {
    HttpRuleTranscoder transcoder =
        HttpRuleTranscoder.forService(
            synthetic("Rep", get("/t/{name}"), MethodDescriptor.MethodType.UNARY, false));
    HttpRuleTranscoder.Found found = (HttpRuleTranscoder.Found) transcoder.match("GET", "/t/n");
    Message request =
        transcoder.buildRequest(
            found.route(),
            found.variables(),
            QueryParameters.parse("ids=3&specials=LATEST&ids=1&specials=1&from.offset=9"),
            "");
    Descriptors.Descriptor type = request.getDescriptorForType();
    assertThat(request.getField(type.findFieldByName("ids"))).isEqualTo(List.of(3L, 1L));
    assertThat(request.getField(type.findFieldByName("specials")).toString())
        .isEqualTo("[LATEST, EARLIEST]");
    assertThat(request.getField(type.findFieldByName("name"))).isEqualTo("n");
    assertThatThrownBy(
            () ->
                transcoder.buildRequest(
                    found.route(), found.variables(), QueryParameters.parse("ids=1&ids=x"), ""))
        .hasMessage("query parameter 'ids' must be an int64, got 'x'");
  }

  @Test
  void rejectsConflictingRoutesAcrossServicesAndWithinTheListOfServices() throws Exception {
    // GET /v1/streams/{name} is Streams/GetStream; a literal in its place still overlaps.
    ServiceDescriptor clash =
        synthetic("Clash", get("/v1/streams/lookup"), MethodDescriptor.MethodType.UNARY, false);
    assertThatThrownBy(
            () -> HttpRuleTranscoder.forServices(List.of(StreamsGrpc.getServiceDescriptor(), clash)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "http rules conflict: GET /v1/streams/{name} (ordo.v1.Streams/GetStream) and GET"
                + " /v1/streams/lookup (test.Clash/Call) match the same paths with the same verb");
    // Another verb on the same path is no conflict.
    ServiceDescriptor other =
        synthetic(
            "Other",
            HttpRule.newBuilder().setPut("/v1/streams/{name}").build(),
            MethodDescriptor.MethodType.UNARY,
            false);
    assertThat(
            HttpRuleTranscoder.forServices(List.of(StreamsGrpc.getServiceDescriptor(), other))
                .match("PUT", "/v1/streams/x"))
        .isInstanceOf(HttpRuleTranscoder.Found.class);
    assertThatThrownBy(
            () ->
                HttpRuleTranscoder.forServices(
                    List.of(StreamsGrpc.getServiceDescriptor(), StreamsGrpc.getServiceDescriptor())))
        .hasMessage("service ordo.v1.Streams is given twice");
  }

  @Test
  void rejectsRulesOnClientStreamingMethodsAndFieldsShadowedByTimeoutMs() throws Exception {
    assertThatThrownBy(
            () ->
                HttpRuleTranscoder.forService(
                    synthetic("Bidi", get("/t"), MethodDescriptor.MethodType.BIDI_STREAMING, false)))
        .hasMessage(
            "http rule of test.Bidi.Call: only unary and server-streaming methods can be served"
                + " over HTTP, this one is BIDI_STREAMING");
    assertThatThrownBy(
            () ->
                HttpRuleTranscoder.forService(
                    synthetic("Timeout", get("/t"), MethodDescriptor.MethodType.UNARY, true)))
        .hasMessage(
            "http rule of test.Timeout.Call: the query parameter timeoutMs is the server's, so"
                + " test.Req cannot have a field of that name");
    assertThatThrownBy(
            () ->
                HttpRuleTranscoder.forService(
                    synthetic("Typed", get("/t/{from}"), MethodDescriptor.MethodType.UNARY, false)))
        .hasMessage(
            "http rule of test.Typed.Call: path variable 'from' must name a singular scalar or"
                + " enum field of test.Req");
  }
}
