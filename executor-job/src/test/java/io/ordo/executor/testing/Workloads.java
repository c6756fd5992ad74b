package io.ordo.executor.testing;

import static io.ordo.executor.testing.Txns.*;

import io.ordo.proto.Operation;
import io.ordo.proto.Transaction;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded transaction generators. The same seed always gives the same transactions, so a failing
 * run can be replayed as a plain test by fixing its seed.
 */
public final class Workloads {
  private Workloads() {}

  /** {@code prefix00}, {@code prefix01}, ... (two digits at least, so keys sort numerically). */
  public static List<String> keys(String prefix, int n) {
    List<String> keys = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      keys.add(String.format("%s%02d", prefix, i));
    }
    return keys;
  }

  /**
   * A random mix over {@code keyCount} keys: gets, puts, deletes, appends, increments with and
   * without bounds, asserts (absent or equal to a small counter), one to four operations each, so
   * that both single-range and multi-range transactions occur. Key {@code i} is meant to hold a
   * counter when {@code i % 3 == 0}, a list when 1 and bytes when 2; about one operation in
   * twenty-five ignores that, which exercises TYPE_MISMATCH aborts. About 2% of the entries
   * re-use an earlier id (they must get DUPLICATE), a few set {@code return_post_state}, and about
   * 0.5% have no operations (INVALID_TRANSACTION).
   *
   * @param seed the seed; equal seeds give equal lists
   * @param count number of entries (ids are {@code idPrefix-NNNNN} unless re-used)
   */
  public static List<Transaction> randomMix(long seed, int count, int keyCount, String idPrefix) {
    Random random = new Random(seed);
    List<String> keys = keys("k", keyCount);
    List<Transaction> txns = new ArrayList<>(count);
    for (int n = 0; n < count; n++) {
      if (n > 10 && random.nextInt(50) == 0) {
        // Re-submit an earlier id with different operations: the log must deduplicate by id.
        String id = txns.get(random.nextInt(txns.size())).getId();
        txns.add(txn(id, get(keys.get(random.nextInt(keyCount)))));
        continue;
      }
      String id = String.format("%s-%05d", idPrefix, n);
      if (random.nextInt(200) == 0) {
        txns.add(Transaction.newBuilder().setId(id).build());
        continue;
      }
      Transaction.Builder txn = Transaction.newBuilder().setId(id).setReturnPostState(random.nextInt(5) == 0);
      int opCount = 1 + random.nextInt(4);
      for (int i = 0; i < opCount; i++) {
        txn.addOps(randomOp(random, keys));
      }
      txns.add(txn.build());
    }
    return txns;
  }

  private static Operation randomOp(Random random, List<String> keys) {
    int k = random.nextInt(keys.size());
    String key = keys.get(k);
    int type = random.nextInt(25) == 0 ? random.nextInt(3) : k % 3;
    int dice = random.nextInt(100);
    if (dice < 20) {
      return get(key);
    }
    if (dice < 33) {
      return switch (type) {
        case 0 -> put(key, counter(random.nextInt(50)));
        case 1 -> append(key, "p" + random.nextInt(1000));
        default -> put(key, bytes("v" + random.nextInt(1000)));
      };
    }
    if (dice < 38) {
      return delete(key);
    }
    if (dice < 50) {
      return append(type == 1 ? key : keys.get(1 + 3 * random.nextInt(keys.size() / 3)), "e" + random.nextInt(1000));
    }
    if (dice < 85) {
      String counterKey = type == 0 ? key : keys.get(3 * random.nextInt((keys.size() + 2) / 3));
      long delta = random.nextInt(41) - 20;
      return switch (random.nextInt(4)) {
        case 0 -> increment(counterKey, delta);
        case 1 -> incrementWithMin(counterKey, delta, 0);
        case 2 -> incrementBounded(counterKey, delta, 0, 60);
        default -> incrementBounded(counterKey, delta, -30, 30);
      };
    }
    if (random.nextBoolean()) {
      return assertAbsent(key);
    }
    return assertEquals(key, counter(random.nextInt(10)));
  }

  /**
   * An endless seeded stream of client transactions for recovery tests: first one put per account
   * (a counter of {@code initialBalance}), then transfers between distinct accounts (some
   * overdrawing, which abort with BOUND_VIOLATED), appends to list keys, and an occasional read of
   * a few accounts. Ids are {@code idPrefix-NNNNNN}. Not thread-safe.
   */
  public static final class ClientStream {
    private final Random random;
    private final List<String> accounts;
    private final List<String> lists;
    private final long initialBalance;
    private final String idPrefix;
    private int next;

    /**
     * @param seed the seed; equal seeds give equal streams
     * @param accountCount number of accounts ({@code acct00}...)
     * @param listCount number of list keys ({@code list00}...)
     */
    public ClientStream(long seed, int accountCount, int listCount, long initialBalance, String idPrefix) {
      if (accountCount < 2 || listCount < 1) {
        throw new IllegalArgumentException("need >= 2 accounts and >= 1 list, got " + accountCount + ", " + listCount);
      }
      this.random = new Random(seed);
      this.accounts = keys("acct", accountCount);
      this.lists = keys("list", listCount);
      this.initialBalance = initialBalance;
      this.idPrefix = idPrefix;
    }

    /** The accounts, in key order. */
    public List<String> accounts() {
      return accounts;
    }

    /** The next transaction of the stream. */
    public Transaction next() {
      String id = String.format("%s-%06d", idPrefix, next);
      int n = next++;
      if (n < accounts.size()) {
        return txn(id, put(accounts.get(n), counter(initialBalance)));
      }
      int dice = random.nextInt(10);
      if (dice < 6) {
        int a = random.nextInt(accounts.size());
        int b = (a + 1 + random.nextInt(accounts.size() - 1)) % accounts.size();
        return transfer(id, accounts.get(a), accounts.get(b), 1 + random.nextInt((int) Math.max(1, initialBalance / 2)));
      }
      if (dice < 9) {
        String list = lists.get(random.nextInt(lists.size()));
        Transaction.Builder t = txn(id, append(list, id)).toBuilder().setReturnPostState(random.nextBoolean());
        return t.build();
      }
      return txn(id, get(accounts.get(random.nextInt(accounts.size()))), get(accounts.get(random.nextInt(accounts.size()))));
    }
  }
}
