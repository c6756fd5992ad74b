package io.ordo.gateway.core;

import java.util.concurrent.CompletableFuture;

/**
 * Whether a gateway answers at an address it advertised in a lease (a subscription's delivery
 * lease, a connector's lease). Completes with true when something accepts a connection there,
 * false when nothing does (refused, unresolvable, timed out); never fails.
 */
@FunctionalInterface
public interface OwnerProbe {
  CompletableFuture<Boolean> answers(String address);
}
