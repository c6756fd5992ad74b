package io.ordo.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ordo.launcher.cli.StreamCliHarnessTest.Harness;
import io.ordo.launcher.cli.StreamCliHarnessTest.Run;
import io.ordo.proto.Consumer;
import io.ordo.proto.CreateSubscriptionRequest;
import io.ordo.proto.DeleteSubscriptionRequest;
import io.ordo.proto.DeleteSubscriptionResponse;
import io.ordo.proto.GetSubscriptionRequest;
import io.ordo.proto.ListConsumersRequest;
import io.ordo.proto.ListConsumersResponse;
import io.ordo.proto.ListSubscriptionsRequest;
import io.ordo.proto.ListSubscriptionsResponse;
import io.ordo.proto.Position;
import io.ordo.proto.ReadFrom;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.RecordId;
import io.ordo.proto.ShardProgress;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.StreamingFetchRequest;
import io.ordo.proto.StreamingFetchResponse;
import io.ordo.proto.Subscription;
import io.ordo.proto.SubscriptionDetail;
import io.ordo.proto.SubscriptionsGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ordo sub} against a fake Subscriptions service: the requests the options produce, the
 * text and JSON output, and {@code fetch}'s acks, {@code --max}, idle stop and end of the call.
 */
@Timeout(60)
class SubCommandTest {
  /**
   * The fake Subscriptions service. StreamingFetch records every request; after the first it
   * sends {@link #deliveries} and then, if {@link #endAfterDelivering}, ends the call. It ends the
   * call when the client half-closes, unless {@link #ignoreHalfClose}.
   */
  static final class FakeSubscriptions extends SubscriptionsGrpc.SubscriptionsImplBase {
    final List<Message> requests = new CopyOnWriteArrayList<>();
    final List<StreamingFetchRequest> fetchRequests = new CopyOnWriteArrayList<>();
    final CountDownLatch halfClosed = new CountDownLatch(1);
    final CountDownLatch fetchCancelled = new CountDownLatch(1);
    volatile Status failWith;
    volatile Status consumersFailWith;
    volatile Status fetchFailsWith;
    volatile boolean endAfterDelivering;
    volatile boolean ignoreHalfClose;
    Subscription subscription = Subscription.getDefaultInstance();
    SubscriptionDetail detail = SubscriptionDetail.getDefaultInstance();
    ListSubscriptionsResponse subscriptions = ListSubscriptionsResponse.getDefaultInstance();
    ListConsumersResponse consumers = ListConsumersResponse.getDefaultInstance();
    List<StreamingFetchResponse> deliveries = List.of();

    private <T> void answer(Message request, StreamObserver<T> responses, T response, Status fail) {
      requests.add(request);
      if (fail != null) {
        responses.onError(fail.asRuntimeException());
        return;
      }
      responses.onNext(response);
      responses.onCompleted();
    }

    @Override
    public void createSubscription(CreateSubscriptionRequest request, StreamObserver<Subscription> responses) {
      answer(request, responses, subscription, failWith);
    }

    @Override
    public void getSubscription(GetSubscriptionRequest request, StreamObserver<SubscriptionDetail> responses) {
      answer(request, responses, detail, failWith);
    }

    @Override
    public void listSubscriptions(
        ListSubscriptionsRequest request, StreamObserver<ListSubscriptionsResponse> responses) {
      answer(request, responses, subscriptions, failWith);
    }

    @Override
    public void listConsumers(ListConsumersRequest request, StreamObserver<ListConsumersResponse> responses) {
      answer(request, responses, consumers, consumersFailWith);
    }

    @Override
    public void deleteSubscription(
        DeleteSubscriptionRequest request, StreamObserver<DeleteSubscriptionResponse> responses) {
      answer(request, responses, DeleteSubscriptionResponse.getDefaultInstance(), failWith);
    }

    @Override
    public StreamObserver<StreamingFetchRequest> streamingFetch(
        StreamObserver<StreamingFetchResponse> responses) {
      // After the client's half-close, a cancellation reaches only this handler, not onError.
      ((ServerCallStreamObserver<StreamingFetchResponse>) responses).setOnCancelHandler(fetchCancelled::countDown);
      return new StreamObserver<>() {
        private boolean first = true;

        @Override
        public void onNext(StreamingFetchRequest request) {
          fetchRequests.add(request);
          if (!first) {
            return;
          }
          first = false;
          if (fetchFailsWith != null) {
            responses.onError(fetchFailsWith.asRuntimeException());
            return;
          }
          deliveries.forEach(responses::onNext);
          if (endAfterDelivering) {
            responses.onCompleted();
          }
        }

        @Override
        public void onError(Throwable t) {
          fetchCancelled.countDown();
        }

        @Override
        public void onCompleted() {
          halfClosed.countDown();
          if (!ignoreHalfClose && !endAfterDelivering && fetchFailsWith == null) {
            responses.onCompleted();
          }
        }
      };
    }
  }

