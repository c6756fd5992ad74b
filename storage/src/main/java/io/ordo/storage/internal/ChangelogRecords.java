package io.ordo.storage.internal;

import io.ordo.proto.ChangelogRecord;
import java.nio.charset.StandardCharsets;

/** Validation of changelog records before they reach the store. */
public final class ChangelogRecords {
  private ChangelogRecords() {}

  /**
   * Why {@code record} cannot be applied, or null if it can: it needs a key of 1..{@value
   * VersionKeys#KEY_BYTES_MAX} UTF-8 bytes, a position, and an LSN of at least 1.
   */
  public static String invalidReason(ChangelogRecord record) {
    if (record == null) {
      return "record is null";
    }
    if (record.getKey().isEmpty()) {
      return "record (key range " + record.getKeyRange() + ", lsn " + record.getLsn()
          + ") has an empty key";
    }
    int keyBytes = record.getKey().getBytes(StandardCharsets.UTF_8).length;
    if (keyBytes > VersionKeys.KEY_BYTES_MAX) {
      return "record (key range " + record.getKeyRange() + ", lsn " + record.getLsn()
          + ") has a key of " + keyBytes + " UTF-8 bytes, more than " + VersionKeys.KEY_BYTES_MAX;
    }
    if (!record.hasPosition()) {
      return "record for key '" + record.getKey() + "' (key range " + record.getKeyRange()
          + ", lsn " + record.getLsn() + ") has no position";
    }
    if (record.getLsn() < 1) {
      return "record for key '" + record.getKey() + "' (key range " + record.getKeyRange()
          + ") has lsn " + record.getLsn() + "; LSNs start at 1";
    }
    return null;
  }
}
