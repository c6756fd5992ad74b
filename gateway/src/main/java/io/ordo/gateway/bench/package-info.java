/**
 * {@code ordo bench}: the YCSB-T transfer workload ({@link io.ordo.gateway.bench.TransferWorkload}
 * with an exact cross-range share), the load generator ({@link io.ordo.gateway.bench.LoadRunner}:
 * closed loop, or open loop measured from intended start times), the Ordo and PostgreSQL clients,
 * CPU accounting by process and thread group ({@link io.ordo.gateway.bench.CpuMeter}), the
 * reports (JSON, Markdown, PNG sweep plot) and the Kafka log's ceiling ({@link
 * io.ordo.gateway.bench.KafkaCeilingBench}).
 */
package io.ordo.gateway.bench;
