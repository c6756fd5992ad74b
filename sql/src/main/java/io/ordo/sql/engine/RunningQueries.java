package io.ordo.sql.engine;

import io.ordo.sql.Column;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The push queries ({@code SELECT ... EMIT CHANGES}) running in one engine, i.e. on one gateway:
 * what {@code SHOW QUERIES} lists and {@code TERMINATE QUERY} ends. Ids count up from 1 per
 * engine (per gateway start); they name a query on this gateway only.
 *
 * <p>Bounded: at most {@value #QUERIES_MAX} entries (a push query beyond that is refused with
 * 53400 before it starts). The front ends bound their own push queries lower
 * (SqlConfig's push-query limit); connectors' sinks also run push queries, and show here too.
 *
 * <p>Thread-safe.
 */
final class RunningQueries {
  /** Most push queries one engine runs at once. */
  static final int QUERIES_MAX = 4_096;

  static final List<Column> SHOW_QUERIES =
      List.of(
          Column.of("query_id", SqlType.BIGINT),
          Column.of("user", SqlType.TEXT),
          Column.of("query", SqlType.TEXT),
          Column.of("started_at", SqlType.TIMESTAMPTZ),
          Column.of("rows_sent", SqlType.BIGINT),
          Column.of("position", SqlType.TEXT));

  /** One running push query. */
  static final class Entry {
    final long id;
    final String user;
    final String text;
    final long startedAtMs;
    final OrdoSession session;
    final AtomicLong rows = new AtomicLong();
    private volatile String position = "";
    private volatile String terminatedBy;

    Entry(long id, String user, String text, long startedAtMs, OrdoSession session) {
      this.id = id;
      this.user = user;
      this.text = text;
      this.startedAtMs = startedAtMs;
      this.session = session;
    }

    /** The last progress position the query reported, or empty before the first. */
    String position() {
      return position;
    }

    void progress(String position) {
      this.position = Objects.requireNonNull(position, "position");
    }

    /** Who terminated it, or null while nobody did. */
    String terminatedBy() {
      return terminatedBy;
    }
  }

  private final AtomicLong ids = new AtomicLong();
  private final ConcurrentSkipListMap<Long, Entry> running = new ConcurrentSkipListMap<>();

  /**
   * Registers a push query about to start.
   *
   * @param startedAtMs epoch milliseconds (shown only)
   * @throws SqlException 53400 beyond {@value #QUERIES_MAX} running queries
   */
  Entry register(OrdoSession session, String user, String text, long startedAtMs)
      throws SqlException {
    if (running.size() >= QUERIES_MAX) {
      throw new SqlException(
          SqlState.CONFIGURATION_LIMIT_EXCEEDED,
          "this gateway runs " + QUERIES_MAX + " push queries already; end one first");
    }
    Entry e = new Entry(ids.incrementAndGet(), user, text, startedAtMs, session);
    running.put(e.id, e);
    return e;
  }

  void remove(Entry e) {
    running.remove(e.id, e);
  }

  /** SHOW QUERIES: one row per running push query, by id. */
  StatementResult show() {
    List<List<Object>> rows = new ArrayList<>();
    for (Map.Entry<Long, Entry> me : running.entrySet()) {
      Entry e = me.getValue();
      rows.add(Arrays.asList(
          e.id, e.user, e.text,
          OffsetDateTime.ofInstant(Instant.ofEpochMilli(e.startedAtMs), ZoneOffset.UTC),
          e.rows.get(), e.position().isEmpty() ? null : e.position()));
    }
    return new StatementResult("SHOW " + rows.size(), SHOW_QUERIES, rows);
  }

  /**
   * TERMINATE QUERY: ends push query {@code id}, which fails with 57014 naming who ended it.
   *
   * @param by the user asking
   * @param admin whether that user's session has admin access (may end anyone's query)
   * @throws SqlException 42704 when no query {@code id} runs here; 42501 when it is another
   *     user's and {@code by} is not an admin
   */
  StatementResult terminate(long id, String by, boolean admin, int position) throws SqlException {
    Entry e = running.get(id);
    if (e == null) {
      throw new SqlException(
          SqlState.UNDEFINED_OBJECT,
          "no push query " + id + " runs on this gateway (SHOW QUERIES lists them)", position);
    }
    if (!admin && !e.user.equals(by)) {
      throw new SqlException(
          SqlState.INSUFFICIENT_PRIVILEGE,
          "permission denied: push query " + id + " belongs to user \"" + e.user
              + "\"; ending it needs admin access", position);
    }
    e.terminatedBy = by;
    e.session.cancel();
    return StatementResult.command("TERMINATE QUERY");
  }
}
