/**
 * {@code ordo bench}: the YCSB-T transfer workload ({@link io.ordo.launcher.demo.TransferWorkload}
 * with an exact cross-range share), the load generator ({@link io.ordo.launcher.bench.LoadRunner}:
 * closed loop, or open loop measured from intended start times), the Ordo and PostgreSQL clients,
 * CPU accounting by process and thread group ({@link io.ordo.launcher.bench.CpuMeter}), the
 * reports (JSON, Markdown, PNG sweep plot) and the Kafka log's ceiling ({@link
 * io.ordo.launcher.bench.KafkaCeilingBench}).
 */
package io.ordo.launcher.bench;
