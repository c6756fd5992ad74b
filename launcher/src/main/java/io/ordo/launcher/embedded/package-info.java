/**
 * Embedded mode: the whole of Ordo (Kafka broker, executor job on a Flink MiniCluster, gateway)
 * in one process with its data under one directory ({@link io.ordo.launcher.embedded.EmbeddedOrdo}),
 * and a readiness probe over the gateway's Health RPC. Nothing here imports Flink: the executor is
 * reached through {@code io.ordo.executor.EmbeddedExecutor} only.
 */
package io.ordo.launcher.embedded;
