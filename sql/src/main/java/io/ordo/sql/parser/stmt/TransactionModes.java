package io.ordo.sql.parser.stmt;

/**
 * The transaction modes of BEGIN / START TRANSACTION / SET TRANSACTION (PostgreSQL 15
 * "SET TRANSACTION"): each is {@code null} when the statement did not name it. Ordo parses them
 * so clients that send them work; what the engine makes of them is its business.
 *
 * @param isolationLevel "SERIALIZABLE", "REPEATABLE READ", "READ COMMITTED" or
 *     "READ UNCOMMITTED", or null
 * @param readOnly true for READ ONLY, false for READ WRITE, or null
 * @param deferrable true for DEFERRABLE, false for NOT DEFERRABLE, or null
 */
public record TransactionModes(String isolationLevel, Boolean readOnly, Boolean deferrable) {
  /** No mode given. */
  public static final TransactionModes NONE = new TransactionModes(null, null, null);

  /** These modes with the isolation level replaced (the last one written wins, as in PostgreSQL). */
  public TransactionModes withIsolationLevel(String level) {
    return new TransactionModes(level, readOnly, deferrable);
  }

  /** These modes with READ ONLY (true) or READ WRITE (false). */
  public TransactionModes withReadOnly(boolean value) {
    return new TransactionModes(isolationLevel, value, deferrable);
  }

  /** These modes with DEFERRABLE (true) or NOT DEFERRABLE (false). */
  public TransactionModes withDeferrable(boolean value) {
    return new TransactionModes(isolationLevel, readOnly, value);
  }

  /** The modes as SQL, e.g. "ISOLATION LEVEL SERIALIZABLE, READ ONLY"; empty for none. */
  public String toSql() {
    StringBuilder sb = new StringBuilder();
    if (isolationLevel != null) {
      sb.append("ISOLATION LEVEL ").append(isolationLevel);
    }
    if (readOnly != null) {
      sb.append(sb.length() > 0 ? ", " : "").append(readOnly ? "READ ONLY" : "READ WRITE");
    }
    if (deferrable != null) {
      sb.append(sb.length() > 0 ? ", " : "").append(deferrable ? "DEFERRABLE" : "NOT DEFERRABLE");
    }
    return sb.toString();
  }
}
