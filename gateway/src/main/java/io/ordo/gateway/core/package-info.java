/**
 * The gateway's implementation: request validation ({@link io.ordo.gateway.core.Validation}),
 * the gRPC service ({@link io.ordo.gateway.core.OrdoService}) and the results listener that
 * correlates results with waiting requests by transaction id ({@link
 * io.ordo.gateway.core.ResultListener}). Not an API: only {@code io.ordo.gateway} and {@code
 * io.ordo.gateway.rest} use these classes.
 */
package io.ordo.gateway.core;
