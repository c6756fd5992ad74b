package io.ordo.sql.pgwire;

import io.ordo.sql.SqlAccess;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * Authentication and transport security of a {@link PgWireServer}.
 *
 * @param users when present, every connection authenticates with SCRAM-SHA-256 against these
 *     users and its session gets the user's access; when empty, any user name is accepted without
 *     a password (trust) and sessions have full access
 * @param tls when present, SSLRequest is answered 'S' and the connection continues in TLS with
 *     this context, and a client that starts without TLS is refused (SQLSTATE 28000); when empty,
 *     SSLRequest is answered 'N' and the connection stays in plain text
 */
public record PgSecurity(Optional<Users> users, Optional<SSLContext> tls) {
  /** No authentication, no TLS. */
  public static final PgSecurity NONE = new PgSecurity(Optional.empty(), Optional.empty());

  public PgSecurity {
    Objects.requireNonNull(users, "users");
    Objects.requireNonNull(tls, "tls");
  }

  /** The users a server knows; thread-safe. */
  @FunctionalInterface
  public interface Users {
    /** The user named {@code name} (as sent in the startup packet), if there is one. */
    Optional<User> find(String name);
  }

  /** A password user: its SCRAM-SHA-256 verifier and the SQL access it is granted. */
  public record User(String name, ScramSha256.Verifier verifier, SqlAccess access) {
    public User {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(verifier, "verifier");
      Objects.requireNonNull(access, "access");
    }
  }
}
