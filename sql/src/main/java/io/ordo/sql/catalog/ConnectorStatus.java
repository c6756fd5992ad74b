package io.ordo.sql.catalog;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the server knows of a running connector, for {@code SHOW CONNECTORS}.
 *
 * @param state {@code running}, {@code starting}, {@code paused}, {@code failed} or {@code
 *     unassigned} (no gateway holds its lease)
 * @param owner the gateway that runs it: its instance id, followed by " (host:port)" when it
 *     advertised its gRPC address; or empty
 * @param appliedPosition the source position the connector's committed changes reached (a
 *     PostgreSQL LSN like {@code 0/16B3748}), or empty before the first change
 * @param sourcePosition the source's current position (PostgreSQL: {@code pg_current_wal_lsn()}),
 *     or empty when the source could not be asked
 * @param lagBytes {@code sourcePosition - appliedPosition} in bytes of WAL, when both are known
 * @param lastError the last error the connector met, or empty
 */
public record ConnectorStatus(
    String state,
    Optional<String> owner,
    Optional<String> appliedPosition,
    Optional<String> sourcePosition,
    OptionalLong lagBytes,
    Optional<String> lastError) {
  public ConnectorStatus {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(appliedPosition, "appliedPosition");
    Objects.requireNonNull(sourcePosition, "sourcePosition");
    Objects.requireNonNull(lagBytes, "lagBytes");
    Objects.requireNonNull(lastError, "lastError");
  }

  /** A status with only a state. */
  public static ConnectorStatus of(String state) {
    return new ConnectorStatus(
        state, Optional.empty(), Optional.empty(), Optional.empty(), OptionalLong.empty(),
        Optional.empty());
  }
}
