/**
 * The report folder of a Jepsen run: the history (EDN and JSON), every checker's result
 * ({@code results.json}) and {@code report.html} with latency and throughput over time as inline
 * SVG (no JavaScript), availability under each fault ({@code io.ordo.jepsen.availability}), plus the
 * linearizability timeline when the kv workload fails; and the battery summary.
 */
package io.ordo.jepsen.report;
