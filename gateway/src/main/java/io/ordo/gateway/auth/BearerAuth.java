package io.ordo.gateway.auth;

import java.util.Objects;
import java.util.Optional;

/**
 * Checks an {@code Authorization: Bearer <token>} header value (RFC 6750) against {@link
 * Credentials} and a needed permission; shared by gRPC ({@link AuthInterceptor}) and the REST
 * endpoints the gateway serves itself ({@code /metrics}).
 */
public final class BearerAuth {
  /** The HTTP challenge sent with 401 (RFC 6750 §3). */
  public static final String CHALLENGE = "Bearer realm=\"ordo\"";

  /** The outcome of a check. */
  public sealed interface Decision {}

  /** Allowed; {@code principal} is empty for an open method. */
  public record Allowed(Optional<Principal> principal) implements Decision {}

  /** No token, or one no entry has: UNAUTHENTICATED / 401. */
  public record Unauthenticated(String reason) implements Decision {}

  /** A valid token whose permission does not cover the call: PERMISSION_DENIED / 403. */
  public record Denied(String reason) implements Decision {}

  private final Credentials credentials;

  public BearerAuth(Credentials credentials) {
    this.credentials = Objects.requireNonNull(credentials, "credentials");
  }

  /**
   * Decides a call.
   *
   * @param authorization the header's value, or null when absent
   * @param needed the permission the call needs; empty for an open call
   * @param what names the call in reasons ({@code ordo.v1.Ordo/Put}, {@code GET /metrics})
   */
  public Decision check(String authorization, Optional<Permission> needed, String what) {
    if (needed.isEmpty()) {
      return new Allowed(Optional.empty());
    }
    if (authorization == null) {
      return new Unauthenticated(what + " needs a bearer token (Authorization: Bearer <token>)");
    }
    int space = authorization.indexOf(' ');
    if (space < 0 || !authorization.substring(0, space).equalsIgnoreCase("Bearer")) {
      return new Unauthenticated("the Authorization header must be 'Bearer <token>'");
    }
    Optional<Principal> principal =
        credentials.authenticateToken(authorization.substring(space + 1).strip());
    if (principal.isEmpty()) {
      return new Unauthenticated("invalid bearer token");
    }
    Permission has = principal.get().permission();
    if (!has.implies(needed.get())) {
      return new Denied(
          what + " needs " + needed.get().label() + " permission; token '" + principal.get().name()
              + "' has " + has.label());
    }
    return new Allowed(principal);
  }
}
