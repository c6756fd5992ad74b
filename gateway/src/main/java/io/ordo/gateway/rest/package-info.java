/**
 * REST/JSON for the gateway, derived from the {@code google.api.http} options of the proto
 * service definition rather than written route by route.
 *
 * <p>{@link io.ordo.gateway.rest.HttpRuleTranscoder} reads each method's {@code HttpRule} (verb,
 * path template with {@code {field}} variables, {@code body}) from the service's descriptors and
 * turns an HTTP request into the method's request message; {@link
 * io.ordo.gateway.rest.RestServer} serves it with the JDK's HTTP server and calls the gRPC
 * service through an in-process channel, so REST and gRPC share every check and status.
 *
 * <p>JSON is proto3 JSON ({@code JsonFormat}): request bodies with unknown fields are rejected
 * (HTTP 400); responses use lowerCamelCase field names, print int64 fields (positions, offsets,
 * counters) as strings, bytes as base64, enums as names, and omit fields that hold their default
 * value (so {@code "found": false} does not appear). Errors are {@code
 * {"code":"INVALID_ARGUMENT","message":"..."}} with the gRPC code name; the HTTP status follows
 * {@link io.ordo.gateway.rest.HttpStatuses}.
 */
package io.ordo.gateway.rest;
