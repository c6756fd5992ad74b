package io.ordo.gateway.rest;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * HTTP routes derived from the {@code google.api.http} options of a gRPC service, and the
 * conversion of an HTTP request (verb, path, JSON body) into the method's request message.
 *
 * <p>Supported rules: {@code get}, {@code put}, {@code post}, {@code delete} and {@code patch}
 * with a {@link PathTemplate}; {@code body: "*"} (the JSON body is the whole request message),
 * {@code body: "<field>"} (the body is that message field) or no body (the body is ignored).
 * Path variables must name string fields of the request; a variable's value wins over the body,
 * and a body that sets the same field to something else is rejected. Methods without an http
 * option are not routed. {@code additional_bindings}, custom verbs and streaming methods are
 * rejected when the transcoder is built.
 *
 * <p>The JSON parser is {@code JsonFormat.parser()} as is: unknown fields are an error. Immutable
 * and thread-safe.
 */
public final class HttpRuleTranscoder {

  /**
   * One route: an HTTP verb and path template bound to a gRPC method.
   *
   * @param httpMethod upper-case verb, e.g. {@code GET}
   * @param path the path template
   * @param body {@code "*"}, a field name, or {@code ""} for no body
   * @param method the gRPC method the route calls
   * @param requestPrototype the default instance of the method's request message
   */
  public record Route(
      String httpMethod,
      PathTemplate path,
      String body,
      MethodDescriptor<Message, Message> method,
      Message requestPrototype) {}

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

  private final List<Route> routes;

  private HttpRuleTranscoder(List<Route> routes) {
    this.routes = Collections.unmodifiableList(routes);
  }

  /**
   * Builds the routes of a generated gRPC service (e.g. {@code OrdoGrpc.getServiceDescriptor()}),
   * reading each method's {@code google.api.http} option from its proto descriptor.
   *
   * @throws IllegalArgumentException if the service has no proto descriptor, or a rule uses an
   *     unsupported form (the message names the method)
   */
  public static HttpRuleTranscoder forService(ServiceDescriptor service) {
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
    return new HttpRuleTranscoder(routes);
  }

  /** The routes, in proto declaration order. */
  public List<Route> routes() {
    return routes;
  }

  /**
   * Finds the route for a verb and a raw path ({@code URI.getRawPath()}). The first route (in
   * declaration order) whose template and verb match wins.
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
   * Builds the request message of a matched route from its path variables and the JSON body.
   *
   * @param body the request body as text; blank means no fields (for a route with a body) and is
   *     ignored for a route without one
   * @throws IllegalArgumentException with the reason: malformed JSON or an unknown field (the
   *     parser's message), or a path variable that contradicts the body
   */
  public Message buildRequest(Route route, Map<String, String> variables, String body) {
    Message.Builder builder = route.requestPrototype().newBuilderForType();
    if (!route.body().isEmpty() && !body.isBlank()) {
      Message.Builder target =
          route.body().equals("*")
              ? builder
              : builder.getFieldBuilder(
                  builder.getDescriptorForType().findFieldByName(route.body()));
      try {
        JsonFormat.parser().merge(body, target);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException("malformed JSON body: " + e.getMessage(), e);
      }
    }
    for (Map.Entry<String, String> variable : variables.entrySet()) {
      FieldDescriptor field = builder.getDescriptorForType().findFieldByName(variable.getKey());
      String fromBody = (String) builder.getField(field);
      if (!fromBody.isEmpty() && !fromBody.equals(variable.getValue())) {
        throw new IllegalArgumentException(
            "field '"
                + field.getJsonName()
                + "' is set both in the path ('"
                + variable.getValue()
                + "') and in the body ('"
                + fromBody
                + "')");
      }
      builder.setField(field, variable.getValue());
    }
    return builder.build();
  }

  private static Route route(
      Descriptors.MethodDescriptor protoMethod, HttpRule rule, MethodDescriptor<?, ?> grpcMethod) {
    String where = "http rule of " + protoMethod.getFullName();
    if (grpcMethod.getType() != MethodDescriptor.MethodType.UNARY) {
      throw new IllegalArgumentException(where + ": only unary methods are supported");
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
      if (field == null || field.isRepeated() || field.getType() != FieldDescriptor.Type.STRING) {
        throw new IllegalArgumentException(
            where + ": path variable '" + name + "' must name a string field of " + input.getFullName());
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
        "method " + method.getFullMethodName() + " does not use a protobuf marshaller");
  }
}
