package io.ordo.launcher.cli;

import picocli.CommandLine.Command;

/**
 * {@code ordo bench}: the benchmarks, one subcommand each ({@link BenchYcsbtCommand}, {@link
 * BenchKafkaCommand}, {@link BenchStreamCommand}). Given no subcommand, picocli reports a usage error (exit {@value
 * OrdoCli#EXIT_USAGE}), since this class is neither Runnable nor Callable.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    description = "Benchmarks: YCSB-T transfers on Ordo and PostgreSQL, the Kafka log's ceiling, and stream appends.",
    subcommands = {BenchYcsbtCommand.class, BenchKafkaCommand.class, BenchStreamCommand.class,
      BenchViewsCommand.class})
public final class BenchCommand {}
