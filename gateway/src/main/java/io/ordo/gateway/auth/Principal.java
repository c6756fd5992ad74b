package io.ordo.gateway.auth;

import java.util.Objects;

/**
 * An authenticated caller: the name of its credentials-file entry and its permission.
 *
 * @param name the entry's name (a token's label or a user name)
 * @param permission what it may do
 */
public record Principal(String name, Permission permission) {
  public Principal {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(permission, "permission");
  }
}
