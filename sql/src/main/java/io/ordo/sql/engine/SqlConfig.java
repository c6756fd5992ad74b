package io.ordo.sql.engine;

/**
 * Limits and settings of the SQL engine.
 *
 * @param statementBytesMax the longest statement text accepted, in UTF-8 bytes (54000 beyond)
 * @param rowsMax the most rows one statement returns or writes (54000 beyond)
 * @param statementTimeoutMs the longest a statement may run, including waits for the log and the
 *     store, in milliseconds (57014 beyond)
 * @param historyRetentionMs how far back {@code AS OF SYSTEM TIME} may read, in milliseconds of
 *     log time before the newest snapshot (older: SQLSTATE 72000)
 * @param retriesMax how many times an autocommit statement whose snapshot reads changed before
 *     its commit is retried (then 40001)
 * @param pushQueriesMax the most push queries ({@code EMIT CHANGES}) running at once on one
 *     gateway, in [1, {@value #PUSH_QUERIES_MAX_CEILING}]; each holds a thread and a session while
 *     it runs (RESOURCE_EXHAUSTED beyond)
 */
public record SqlConfig(
    int statementBytesMax,
    int rowsMax,
    long statementTimeoutMs,
    long historyRetentionMs,
    int retriesMax,
    int pushQueriesMax) {
  /** Default of {@link #pushQueriesMax}. */
  public static final int DEFAULT_PUSH_QUERIES_MAX = 32;

  /** Upper bound of {@link #pushQueriesMax}. */
  public static final int PUSH_QUERIES_MAX_CEILING = 1_024;

  /** Defaults: 1 MiB statements, 10,000 rows, 30 s, 7 days of history, 8 retries, 32 push queries. */
  public static final SqlConfig DEFAULTS =
      new SqlConfig(1 << 20, 10_000, 30_000, 7L * 24 * 3600 * 1000, 8, DEFAULT_PUSH_QUERIES_MAX);

  public SqlConfig {
    if (statementBytesMax < 1 || rowsMax < 1 || statementTimeoutMs < 1 || historyRetentionMs < 0
        || retriesMax < 0) {
      throw new IllegalArgumentException("SQL limits must be positive: " + this);
    }
    if (pushQueriesMax < 1 || pushQueriesMax > PUSH_QUERIES_MAX_CEILING) {
      throw new IllegalArgumentException(
          "pushQueriesMax must be in [1, " + PUSH_QUERIES_MAX_CEILING + "], got " + pushQueriesMax);
    }
  }

  /** The limits without a push query bound given: {@value #DEFAULT_PUSH_QUERIES_MAX} of them. */
  public SqlConfig(
      int statementBytesMax, int rowsMax, long statementTimeoutMs, long historyRetentionMs,
      int retriesMax) {
    this(statementBytesMax, rowsMax, statementTimeoutMs, historyRetentionMs, retriesMax,
        DEFAULT_PUSH_QUERIES_MAX);
  }

  /** This config with another {@link #pushQueriesMax}. */
  public SqlConfig withPushQueriesMax(int max) {
    return new SqlConfig(
        statementBytesMax, rowsMax, statementTimeoutMs, historyRetentionMs, retriesMax, max);
  }
}
