/**
 * The executor job: a Flink DataStream job that applies Ordo's log deterministically per key
 * range (Calvin-style). {@link io.ordo.executor.ExecutorJob} wires the graph, {@link
 * io.ordo.executor.EmbeddedExecutor} runs it in-process, {@link io.ordo.executor.ExecutorConfig}
 * holds its settings.
 */
package io.ordo.executor;