  private final FakeSubscriptions subs = new FakeSubscriptions();
  private Harness harness;

  @BeforeEach
  void start() throws Exception {
    harness = new Harness(subs);
  }

  @AfterEach
  void stop() throws Exception {
    harness.close();
  }

  private static Subscription audit() {
    return Subscription.newBuilder()
        .setId("audit")
        .setStream("orders")
        .setAckTimeoutSeconds(45)
        .setMaxUnackedRecords(10)
        .setFrom(ReadFrom.Special.LATEST)
        .build();
  }

  private static ReceivedRecord record(long shard, long offset) {
    return ReceivedRecord.newBuilder()
        .setId(RecordId.newBuilder().setShardId(shard).setOffset(offset))
        .setPosition(Position.newBuilder().setTs(1_796_054_400_000L))
        .setRecord(StreamRecord.newBuilder().setPartitionKey("k").setRaw(ByteString.copyFromUtf8("r" + shard + "." + offset)))
        .build();
  }

  /** A delivery of records {@code shard.from .. shard.(to - 1)}. */
  private static StreamingFetchResponse delivery(long shard, long from, long to) {
    StreamingFetchResponse.Builder b = StreamingFetchResponse.newBuilder();
    LongStream.range(from, to).forEach(o -> b.addRecords(record(shard, o)));
    return b.build();
  }

  private static RecordId id(long shard, long offset) {
    return RecordId.newBuilder().setShardId(shard).setOffset(offset).build();
  }

  /** Every ack of the fetch, in the order sent. */
  private List<RecordId> acks() {
    List<RecordId> all = new ArrayList<>();
    subs.fetchRequests.forEach(r -> all.addAll(r.getAcksList()));
    return all;
  }

  private static List<String> payloads(String out) {
    return out.lines().map(l -> l.substring(l.lastIndexOf('\t') + 1)).toList();
  }

