/**
 * Linearizability checking of key-value histories in the manner of Porcupine: the history is
 * partitioned by key, and each partition is searched with the Wing–Gong/Lowe algorithm (a doubly
 * linked list of call and return entries, depth-first search with a cache of (linearized set,
 * model state), undo on backtrack). A failing partition is reported with its longest linearizable
 * prefix and the first operation that could not be linearized, and can be drawn as an HTML
 * timeline ({@link io.ordo.jepsen.checker.linearizable.LinearizabilityReport}).
 */
package io.ordo.jepsen.checker.linearizable;
