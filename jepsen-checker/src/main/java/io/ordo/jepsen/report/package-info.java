/**
 * The report folder of a Jepsen run: the history (EDN and JSON), every checker's result
 * ({@code results.json}) and {@code report.html} with latency and throughput over time as inline
 * SVG (no JavaScript), plus the linearizability timeline when the kv workload fails.
 */
package io.ordo.jepsen.report;
