package io.ordo.launcher.cli;

import io.ordo.gateway.auth.Credentials;
import io.ordo.gateway.auth.GatewaySecurity;
import io.ordo.gateway.auth.TlsMaterial;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Authentication and TLS options of the commands that run a gateway ({@code ordo start}, {@code
 * ordo gateway}). Without {@code --auth-file} nothing is authenticated; without {@code
 * --tls-cert}/{@code --tls-key} every listener speaks plain text.
 */
public final class SecurityOptions {
  @Option(
      names = "--auth-file",
      paramLabel = "FILE",
      description =
          "Credentials file: bearer tokens (gRPC, REST) and SCRAM-SHA-256 users (PostgreSQL),"
              + " each with read, write or admin permission; turns authentication on. Written by"
              + " 'ordo auth add-token' / 'add-user'; format in README.md, Security.")
  Path authFile;

  @Option(
      names = "--tls-cert",
      paramLabel = "PEM",
      description =
          "Certificate chain (PEM, server certificate first) for TLS on gRPC, REST, the metrics"
              + " port and PostgreSQL; needs --tls-key.")
  Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "PEM",
      description = "Private key of --tls-cert (PEM, PKCS#8: '-----BEGIN PRIVATE KEY-----').")
  Path tlsKey;

  /**
   * The security these options describe.
   *
   * @throws IllegalArgumentException when only one of the TLS options is given, or a file is
   *     malformed (naming it)
   * @throws IOException when a file cannot be read
   */
  GatewaySecurity security() throws IOException {
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new IllegalArgumentException("--tls-cert and --tls-key go together: give both or neither");
    }
    Optional<Credentials> credentials =
        authFile == null ? Optional.empty() : Optional.of(Credentials.load(authFile));
    Optional<TlsMaterial> tls =
        tlsCert == null ? Optional.empty() : Optional.of(TlsMaterial.load(tlsCert, tlsKey));
    return new GatewaySecurity(credentials, tls);
  }
}
