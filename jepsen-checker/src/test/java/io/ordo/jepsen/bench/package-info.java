/**
 * Benchmarks of the checkers (main classes, not tests): they print scale figures such as the time
 * and memory to check a 100,000-transaction list-append history.
 */
package io.ordo.jepsen.bench;
