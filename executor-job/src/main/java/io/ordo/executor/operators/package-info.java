/**
 * The executor's operators. Each class comment states its keying, state, timers and output
 * order; display names and UIDs live in {@link io.ordo.executor.ExecutorJobConstants}.
 */
package io.ordo.executor.operators;
