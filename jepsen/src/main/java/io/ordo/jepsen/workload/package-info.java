/**
 * Workloads against Ordo: each maps Jepsen/Elle operations (list-append, rw-register, bank, the
 * 6.824 KV battery) to Ordo transactions sent through the gateway's gRPC API, turns the answers
 * into history completions (ok, fail, info) and knows which checkers judge its history.
 *
 * <p>A workload talks to Ordo only through {@link io.ordo.jepsen.workload.TxnClient}, so the same
 * workload runs against a real gateway ({@link io.ordo.jepsen.workload.GrpcTxnClient}) or, in unit
 * tests, against an in-memory reference store. The exception is the stream workload ({@link
 * io.ordo.jepsen.workload.StreamWorkload}), which appends and consumes through the Streams and
 * Subscriptions services by a {@link io.ordo.jepsen.workload.StreamClient} bound before the run.
 */
package io.ordo.jepsen.workload;
