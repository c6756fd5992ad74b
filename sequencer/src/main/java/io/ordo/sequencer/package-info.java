/**
 * The front of Ordo's pipeline (docs/design.md, "Sequence first"): the layout of Ordo's Kafka
 * topics ({@link io.ordo.sequencer.TopicLayout}, {@link io.ordo.sequencer.LogTopics}), the client
 * that appends log entries ({@link io.ordo.sequencer.Sequencer}), the heartbeats that move idle
 * partitions' watermarks ({@link io.ordo.sequencer.HeartbeatService}), the global log position ({@link io.ordo.sequencer.LogPosition})
 * ({@link io.ordo.sequencer.LogPosition}) and the mapping of keys to key ranges
 * ({@link io.ordo.sequencer.KeyRanges}).
 *
 * <p>Nothing here depends on Flink; the executor job, the storage and the gateway depend on this
 * package.
 */
package io.ordo.sequencer;
