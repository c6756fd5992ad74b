/**
 * Implementation of the Elle checkers: parsed transactions, the compact dependency graph, the
 * strongly-connected-component and cycle search, and option parsing. Not an API: only {@code
 * io.ordo.jepsen.checker.elle} uses it.
 */
package io.ordo.jepsen.checker.elle.internal;
