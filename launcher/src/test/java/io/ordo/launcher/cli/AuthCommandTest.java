package io.ordo.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ordo.gateway.auth.Credentials;
import io.ordo.gateway.auth.Permission;
import io.ordo.gateway.auth.Principal;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ordo auth add-token}: the printed token authenticates against the file it wrote. */
class AuthCommandTest {
  @Test
  void addTokenPrintsATokenTheFileAcceptsButDoesNotHold(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("ordo-auth");
    CliRun run =
        CliRun.run("auth", "add-token", "--auth-file", file.toString(), "--name", "ci", "--permission", "write");
    assertThat(run.exitCode()).as(run.err()).isZero();
    String token = run.out().strip();
    assertThat(token).startsWith(Credentials.TOKEN_PREFIX);
    assertThat(Files.readString(file)).doesNotContain(token).startsWith("token ci write sha256:");
    assertThat(Credentials.load(file).authenticateToken(token))
        .contains(new Principal("ci", Permission.WRITE));

    CliRun duplicate =
        CliRun.run("auth", "add-token", "--auth-file", file.toString(), "--name", "ci", "--permission", "read");
    assertThat(duplicate.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(duplicate.err()).contains("duplicate token name 'ci'");
    CliRun badPermission =
        CliRun.run("auth", "add-token", "--auth-file", file.toString(), "--name", "x", "--permission", "root");
    assertThat(badPermission.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(badPermission.err()).contains("unknown permission 'root'");
  }

  @Test
  void gatewayRefusesHalfTheTlsOptions() {
    CliRun run =
        CliRun.run("gateway", "--bootstrap-servers", "127.0.0.1:1", "--tls-cert", "/nonexistent.crt");
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(run.err()).contains("--tls-cert and --tls-key go together");
  }
}
