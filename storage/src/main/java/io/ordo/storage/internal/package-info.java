/**
 * Implementation details of {@link io.ordo.storage}: the byte encodings of version keys, version
 * values and metadata keys in RocksDB, changelog record validation, and the per-key-range LSN
 * bookkeeping used to drop duplicates. Not an API; may change without notice.
 */
package io.ordo.storage.internal;
