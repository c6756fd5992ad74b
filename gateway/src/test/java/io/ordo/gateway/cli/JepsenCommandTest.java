package io.ordo.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code ordo jepsen}: bad input is a usage error with the reason, before anything starts. */
class JepsenCommandTest {
  private record Run(int exitCode, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = OrdoCli.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return new Run(cli.execute(args), out.toString(), err.toString());
  }

  @Test
  void anUnknownWorkloadIsAUsageErrorListingTheKnownOnes() {
    Run r = run("jepsen", "--workload", "queue", "--target", "localhost:1");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("unknown workload 'queue'", "list-append, rw-register, bank, kv");
  }

  @Test
  void anUnknownNemesisIsAUsageError() {
    Run r = run("jepsen", "--workload", "bank", "--nemesis", "none,kill-broker", "--target", "localhost:1");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("unknown nemesis 'kill-broker'", "none, kill-job");
  }

  @Test
  void faultsNeedTheEmbeddedOrdo() {
    Run r = run("jepsen", "--workload", "kv", "--nemesis", "kill-job", "--target", "localhost:1");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("--target runs only with --nemesis none");
  }

  @Test
  void nonPositiveConcurrencyIsAUsageError() {
    Run r = run("jepsen", "--workload", "kv", "--concurrency", "0", "--target", "localhost:1");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(r.err()).contains("concurrency");
  }

  @Test
  void theCommandIsListedInTheHelp() {
    Run r = run("--help");
    assertThat(r.out()).contains("jepsen");
  }
}
