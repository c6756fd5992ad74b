package io.ordo.jepsen.workload;

import java.util.List;

/** The workloads by name, with the default sizes {@code ordo jepsen} uses. */
public final class Workloads {
  /** Names accepted by {@link #create}, in a fixed order. */
  public static final List<String> NAMES = List.of("list-append", "rw-register", "bank", "kv", "stream");

  /** list-append: keys in use at a time, and appends after which a key is retired (Elle's 32). */
  public static final int LIST_APPEND_ACTIVE_KEYS = 10;
  public static final int LIST_APPEND_APPENDS_PER_KEY_MAX = 32;
  /** rw-register: number of keys. */
  public static final int RW_REGISTER_KEYS = 8;
  /** bank: accounts, initial balance of each, largest transfer. */
  public static final int BANK_ACCOUNTS = 8;
  public static final long BANK_INITIAL_BALANCE = 100;
  public static final long BANK_AMOUNT_MAX = 5;
  /** kv: number of keys. */
  public static final int KV_KEYS = 5;
  /** stream: shards of the stream, and the subscription's ack timeout in seconds. */
  public static final int STREAM_SHARDS = 3;
  public static final int STREAM_ACK_TIMEOUT_SECONDS = 2;

  private Workloads() {}

  /**
   * A new workload with the default sizes.
   *
   * @param keyPrefix prefix of every Ordo key the workload touches
   * @throws IllegalArgumentException for an unknown name, listing the known ones
   */
  public static Workload create(String name, String keyPrefix) {
    return switch (name) {
      case "list-append" -> new ListAppendWorkload(keyPrefix, LIST_APPEND_ACTIVE_KEYS, LIST_APPEND_APPENDS_PER_KEY_MAX);
      case "rw-register" -> new RwRegisterWorkload(keyPrefix, RW_REGISTER_KEYS);
      case "bank" -> new BankWorkload(keyPrefix, BANK_ACCOUNTS, BANK_INITIAL_BALANCE, BANK_AMOUNT_MAX);
      case "kv" -> new KvWorkload(keyPrefix, KV_KEYS);
      // Needs a StreamClient: StreamWorkload.bind or connect before the run.
      case "stream" -> new StreamWorkload(keyPrefix, STREAM_SHARDS, STREAM_ACK_TIMEOUT_SECONDS);
      default -> throw new IllegalArgumentException("unknown workload '" + name + "'; known: " + String.join(", ", NAMES));
    };
  }
}
