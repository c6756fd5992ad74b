package io.ordo.gateway.auth;

import java.util.Objects;
import java.util.Optional;

/**
 * A gateway's authentication and transport security.
 *
 * @param credentials when present, every gRPC and REST call but health checks needs a bearer
 *     token and the PostgreSQL protocol a SCRAM-SHA-256 password, each with a permission ({@link
 *     MethodPermissions}); when empty (the embedded default), nothing is authenticated
 * @param tls when present, gRPC, REST (and the metrics port) and the PostgreSQL protocol speak
 *     TLS only, with this identity; when empty, plain text
 */
public record GatewaySecurity(Optional<Credentials> credentials, Optional<TlsMaterial> tls) {
  /** No authentication, no TLS. */
  public static final GatewaySecurity NONE = new GatewaySecurity(Optional.empty(), Optional.empty());

  public GatewaySecurity {
    Objects.requireNonNull(credentials, "credentials");
    Objects.requireNonNull(tls, "tls");
  }

  /** Whether calls are authenticated. */
  public boolean authOn() {
    return credentials.isPresent();
  }
}
