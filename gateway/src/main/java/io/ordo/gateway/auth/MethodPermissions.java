package io.ordo.gateway.auth;

import java.util.Map;
import java.util.Optional;

/**
 * The permission each gRPC method needs when authentication is on; REST routes call the same
 * methods, so they need the same. Reads need {@link Permission#READ}; writes, appends, acks and
 * transactions {@link Permission#WRITE}; creating, deleting, splitting, merging and trimming
 * streams, shards and subscriptions {@link Permission#ADMIN}. The Sql service needs READ to
 * open a session; each statement then needs its own access ({@link io.ordo.sql.SqlAccess}: DML
 * write, DDL admin). Health checks ({@code ordo.v1.Ordo/Health}, {@code grpc.health.v1.Health})
 * are open, so load balancers and orchestrators can probe without a token; {@code GET /metrics}
 * needs READ too (checked by the REST server with {@link BearerAuth}). A method not listed here needs ADMIN, so a new method is
 * never open by omission.
 */
public final class MethodPermissions {
  private MethodPermissions() {}

  /** Methods anyone may call, authenticated or not. */
  private static final java.util.Set<String> OPEN =
      java.util.Set.of("ordo.v1.Ordo/Health", "grpc.health.v1.Health/Check", "grpc.health.v1.Health/Watch");

  private static final Map<String, Permission> NEEDED =
      Map.ofEntries(
          Map.entry("ordo.v1.Ordo/Txn", Permission.WRITE),
          // Pipelined Txn requests: each needs what Txn needs, checked once for the stream.
          Map.entry("ordo.v1.Ordo/TxnStream", Permission.WRITE),
          Map.entry("ordo.v1.Ordo/Get", Permission.READ),
          Map.entry("ordo.v1.Ordo/Put", Permission.WRITE),
          Map.entry("ordo.v1.Ordo/Delete", Permission.WRITE),
          Map.entry("ordo.v1.Streams/CreateStream", Permission.ADMIN),
          Map.entry("ordo.v1.Streams/GetStream", Permission.READ),
          Map.entry("ordo.v1.Streams/ListStreams", Permission.READ),
          Map.entry("ordo.v1.Streams/DeleteStream", Permission.ADMIN),
          Map.entry("ordo.v1.Streams/ListShards", Permission.READ),
          Map.entry("ordo.v1.Streams/LookupShard", Permission.READ),
          Map.entry("ordo.v1.Streams/Append", Permission.WRITE),
          Map.entry("ordo.v1.Streams/ReadShard", Permission.READ),
          Map.entry("ordo.v1.Streams/ReadStream", Permission.READ),
          Map.entry("ordo.v1.Streams/SplitShard", Permission.ADMIN),
          Map.entry("ordo.v1.Streams/MergeShards", Permission.ADMIN),
          Map.entry("ordo.v1.Streams/TrimShard", Permission.ADMIN),
          Map.entry("ordo.v1.Subscriptions/CreateSubscription", Permission.ADMIN),
          Map.entry("ordo.v1.Subscriptions/GetSubscription", Permission.READ),
          Map.entry("ordo.v1.Subscriptions/ListSubscriptions", Permission.READ),
          Map.entry("ordo.v1.Subscriptions/ListConsumers", Permission.READ),
          Map.entry("ordo.v1.Subscriptions/DeleteSubscription", Permission.ADMIN),
          // StreamingFetch carries acks in the same stream; Fetch only receives.
          Map.entry("ordo.v1.Subscriptions/StreamingFetch", Permission.WRITE),
          Map.entry("ordo.v1.Subscriptions/Fetch", Permission.READ),
          Map.entry("ordo.v1.Subscriptions/Ack", Permission.WRITE),
          Map.entry("ordo.v1.Sql/Execute", Permission.READ),
          Map.entry("ordo.v1.Sql/Session", Permission.READ),
          Map.entry("ordo.v1.Sql/Push", Permission.READ),
          // A view's job writes the view's rows, which no statement may: admin only.
          Map.entry("ordo.v1.Sql/ApplyView", Permission.ADMIN),
          Map.entry("grpc.reflection.v1.ServerReflection/ServerReflectionInfo", Permission.READ));

  /**
   * The permission {@code fullMethodName} ({@code package.Service/Method}) needs; empty for an
   * open method.
   */
  public static Optional<Permission> needed(String fullMethodName) {
    if (OPEN.contains(fullMethodName)) {
      return Optional.empty();
    }
    return Optional.of(NEEDED.getOrDefault(fullMethodName, Permission.ADMIN));
  }

  /** Whether {@code fullMethodName} is listed (open or with a permission), for tests. */
  static boolean listed(String fullMethodName) {
    return OPEN.contains(fullMethodName) || NEEDED.containsKey(fullMethodName);
  }
}