  @Test
  void createSendsEveryOptionAndPrintsTheSubscription() {
    subs.subscription = audit();
    Run run =
        harness.run("sub", "create", "audit", "--stream", "orders", "--ack-timeout", "45",
            "--max-unacked", "10", "--from", "latest");
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_OK);
    assertThat(subs.requests)
        .containsExactly(
            CreateSubscriptionRequest.newBuilder()
                .setId("audit")
                .setStream("orders")
                .setAckTimeoutSeconds(45)
                .setMaxUnackedRecords(10)
                .setFrom(ReadFrom.Special.LATEST)
                .build());
    assertThat(run.out())
        .isEqualTo(
            """
            id:            audit
            stream:        orders
            ack timeout:   45s
            max unacked:   10
            from:          latest
            """);
  }

  @Test
  void createDefaultsLeaveTheGatewaysDefaults() {
    subs.subscription = Subscription.newBuilder().setId("a").setStream("s").build();
    Run run = harness.run("sub", "create", "a", "--stream", "s", "--ack-timeout", "2m");
    assertThat(run.exitCode()).isZero();
    assertThat(subs.requests)
        .containsExactly(
            CreateSubscriptionRequest.newBuilder()
                .setId("a")
                .setStream("s")
                .setAckTimeoutSeconds(120)
                .setFrom(ReadFrom.Special.EARLIEST)
                .build());
    assertThat(run.out()).contains("ack timeout:   default\n", "max unacked:   default\n", "from:          earliest\n");
  }

  @Test
  void badSubOptionsAreUsageErrors() {
    String[][] cases = {
      {"sub", "create", "a"},
      {"sub", "create", "a", "--stream", "s", "--ack-timeout", "1500ms"},
      {"sub", "create", "a", "--stream", "s", "--max-unacked", "-1"},
      {"sub", "create", "a", "--stream", "s", "--from", "17"},
      {"sub", "fetch", "a", "--max", "-3"},
      {"sub", "fetch", "a", "--consumer", " "},
      {"sub", "delete"},
    };
    String[] reasons = {
      "Missing required option: '--stream=S'",
      "--ack-timeout must be whole seconds, got 1500 ms",
      "--max-unacked must not be negative, got -1",
      "Invalid value for option '--from'",
      "--max must not be negative, got -3",
      "--consumer must not be blank",
      "Missing required parameter: 'ID'",
    };
    for (int i = 0; i < cases.length; i++) {
      Run run = harness.run(cases[i]);
      assertThat(run.exitCode()).as(String.join(" ", cases[i])).isEqualTo(OrdoCli.EXIT_USAGE);
      assertThat(run.err()).as(String.join(" ", cases[i])).contains(reasons[i]);
    }
    assertThat(subs.requests).isEmpty();
    assertThat(subs.fetchRequests).isEmpty();
  }

  @Test
  void listPrintsATableAndFiltersByStream() {
    subs.subscriptions =
        ListSubscriptionsResponse.newBuilder()
            .addSubscriptions(audit())
            .addSubscriptions(Subscription.newBuilder().setId("billing-export").setStream("orders"))
            .build();
    Run run = harness.run("sub", "list", "--stream", "orders");
    assertThat(subs.requests).containsExactly(ListSubscriptionsRequest.newBuilder().setStream("orders").build());
    assertThat(run.out())
        .isEqualTo(
            """
            ID              STREAM  ACK_TIMEOUT_S  MAX_UNACKED  FROM
            audit           orders  45             10           latest
            billing-export  orders  0              0            earliest
            """);
    subs.subscriptions = ListSubscriptionsResponse.getDefaultInstance();
    assertThat(harness.run("sub", "list").out()).isEqualTo("no subscriptions\n");
  }

  @Test
  void describeShowsProgressPerShardAndTheConsumers() {
    subs.detail =
        SubscriptionDetail.newBuilder()
            .setSubscription(audit())
            .addProgress(ShardProgress.newBuilder().setShardId(0).setFloor(120))
            .addProgress(
                ShardProgress.newBuilder()
                    .setShardId(1)
                    .setFloor(7)
                    .addAllAcked(LongStream.range(9, 21).boxed().toList()))
            .build();
    subs.consumers =
        ListConsumersResponse.newBuilder()
            .addConsumers(Consumer.newBuilder().setName("worker-1").addAssignedShardIds(0).addAssignedShardIds(1).setUnacked(3))
            .build();
    Run run = harness.run("sub", "describe", "audit");
    assertThat(run.exitCode()).isZero();
    assertThat(subs.requests)
        .containsExactly(
            GetSubscriptionRequest.newBuilder().setId("audit").build(),
            ListConsumersRequest.newBuilder().setId("audit").build());
    assertThat(run.out())
        .isEqualTo(
            """
            id:            audit
            stream:        orders
            ack timeout:   45s
            max unacked:   10
            from:          latest

            SHARD  FLOOR  ACKED_ABOVE_FLOOR
            0      120    0
            1      7      12 (9,10,11,12,13,14,15,16,17,18,...)

            CONSUMER  SHARDS  UNACKED
            worker-1  0,1     3
            """);

    Run json = harness.run("sub", "describe", "audit", "--json");
    assertThat(json.out().split("\n")).hasSize(2);
    assertThat(json.out().split("\n")[1]).isEqualTo(
        "{\"consumers\":[{\"name\":\"worker-1\",\"assignedShardIds\":[\"0\",\"1\"],\"unacked\":\"3\"}]}");
  }

  @Test
  void describeWorksWithoutTheConsumerListingButNotWithOtherErrors() {
    subs.detail = SubscriptionDetail.newBuilder().setSubscription(audit()).build();
    subs.consumersFailWith = Status.UNIMPLEMENTED;
    Run run = harness.run("sub", "describe", "audit");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).endsWith("SHARD  FLOOR  ACKED_ABOVE_FLOOR\n");

    subs.consumersFailWith = Status.UNAVAILABLE.withDescription("restarting");
    Run failed = harness.run("sub", "describe", "audit");
    assertThat(failed.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(failed.out()).isEmpty();
    assertThat(failed.err()).isEqualTo("ordo sub describe: error: UNAVAILABLE: restarting\n");
  }

  @Test
  void deletePassesForceAndReportsErrors() {
    Run run = harness.run("sub", "delete", "audit", "--force");
    assertThat(run.out()).isEqualTo("deleted subscription audit\n");
    subs.failWith = Status.FAILED_PRECONDITION.withDescription("2 consumers are connected");
    Run refused = harness.run("sub", "delete", "audit");
    assertThat(refused.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(refused.err()).isEqualTo("ordo sub delete: error: FAILED_PRECONDITION: 2 consumers are connected\n");
    assertThat(subs.requests)
        .containsExactly(
            DeleteSubscriptionRequest.newBuilder().setId("audit").setForce(true).build(),
            DeleteSubscriptionRequest.newBuilder().setId("audit").build());
  }

  @Test
  void fetchPrintsAndAcksEachRecordUpToMaxAndNoneBeyond() throws Exception {
    subs.deliveries = List.of(delivery(0, 0, 2), delivery(1, 0, 2), delivery(0, 2, 4));
    Run run = harness.run("sub", "fetch", "audit", "--consumer", "worker-1", "--max", "3");
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_OK);
    assertThat(payloads(run.out())).containsExactly("r0.0", "r0.1", "r1.0");
    assertThat(subs.halfClosed.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(subs.fetchRequests.get(0))
        .isEqualTo(StreamingFetchRequest.newBuilder().setSubscriptionId("audit").setConsumerName("worker-1").build());
    assertThat(acks()).containsExactly(id(0, 0), id(0, 1), id(1, 0));
    // Acks of one delivery travel together, and only after the first request.
    assertThat(subs.fetchRequests).hasSize(3);
    assertThat(run.err()).isEmpty();
  }

  @Test
  void fetchWithNoAckSendsNoAcks() throws Exception {
    subs.deliveries = List.of(delivery(0, 0, 2));
    Run run = harness.run("sub", "fetch", "audit", "--max", "2", "--no-ack");
    assertThat(run.exitCode()).isZero();
    assertThat(payloads(run.out())).containsExactly("r0.0", "r0.1");
    assertThat(subs.halfClosed.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(acks()).isEmpty();
    assertThat(subs.fetchRequests.get(0).getConsumerName()).isEqualTo("ordo-cli-" + ProcessHandle.current().pid());
  }

  @Test
  void fetchStopsWhenNoRecordArrivesWithinTheTimeout() throws Exception {
    subs.deliveries = List.of(delivery(2, 5, 7));
    long startNanos = System.nanoTime();
    Run run = harness.run("sub", "fetch", "audit", "--timeout", "500ms");
    assertThat(System.nanoTime() - startNanos).isGreaterThanOrEqualTo(500_000_000L);
    assertThat(run.exitCode()).isZero();
    assertThat(payloads(run.out())).containsExactly("r2.5", "r2.6");
    assertThat(acks()).containsExactly(id(2, 5), id(2, 6));
    assertThat(run.err()).isEqualTo("ordo sub fetch: no record for 500 ms; stopping after 2 records\n");
  }

  @Test
  void fetchEndsWhenTheGatewayEndsTheCall() {
    subs.deliveries = List.of(delivery(0, 0, 1));
    subs.endAfterDelivering = true;
    Run run = harness.run("sub", "fetch", "audit");
    assertThat(run.exitCode()).isZero();
    assertThat(payloads(run.out())).containsExactly("r0.0");
  }

  @Test
  void aFailedFetchIsAnError() {
    subs.fetchFailsWith = Status.NOT_FOUND.withDescription("subscription 'audit' does not exist");
    Run run = harness.run("sub", "fetch", "audit");
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).isEqualTo("ordo sub fetch: error: NOT_FOUND: subscription 'audit' does not exist\n");
  }

  @Test
  void aGatewayThatDoesNotEndTheCallAfterTheHalfCloseIsReportedAndCancelled() throws Exception {
    subs.deliveries = List.of(delivery(0, 0, 1));
    subs.ignoreHalfClose = true;
    Run run = harness.run("sub", "fetch", "audit", "--max", "1", "--timeout", "300ms");
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(payloads(run.out())).containsExactly("r0.0");
    assertThat(run.err())
        .isEqualTo("ordo sub fetch: error: DEADLINE_EXCEEDED: the gateway did not end the fetch within 300 ms"
            + " of its last request; the last acks may not have been applied\n");
    assertThat(subs.fetchCancelled.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void fetchJsonPrintsTheDeliveriesTrimmedToMax() throws Exception {
    subs.deliveries = List.of(delivery(0, 0, 2), delivery(0, 2, 4));
    Run run = harness.run("sub", "fetch", "audit", "--max", "3", "--json");
    assertThat(run.exitCode()).isZero();
    String[] lines = run.out().split("\n");
    assertThat(lines).hasSize(2);
    StreamingFetchResponse.Builder second = StreamingFetchResponse.newBuilder();
    JsonFormat.parser().merge(lines[1], second);
    assertThat(second.build()).isEqualTo(delivery(0, 2, 3));
    assertThat(acks()).containsExactly(id(0, 0), id(0, 1), id(0, 2));
  }
}
