package io.ordo.gateway.streams;

/**
 * The internal keys under which streams, shards and subscriptions live in Ordo's key space. All
 * start with {@link #RESERVED_PREFIX} (U+0000), which client transactions may not use ({@code
 * Validation}), so only the gateway's stream and subscription services write them.
 *
 * <ul>
 *   <li>{@code \u0000ordo/streams}, {@code \u0000ordo/subs}: bytes of {@code NameList}, the
 *       catalogs of stream and subscription names
 *   <li>{@code \u0000ordo/stream/<name>}: bytes of {@code StreamMetadata}
 *   <li>{@code \u0000ordo/shard/<stream>/<shardId>}: a {@code ShardState} value
 *   <li>{@code \u0000ordo/sub/<id>}: bytes of {@code SubscriptionMetadata}
 *   <li>{@code \u0000ordo/subp/<id>/<shardId>}: a {@code SubscriptionProgress} value
 *   <li>{@code \u0000ordo/subowner/<id>}: bytes of the delivery lease of subscription {@code id}
 *       (which gateway delivers it, until when)
 *   <li>{@code \u0000ordo/ingest/<stream>/<partition>}: counter, the next ingest-topic offset to
 *       append (exactly-once ingest)
 * </ul>
 *
 * Stream and subscription names are 1..255 characters of {@code [A-Za-z0-9._-]}, so the
 * separators cannot be confused; shard ids and partitions are decimal.
 */
public final class StreamKeys {
  /** Every internal key starts with this character. */
  public static final String RESERVED_PREFIX = "\u0000";

  private static final String ROOT = RESERVED_PREFIX + "ordo/";

  private StreamKeys() {}

  /** The catalog of stream names. */
  public static String streamCatalog() {
    return ROOT + "streams";
  }

  /** The catalog of subscription ids. */
  public static String subscriptionCatalog() {
    return ROOT + "subs";
  }

  /** The metadata key of stream {@code name}. */
  public static String stream(String name) {
    return ROOT + "stream/" + name;
  }

  /** The key of shard {@code shardId} of {@code stream}. */
  public static String shard(String stream, long shardId) {
    return ROOT + "shard/" + stream + "/" + shardId;
  }

  /** The metadata key of subscription {@code id}. */
  public static String subscription(String id) {
    return ROOT + "sub/" + id;
  }

  /** The progress key of subscription {@code id} over shard {@code shardId}. */
  public static String progress(String id, long shardId) {
    return ROOT + "subp/" + id + "/" + shardId;
  }

  /** The delivery-lease key of subscription {@code id}: which gateway delivers it, until when. */
  public static String subscriptionOwner(String id) {
    return ROOT + "subowner/" + id;
  }

  /** The ingest-progress key of partition {@code partition} of stream {@code stream}'s topic. */
  public static String ingest(String stream, int partition) {
    return ROOT + "ingest/" + stream + "/" + partition;
  }

  /** Whether {@code key} is an internal key. */
  public static boolean isReserved(String key) {
    return key.startsWith(RESERVED_PREFIX);
  }
}
