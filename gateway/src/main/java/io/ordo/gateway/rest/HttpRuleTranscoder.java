package io.ordo.gateway.rest;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * HTTP routes derived from the {@code google.api.http} options of one or more gRPC services, and
 * the conversion of an HTTP request (verb, path, query, JSON body) into the method's request
 * message, following grpc-gateway's conventions.
 *
 * <p>Supported rules: {@code get}, {@code put}, {@code post}, {@code delete} and {@code patch}
 * with a {@link PathTemplate}; {@code body: "*"} (the JSON body is the whole request message),
 * {@code body: "<field>"} (the body is that message field) or no body (the body is ignored).
 * Unary and server-streaming methods are routed; methods without an http option are not. {@code
 * additional_bindings}, {@code response_body}, custom verbs and http rules on client-streaming or
 * bidirectional methods are rejected when the transcoder is built, and so are two routes with
 * the same verb whose templates match a common path (within a service or across services: no
 * request is routed by declaration order).
 *
 * <p>Binding, in this order:
 *
 * <ol>
 *   <li>Body: parsed by {@code JsonFormat.parser()} as is (unknown fields are an error).
 *   <li>Query parameters (only for rules whose body is not {@code "*"}): each parameter names a
 *       field of the request by its proto name or JSON name, nested fields with dots ({@code
 *       from.offset=5}); the field must be a scalar, an enum (by name or number) or a repeated
 *       one of those (one value per repetition: {@code ?ids=1&ids=2}), reached through singular
 *       message fields. Values are parsed as proto3 JSON strings of the field's type (int64
 *       {@code 10}, bool {@code true}, bytes base64). An unknown name, a field the path or the
 *       body binds, a singular field given twice, two fields of one oneof, or a bad value is an
 *       error that names the parameter. The reserved parameter {@link RestServer#TIMEOUT_PARAM}
 *       is the server's, not a field, and is removed before this step.
 *   <li>Path variables: each names a singular scalar or enum field of the request and is parsed
 *       like a query value. A variable's value wins over the body; a body that sets the same
 *       field to something else is rejected.
 * </ol>
 *
 * <p>Immutable and thread-safe.
 */
public final class HttpRuleTranscoder {

  /**
   * One route: an HTTP verb and path template bound to a gRPC method.
   *
   * @param httpMethod upper-case verb, e.g. {@code GET}
   * @param path the path template
   * @param body {@code "*"}, a field name, or {@code ""} for no body
   * @param method the gRPC method the route calls (unary or server-streaming)
   * @param requestPrototype the default instance of the method's request message
   */
  public record Route(
      String httpMethod,
      PathTemplate path,
      String body,
      MethodDescriptor<Message, Message> method,
      Message requestPrototype) {

    /** Whether the method streams responses (served as NDJSON or Server-Sent Events). */
    public boolean serverStreaming() {
      return method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING;
    }

    /** {@code "GET /v1/streams/{name} (ordo.v1.Streams/GetStream)"}, for messages. */
    String describe() {
      return httpMethod + " " + path.template() + " (" + method.getFullMethodName() + ")";
    }
  }

  /** The result of matching a request line against the routes. */
  public sealed interface Match permits Found, NotFound, MethodNotAllowed {}

  /**
   * A route matched.
   *
   * @param route the route
   * @param variables decoded path variable values by field name
   */
  public record Found(Route route, Map<String, String> variables) implements Match {}

  /** No route has this path. */
  public record NotFound() implements Match {}

  /**
   * Some route has this path, but not with this verb.
   *
   * @param allowed the verbs that are routed for this path, in route order
   */
  public record MethodNotAllowed(List<String> allowed) implements Match {}

  private static final JsonFormat.Printer STRUCT_PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private final List<Route> routes;

  private HttpRuleTranscoder(List<Route> routes) {
    this.routes = Collections.unmodifiableList(routes);
  }

  /**
   * Builds the routes of one generated gRPC service (e.g. {@code OrdoGrpc.getServiceDescriptor()}).
   *
   * @throws IllegalArgumentException as {@link #forServices}
   */
  public static HttpRuleTranscoder forService(ServiceDescriptor service) {
    return forServices(List.of(service));
  }

  /**
   * Builds the routes of several generated gRPC services, reading each method's {@code
   * google.api.http} option from its proto descriptor. Routes are kept in the order of {@code
   * services}, then proto declaration order.
   *
   * @throws IllegalArgumentException if a service has no proto descriptor or is given twice, a
   *     rule uses an unsupported form (the message names the method), or two routes conflict
   *     (the message names both)
   */
  public static HttpRuleTranscoder forServices(List<ServiceDescriptor> services) {
    Objects.requireNonNull(services, "services");
    List<Route> routes = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (ServiceDescriptor service : services) {
      if (!names.add(service.getName())) {
        throw new IllegalArgumentException("service " + service.getName() + " is given twice");
      }
      routes.addAll(routesOf(service));
    }
    for (int i = 0; i < routes.size(); i++) {
      for (int j = i + 1; j < routes.size(); j++) {
        Route a = routes.get(i);
        Route b = routes.get(j);
        if (a.httpMethod().equals(b.httpMethod()) && a.path().overlaps(b.path())) {
          throw new IllegalArgumentException(
              "http rules conflict: "
                  + a.describe()
                  + " and "
                  + b.describe()
                  + " match the same paths with the same verb");
        }
      }
    }
    return new HttpRuleTranscoder(routes);
  }

  private static List<Route> routesOf(ServiceDescriptor service) {
    if (!(service.getSchemaDescriptor() instanceof ProtoServiceDescriptorSupplier supplier)) {
      throw new IllegalArgumentException(
          "service " + service.getName() + " has no protobuf descriptor to read http rules from");
    }
    Descriptors.ServiceDescriptor proto = supplier.getServiceDescriptor();
    Map<String, MethodDescriptor<?, ?>> grpcMethods = new LinkedHashMap<>();
    for (MethodDescriptor<?, ?> method : service.getMethods()) {
      grpcMethods.put(method.getFullMethodName(), method);
    }
    List<Route> routes = new ArrayList<>();
    // Proto declaration order: deterministic, and the order the API documents.
    for (Descriptors.MethodDescriptor protoMethod : proto.getMethods()) {
      if (!protoMethod.getOptions().hasExtension(AnnotationsProto.http)) {
        continue;
      }
      HttpRule rule = protoMethod.getOptions().getExtension(AnnotationsProto.http);
      String fullName = MethodDescriptor.generateFullMethodName(proto.getFullName(), protoMethod.getName());
      MethodDescriptor<?, ?> grpcMethod = grpcMethods.get(fullName);
      if (grpcMethod == null) {
        throw new IllegalArgumentException("no gRPC method " + fullName + " for its http rule");
      }
      routes.add(route(protoMethod, rule, grpcMethod));
    }
    return routes;
  }

  /** The first route of the gRPC method {@code fullMethodName} ("ordo.v1.Sql/Push"), if any. */
  public Optional<Route> routeOf(String fullMethodName) {
    return routes.stream()
        .filter(r -> r.method().getFullMethodName().equals(fullMethodName))
        .findFirst();
  }

  /** The routes, in the order of the services, then proto declaration order. */
  public List<Route> routes() {
    return routes;
  }

  /**
   * Finds the route for a verb and a raw path ({@code URI.getRawPath()}). At most one route can
   * match a verb and path (conflicts are rejected when the transcoder is built).
   *
   * @throws IllegalArgumentException if a route matches but a path variable is badly encoded
   */
  public Match match(String httpMethod, String rawPath) {
    List<String> allowed = new ArrayList<>();
    for (Route route : routes) {
      Map<String, String> variables = route.path().match(rawPath);
      if (variables == null) {
        continue;
      }
      if (route.httpMethod().equals(httpMethod)) {
        return new Found(route, variables);
      }
      if (!allowed.contains(route.httpMethod())) {
        allowed.add(route.httpMethod());
      }
    }
    return allowed.isEmpty() ? new NotFound() : new MethodNotAllowed(List.copyOf(allowed));
  }

  /**
   * Builds the request message of a matched route from its path variables and the JSON body,
   * without query parameters.
   *
   * @throws IllegalArgumentException as {@link #buildRequest(Route, Map, QueryParameters, String)}
   */
  public Message buildRequest(Route route, Map<String, String> variables, String body) {
    return buildRequest(route, variables, QueryParameters.empty(), body);
  }

  /**
   * Builds the request message of a matched route from the JSON body, the query parameters and
   * the path variables (see the class comment for the rules).
   *
   * @param variables decoded path variables by field name, as {@link Found#variables()}
   * @param query the query parameters, without {@link RestServer#TIMEOUT_PARAM}
   * @param body the request body as text; blank means no fields (for a route with a body) and is
   *     ignored for a route without one
   * @throws IllegalArgumentException with the reason: malformed JSON or an unknown field (the
   *     parser's message); an unknown, misplaced, repeated or badly typed query parameter (named);
   *     a badly typed path variable (named); a path variable that contradicts the body
   */
  public Message buildRequest(
      Route route, Map<String, String> variables, QueryParameters query, String body) {
    Message.Builder builder = route.requestPrototype().newBuilderForType();
    if (!route.body().isEmpty() && !body.isBlank()) {
      Message.Builder target =
          route.body().equals("*")
              ? builder
              : builder.getFieldBuilder(
                  builder.getDescriptorForType().findFieldByName(route.body()));
      try {
        PARSER.merge(body, target);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException("malformed JSON body: " + e.getMessage(), e);
      }
    }
    if (!query.isEmpty()) {
      mergeQuery(route, query, builder);
    }
    for (Map.Entry<String, String> variable : variables.entrySet()) {
      FieldDescriptor field = builder.getDescriptorForType().findFieldByName(variable.getKey());
      Object value =
          parseScalar(
              builder.getDescriptorForType(),
              List.of(field),
              variable.getValue(),
              "path variable '" + variable.getKey() + "'");
      if (builder.hasField(field) && !builder.getField(field).equals(value)) {
        throw new IllegalArgumentException(
            "field '"
                + field.getJsonName()
                + "' is set both in the path ('"
                + variable.getValue()
                + "') and in the body ('"
                + builder.getField(field)
                + "')");
      }
      builder.setField(field, value);
    }
    return builder.build();
  }

  /** One query-bound field and the parameter values for it. */
  private record QueryBinding(List<FieldDescriptor> path, List<String> names, List<String> values) {}

  /** The oneof member a query parameter set first. */
  private record OneofOwner(FieldDescriptor member, String parameter) {}

  private static void mergeQuery(Route route, QueryParameters query, Message.Builder builder) {
    Descriptors.Descriptor root = builder.getDescriptorForType();
    if (route.body().equals("*")) {
      String name = query.asMap().keySet().iterator().next();
      throw new IllegalArgumentException(
          "unknown query parameter '"
              + name
              + "': "
              + route.httpMethod()
              + " "
              + route.path().template()
              + " takes every field from the body");
    }
    Set<String> pathFields = new HashSet<>(route.path().variableNames());
    // Keyed by the dotted proto names, so "maxRecords" and "max_records" are one field.
    Map<String, QueryBinding> bindings = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> parameter : query.asMap().entrySet()) {
      String name = parameter.getKey();
      List<FieldDescriptor> path = resolveQueryField(root, name);
      FieldDescriptor top = path.get(0);
      if (pathFields.contains(top.getName())) {
        throw new IllegalArgumentException(
            "query parameter '" + name + "' names field '" + top.getName() + "', which the path binds");
      }
      if (top.getName().equals(route.body())) {
        throw new IllegalArgumentException(
            "query parameter '" + name + "' names field '" + top.getName() + "', which the body carries");
      }
      String key = dotted(path);
      QueryBinding binding =
          bindings.computeIfAbsent(
              key, k -> new QueryBinding(path, new ArrayList<>(), new ArrayList<>()));
      binding.names().add(name);
      binding.values().addAll(parameter.getValue());
    }
    // Oneof members set by different parameters: JsonFormat would reject the merged tree too,
    // but without naming the parameters.
    Map<String, OneofOwner> oneofOwners = new HashMap<>();
    for (QueryBinding binding : bindings.values()) {
      List<FieldDescriptor> path = binding.path();
      FieldDescriptor leaf = path.get(path.size() - 1);
      String name = binding.names().get(0);
      if (!leaf.isRepeated() && binding.values().size() > 1) {
        throw new IllegalArgumentException(
            "query parameter '"
                + String.join("' / '", binding.names())
                + "' is given "
                + binding.values().size()
                + " times, but "
                + leaf.getFullName()
                + " takes one value");
      }
      for (int depth = 0; depth < path.size(); depth++) {
        Descriptors.OneofDescriptor oneof = path.get(depth).getRealContainingOneof();
        if (oneof == null) {
          continue;
        }
        // The same oneof in different parent messages (a.x vs b.x) is a different scope.
        String scope = dotted(path.subList(0, depth)) + "#" + oneof.getFullName();
        OneofOwner owner =
            oneofOwners.putIfAbsent(scope, new OneofOwner(path.get(depth), name));
        if (owner != null && !owner.member().equals(path.get(depth))) {
          throw new IllegalArgumentException(
              "query parameters '"
                  + owner.parameter()
                  + "' and '"
                  + name
                  + "' set two fields of the oneof "
                  + oneof.getFullName());
        }
      }
      for (String value : binding.values()) {
        parseScalar(root, path, value, "query parameter '" + name + "'");
      }
    }
    // One merge of one JSON tree: merging parameter by parameter would replace, not merge, a
    // message field that two parameters reach (from.offset, then from.special).
    Map<String, Object> tree = new LinkedHashMap<>();
    for (QueryBinding binding : bindings.values()) {
      List<FieldDescriptor> path = binding.path();
      Map<String, Object> node = tree;
      for (int depth = 0; depth < path.size() - 1; depth++) {
        @SuppressWarnings("unchecked")
        Map<String, Object> child =
            (Map<String, Object>)
                node.computeIfAbsent(
                    path.get(depth).getName(), n -> new LinkedHashMap<String, Object>());
        node = child;
      }
      FieldDescriptor leaf = path.get(path.size() - 1);
      node.put(
          leaf.getName(),
          leaf.isRepeated() ? List.copyOf(binding.values()) : binding.values().get(0));
    }
    try {
      PARSER.merge(STRUCT_PRINTER.print(toStruct(tree)), builder);
    } catch (InvalidProtocolBufferException e) {
      // Each value was checked above; what is left is a combination JsonFormat refuses.
      throw new IllegalArgumentException("query parameters: " + e.getMessage(), e);
    }
  }

  /**
   * The fields a query parameter name reaches from {@code root}: singular message fields, then
   * a scalar or enum (possibly repeated) leaf.
   */
  private static List<FieldDescriptor> resolveQueryField(Descriptors.Descriptor root, String name) {
    List<FieldDescriptor> path = new ArrayList<>();
    Descriptors.Descriptor type = root;
    String[] segments = name.split("\\.", -1);
    for (int i = 0; i < segments.length; i++) {
      FieldDescriptor field = type == null ? null : findField(type, segments[i]);
      if (field == null) {
        throw new IllegalArgumentException(
            "unknown query parameter '" + name + "' (no such field in " + root.getFullName() + ")");
      }
      path.add(field);
      boolean last = i == segments.length - 1;
      if (field.isMapField()) {
        throw new IllegalArgumentException(
            "query parameter '" + name + "' names the map field " + field.getFullName()
                + ", which query parameters cannot set");
      }
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        if (last) {
          throw new IllegalArgumentException(
              "query parameter '" + name + "' names the message field " + field.getFullName()
                  + "; set its fields with '" + name + ".<field>'");
        }
        if (field.isRepeated()) {
          throw new IllegalArgumentException(
              "query parameter '" + name + "' goes through the repeated field "
                  + field.getFullName() + ", which query parameters cannot set");
        }
        type = field.getMessageType();
      } else if (!last) {
        throw new IllegalArgumentException(
            "unknown query parameter '" + name + "' (" + field.getFullName() + " is not a message)");
      } else {
        type = null;
      }
    }
    return path;
  }

  /** A field by proto name, else by JSON name (lowerCamelCase). */
  private static FieldDescriptor findField(Descriptors.Descriptor type, String name) {
    FieldDescriptor byName = type.findFieldByName(name);
    if (byName != null) {
      return byName;
    }
    for (FieldDescriptor field : type.getFields()) {
      if (field.getJsonName().equals(name)) {
        return field;
      }
    }
    return null;
  }

  /**
   * Parses one text value for the leaf of {@code path} as proto3 JSON does (JsonFormat on a
   * one-field JSON tree) and returns the leaf's value (for a repeated leaf, the one element).
   *
   * @throws IllegalArgumentException naming {@code what} and the expected type
   */
  private static Object parseScalar(
      Descriptors.Descriptor root, List<FieldDescriptor> path, String text, String what) {
    FieldDescriptor leaf = path.get(path.size() - 1);
    Map<String, Object> tree = new LinkedHashMap<>();
    Map<String, Object> node = tree;
    for (int depth = 0; depth < path.size() - 1; depth++) {
      Map<String, Object> child = new LinkedHashMap<>();
      node.put(path.get(depth).getName(), child);
      node = child;
    }
    node.put(leaf.getName(), leaf.isRepeated() ? List.of(text) : text);
    Message.Builder scratch = DynamicMessage.newBuilder(root);
    try {
      PARSER.merge(STRUCT_PRINTER.print(toStruct(tree)), scratch);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(
          what + " must be " + expected(leaf) + ", got '" + text + "'", e);
    }
    Message message = scratch.build();
    for (int depth = 0; depth < path.size() - 1; depth++) {
      message = (Message) message.getField(path.get(depth));
    }
    return leaf.isRepeated() ? message.getRepeatedField(leaf, 0) : message.getField(leaf);
  }

  /** What a field's values look like, for error messages. */
  static String expected(FieldDescriptor field) {
    return switch (field.getType()) {
      case INT32, SINT32, SFIXED32 -> "an int32";
      case UINT32, FIXED32 -> "a uint32";
      case INT64, SINT64, SFIXED64 -> "an int64";
      case UINT64, FIXED64 -> "a uint64";
      case FLOAT -> "a float";
      case DOUBLE -> "a double";
      case BOOL -> "true or false";
      case STRING -> "a string";
      case BYTES -> "base64-encoded bytes";
      case ENUM -> {
        List<String> names = new ArrayList<>();
        for (Descriptors.EnumValueDescriptor value : field.getEnumType().getValues()) {
          names.add(value.getName());
        }
        yield "one of " + String.join(", ", names) + " (" + field.getEnumType().getFullName() + ")";
      }
      case MESSAGE, GROUP -> "a message";
    };
  }

  private static String dotted(List<FieldDescriptor> path) {
    StringBuilder out = new StringBuilder();
    for (FieldDescriptor field : path) {
      if (out.length() > 0) {
        out.append('.');
      }
      out.append(field.getName());
    }
    return out.toString();
  }

  /** A tree of maps, lists and strings as a Struct (so JsonFormat prints it as JSON). */
  private static Struct toStruct(Map<String, Object> tree) {
    Struct.Builder struct = Struct.newBuilder();
    tree.forEach((key, value) -> struct.putFields(key, toValue(value)));
    return struct.build();
  }

  @SuppressWarnings("unchecked")
  private static Value toValue(Object value) {
    if (value instanceof Map<?, ?> map) {
      return Value.newBuilder().setStructValue(toStruct((Map<String, Object>) map)).build();
    }
    if (value instanceof List<?> list) {
      ListValue.Builder values = ListValue.newBuilder();
      for (Object element : list) {
        values.addValues(toValue(element));
      }
      return Value.newBuilder().setListValue(values).build();
    }
    return Value.newBuilder().setStringValue((String) value).build();
  }

  private static Route route(
      Descriptors.MethodDescriptor protoMethod, HttpRule rule, MethodDescriptor<?, ?> grpcMethod) {
    String where = "http rule of " + protoMethod.getFullName();
    if (grpcMethod.getType() != MethodDescriptor.MethodType.UNARY
        && grpcMethod.getType() != MethodDescriptor.MethodType.SERVER_STREAMING) {
      throw new IllegalArgumentException(
          where + ": only unary and server-streaming methods can be served over HTTP, this one is "
              + grpcMethod.getType());
    }
    if (rule.getAdditionalBindingsCount() > 0) {
      throw new IllegalArgumentException(where + ": additional_bindings are not supported");
    }
    String verb;
    String template;
    switch (rule.getPatternCase()) {
      case GET -> {
        verb = "GET";
        template = rule.getGet();
      }
      case PUT -> {
        verb = "PUT";
        template = rule.getPut();
      }
      case POST -> {
        verb = "POST";
        template = rule.getPost();
      }
      case DELETE -> {
        verb = "DELETE";
        template = rule.getDelete();
      }
      case PATCH -> {
        verb = "PATCH";
        template = rule.getPatch();
      }
      default -> throw new IllegalArgumentException(where + ": unsupported pattern " + rule.getPatternCase());
    }
    PathTemplate path;
    try {
      path = PathTemplate.parse(template);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    Descriptors.Descriptor input = protoMethod.getInputType();
    for (String name : path.variableNames()) {
      FieldDescriptor field = input.findFieldByName(name);
      if (field == null
          || field.isRepeated()
          || field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        throw new IllegalArgumentException(
            where + ": path variable '" + name + "' must name a singular scalar or enum field of "
                + input.getFullName());
      }
    }
    String body = rule.getBody();
    if (!body.isEmpty() && !body.equals("*")) {
      FieldDescriptor field = input.findFieldByName(body);
      if (field == null || field.isRepeated() || field.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        throw new IllegalArgumentException(
            where + ": body '" + body + "' must be '*' or a message field of " + input.getFullName());
      }
    }
    if (!body.equals("*") && findField(input, RestServer.TIMEOUT_PARAM) != null) {
      throw new IllegalArgumentException(
          where + ": the query parameter " + RestServer.TIMEOUT_PARAM + " is the server's, so "
              + input.getFullName() + " cannot have a field of that name");
    }
    if (!rule.getResponseBody().isEmpty()) {
      throw new IllegalArgumentException(where + ": response_body is not supported");
    }
    @SuppressWarnings("unchecked")
    MethodDescriptor<Message, Message> method = (MethodDescriptor<Message, Message>) grpcMethod;
    Message prototype = prototypeOf(method);
    Objects.requireNonNull(prototype, where);
    return new Route(verb, path, body, method, prototype);
  }

  private static Message prototypeOf(MethodDescriptor<Message, Message> method) {
    if (method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> marshaller
        && marshaller.getMessagePrototype() instanceof Message prototype) {
      return prototype;
    }
    throw new IllegalArgumentException(
        "method "
            + method.getFullMethodName()
            + " does not use a protobuf marshaller (pass the generated service descriptor,"
            + " e.g. OrdoGrpc.getServiceDescriptor(), not a wrapped one)");
  }
}
