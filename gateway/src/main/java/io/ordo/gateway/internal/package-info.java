/**
 * The gateway's implementation: request validation ({@link io.ordo.gateway.internal.Validation}),
 * the gRPC service ({@link io.ordo.gateway.internal.OrdoService}) and the results listener that
 * correlates results with waiting requests by transaction id ({@link
 * io.ordo.gateway.internal.ResultListener}). Not an API: only {@code io.ordo.gateway} and {@code
 * io.ordo.gateway.rest} use these classes.
 */
package io.ordo.gateway.internal;
