/**
 * The stream/queue checker ({@link io.ordo.jepsen.checker.stream.StreamChecker}, name "stream"):
 * Jepsen's Kafka workload analysis (jepsen.tests.kafka) for histories of sends to and polls from
 * totally ordered, append-only partitioned logs. It finds inconsistent offsets, duplicates, lost
 * and unseen writes, skipped or backwards polls and sends, and aborted reads (G1a), and reports
 * which of them the chosen delivery mode allows.
 */
package io.ordo.jepsen.checker.stream;
