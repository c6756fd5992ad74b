/**
 * Helpers for the executor job's integration tests: a real single-node Kafka broker with topic
 * layouts, sequencers and heartbeats ({@link io.ordo.executor.testing.KafkaTestBed}), readers of
 * the output topics ({@link io.ordo.executor.testing.TopicReader}, {@link
 * io.ordo.executor.testing.ResultsCollector}), seeded transaction generators ({@link
 * io.ordo.executor.testing.Workloads}, {@link io.ordo.executor.testing.Txns}) and the
 * consumer-side views of the changelog that the tests compare ({@link
 * io.ordo.executor.testing.Changelogs}).
 *
 * <p>Nothing here is mocked: every helper talks to the real broker. Waits are bounded by
 * explicit timeouts and collections by explicit maxima, so a broken job fails a test with a
 * message instead of hanging it.
 */
package io.ordo.executor.testing;
