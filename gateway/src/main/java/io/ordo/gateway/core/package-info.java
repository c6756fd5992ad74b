/**
 * The gateway's core: request validation against the request bounds ({@link
 * io.ordo.gateway.core.Validation}, {@link io.ordo.gateway.core.Limits}), running a transaction
 * through the log ({@link io.ordo.gateway.core.TxnRunner}), the {@code ordo.v1.Ordo} gRPC service
 * ({@link io.ordo.gateway.core.OrdoService}) and the results listener that correlates results
 * with waiting requests by transaction id ({@link io.ordo.gateway.core.ResultListener}), and the
 * threads of background work ({@link io.ordo.gateway.core.BackgroundThreads}).
 *
 * <p>Not an API. Every other server package (rest, streams, subscriptions, ingest) and the wiring
 * in {@code io.ordo.gateway} use it; it depends on none of them (ServerLayeringTest), which is why
 * {@code Limits} lives here rather than beside {@code GatewayConfig}.
 */
package io.ordo.gateway.core;
