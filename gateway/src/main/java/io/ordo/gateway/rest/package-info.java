/**
 * REST/JSON for the gateway, derived from the {@code google.api.http} options of the proto
 * service definitions rather than written route by route, with grpc-gateway's conventions.
 *
 * <p>{@link io.ordo.gateway.rest.HttpRuleTranscoder} reads each method's {@code HttpRule} (verb,
 * path template with {@code {field}} variables, {@code body}) from the descriptors of one or more
 * services and turns an HTTP request (path variables of any scalar type, query parameters such
 * as {@code ?follow=true&from.offset=5}, JSON body) into the method's request message; {@link
 * io.ordo.gateway.rest.RestServer} serves it with the JDK's HTTP server and calls the gRPC
 * services through an in-process channel, so REST and gRPC share every check and status.
 * Server-streaming methods are relayed as NDJSON or Server-Sent Events ({@link
 * io.ordo.gateway.rest.StreamFormat}), one message per line or event, by a bounded pool of stream
 * threads.
 *
 * <p>JSON is proto3 JSON ({@code JsonFormat}): request bodies with unknown fields are rejected
 * (HTTP 400); responses use lowerCamelCase field names, print int64 fields (positions, offsets,
 * counters) as strings, bytes as base64, enums as names, and omit fields that hold their default
 * value (so {@code "found": false} does not appear). Errors are {@code
 * {"code":"INVALID_ARGUMENT","message":"..."}} with the gRPC code name; the HTTP status follows
 * {@link io.ordo.gateway.rest.HttpStatuses}. An error in the middle of a stream is its last line
 * or event, {@code {"error":{"code":<HTTP status>,"status":"<gRPC code>","message":"..."}}}.
 */
package io.ordo.gateway.rest;
