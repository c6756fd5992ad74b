/**
 * The Ordo gateway: one server that speaks gRPC (service {@code ordo.v1.Ordo}) and REST/JSON
 * derived from the same proto definition, and runs every request as a transaction through the
 * sequencer.
 *
 * <p>Public API: {@link io.ordo.gateway.GatewayServer} (start/close, ports), {@link
 * io.ordo.gateway.GatewayConfig} and the request bounds it carries, {@link
 * io.ordo.gateway.core.Limits}. This package is the wiring: it imports every server package
 * ({@code core}: validation, the gRPC service, the results listener; {@code rest}: the HTTP
 * transcoder; {@code streams}, {@code subscriptions}, {@code ingest}) and none of them imports it,
 * so the server's packages form no cycle (ServerLayeringTest).
 *
 * <p>A request's life: validate (bad input is INVALID_ARGUMENT / HTTP 400 with the reason) →
 * build a {@link io.ordo.proto.Transaction} → register a waiter for its id on the results
 * listener → append it to the log → answer when the executor's result for that id appears on the
 * results topic, or DEADLINE_EXCEEDED ("outcome unknown") when the deadline passes first.
 */
package io.ordo.gateway;
