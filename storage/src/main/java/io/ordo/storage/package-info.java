/**
 * Storage: a materialized, multiversion view of the executor's changelog topic.
 *
 * <p>{@link io.ordo.storage.MultiVersionStore} keeps every version of every key in RocksDB under
 * (key, position), so reads can be made AS OF a position of the global order. {@link
 * io.ordo.storage.ChangelogMaterializer} consumes the changelog topic into a store on one thread,
 * dropping replayed duplicates by (key range, LSN) and storing the consumer offsets in the same
 * atomic write as the data, so that a restart neither loses nor re-applies records.
 *
 * <p>The changelog of stream shard keys is the stream data: the store also indexes every record
 * appended to a shard under (stream, shard, offset), in the same atomic write, and serves shard
 * reads ({@link io.ordo.storage.MultiVersionStore#readShard}, {@link
 * io.ordo.storage.MultiVersionStore#shardState}, {@link
 * io.ordo.storage.MultiVersionStore#offsetAtTimestamp}); live tails wait with {@link
 * io.ordo.storage.ChangelogMaterializer#awaitShardEnd}.
 *
 * <p>This package never imports Flink: storage runs next to the gateway, not inside the job.
 */
package io.ordo.storage;
