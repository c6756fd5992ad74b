/**
 * The deterministic transaction semantics: {@link io.ordo.executor.evaluation.TransactionEvaluator}
 * decides a transaction from its operations and the values of its keys at its position, the same
 * way in the single-range fast path and for multi-range transactions. A pure function: no Flink
 * types, no clock, no randomness.
 */
package io.ordo.executor.evaluation;
