/**
 * Helpers for the executor job's integration tests.
 *
 * <ul>
 *   <li>{@link io.ordo.executor.testing.KafkaTestBed}: a real single-node Kafka broker with topic
 *       layouts, sequencers, heartbeats and executor configurations;
 *   <li>{@link io.ordo.executor.testing.TopicReader} and {@link
 *       io.ordo.executor.testing.ResultsCollector}: read the output topics back (results by txn
 *       id, with replayed duplicates dropped);
 *   <li>{@link io.ordo.executor.testing.Txns}, {@link io.ordo.executor.testing.Workloads} and
 *       {@link io.ordo.executor.testing.BackgroundClient}: seeded transaction generators and a
 *       client that keeps appending;
 *   <li>{@link io.ordo.executor.testing.Changelogs}, {@link io.ordo.executor.testing.Diffs} and
 *       {@link io.ordo.executor.testing.ReferenceModel}: the consumer-side views of the changelog,
 *       readable differences, and a serial in-memory executor to compare with;
 *   <li>{@link io.ordo.executor.testing.Waits} and {@link io.ordo.executor.testing.TestLogging}:
 *       bounded polling, and logging through {@code log4j2-test.xml}.
 * </ul>
 *
 * <p>Nothing here is mocked: every helper talks to the real broker. Waits are bounded by explicit
 * timeouts and collections by explicit maxima, so a broken job fails a test with a message
 * instead of hanging it.
 */
package io.ordo.executor.testing;
