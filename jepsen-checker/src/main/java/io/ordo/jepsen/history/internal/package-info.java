/**
 * Implementation details of the history formats: converting between Jepsen's plain-data values and
 * the EDN/JSON libraries' representations, and building {@link io.ordo.jepsen.history.Op}s from
 * parsed op maps. Not an API: use {@link io.ordo.jepsen.history.EdnHistory}, {@link
 * io.ordo.jepsen.history.JsonHistory} and {@link io.ordo.jepsen.history.HistoryFiles}.
 */
package io.ordo.jepsen.history.internal;
