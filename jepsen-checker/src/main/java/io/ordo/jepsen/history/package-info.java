/**
 * Histories in Jepsen's format: operations ({@link io.ordo.jepsen.history.Op}), well-formed
 * histories ({@link io.ordo.jepsen.history.History}), recording and reading/writing them as Jepsen
 * EDN and elle-cli-compatible JSON, so histories recorded here can also be checked by the real
 * Jepsen tools elsewhere.
 */
package io.ordo.jepsen.history;
