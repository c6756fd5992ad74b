/**
 * The gateway's {@code ordo.v1.Subscriptions} service: consumer groups with acknowledgements over
 * streams. Subscription metadata and per-shard progress are ordinary (internal) keys written by
 * sequenced transactions, so acks can share a transaction with a client's own writes
 * (exactly-once consume-transform-produce); delivery reads the gateway's local store, which
 * materializes the changelog. Not an API: only {@code io.ordo.gateway.GatewayServer} constructs
 * {@link io.ordo.gateway.subscriptions.SubscriptionsService}.
 */
package io.ordo.gateway.subscriptions;
