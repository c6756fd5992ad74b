/**
 * Implementation details of {@link io.ordo.storage}: the byte encodings of version keys, version
 * values, metadata keys and shard-log keys in RocksDB, the shard-log indexing of a batch and its
 * record formats (generated from src/main/proto), changelog record validation, and the
 * per-key-range LSN bookkeeping used to drop duplicates. Not an API; may change without notice.
 */
package io.ordo.storage.internal;
