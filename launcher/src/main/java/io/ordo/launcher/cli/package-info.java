/**
 * The {@code ordo} command line (picocli): {@link io.ordo.launcher.cli.OrdoCli} is the root
 * command and the jar's main class; each subcommand ({@code start}, {@code demo}, ...) is one
 * class. Exit codes: 0 success, 1 failure, 2 usage error.
 */
package io.ordo.launcher.cli;
