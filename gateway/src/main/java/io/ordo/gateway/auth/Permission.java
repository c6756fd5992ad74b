package io.ordo.gateway.auth;

import io.ordo.sql.SqlAccess;
import java.util.Locale;

/**
 * What a credential may do. Ordered: {@link #ADMIN} implies {@link #WRITE}, which implies {@link
 * #READ}. Which call needs which permission: {@link MethodPermissions}.
 */
public enum Permission {
  /** Reads: Get, stream reads, listings, subscription fetches, SQL queries, metrics. */
  READ,
  /** Writes: transactions, Put, Delete, appends, acks, SQL DML. */
  WRITE,
  /** Administration: streams, shards and subscriptions created, split, merged or deleted; DDL. */
  ADMIN;

  /** Whether this permission includes {@code needed}. */
  public boolean implies(Permission needed) {
    return compareTo(needed) >= 0;
  }

  /** The SQL statements this permission may run. */
  public SqlAccess sqlAccess() {
    return switch (this) {
      case READ -> SqlAccess.READ;
      case WRITE -> SqlAccess.WRITE;
      case ADMIN -> SqlAccess.ADMIN;
    };
  }

  /** The lower-case name used in files and messages. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses {@code read}, {@code write} or {@code admin} (case-insensitive).
   *
   * @throws IllegalArgumentException for anything else
   */
  public static Permission parse(String text) {
    for (Permission p : values()) {
      if (p.label().equalsIgnoreCase(text)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "unknown permission '" + text + "' (expected read, write or admin)");
  }
}
