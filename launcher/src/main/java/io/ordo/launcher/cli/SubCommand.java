package io.ordo.launcher.cli;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.ordo.proto.CreateSubscriptionRequest;
import io.ordo.proto.DeleteSubscriptionRequest;
import io.ordo.proto.DeleteSubscriptionResponse;
import io.ordo.proto.GetSubscriptionRequest;
import io.ordo.proto.ListConsumersRequest;
import io.ordo.proto.ListConsumersResponse;
import io.ordo.proto.ListSubscriptionsRequest;
import io.ordo.proto.ListSubscriptionsResponse;
import io.ordo.proto.ReadFrom;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.ShardProgress;
import io.ordo.proto.StreamingFetchRequest;
import io.ordo.proto.StreamingFetchResponse;
import io.ordo.proto.Subscription;
import io.ordo.proto.SubscriptionDetail;
import io.ordo.proto.SubscriptionsGrpc;
import io.ordo.proto.SubscriptionsGrpc.SubscriptionsBlockingStub;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code ordo sub ...}: creates, lists, describes and deletes subscriptions and fetches their
 * records, by calling a running gateway's {@code Subscriptions} gRPC service. One class per
 * subcommand, nested here; the shared options and the error mapping are in {@link
 * GatewayCallCommand}. Given no subcommand, picocli reports a usage error.
 */
@Command(
    name = "sub",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    description = "Subscriptions of a running gateway: create, list, describe, delete, and fetch"
        + " records (acknowledging them).",
    subcommands = {
      SubCommand.Create.class,
      SubCommand.ListSubscriptions.class,
      SubCommand.Describe.class,
      SubCommand.Delete.class,
      SubCommand.Fetch.class
    })
public final class SubCommand implements ClientIo.Holder {
  /** Replaced by tests; see {@link ClientIo}. */
  ClientIo clientIo = ClientIo.system();

  @Override
  public ClientIo clientIo() {
    return clientIo;
  }

  /** Where a new subscription starts, as the command line spells it. */
  enum Start {
    earliest(ReadFrom.Special.EARLIEST),
    latest(ReadFrom.Special.LATEST);

    final ReadFrom.Special special;

    Start(ReadFrom.Special special) {
      this.special = special;
    }
  }

  /** Most acked offsets above the floor that {@code describe} lists per shard (it counts all). */
  static final int ACKED_SHOWN_MAX = 10;

  /** Prints a subscription as {@code field: value} lines. */
  static void printSubscription(PrintWriter out, Subscription s) {
    out.println("id:            " + s.getId());
    out.println("stream:        " + s.getStream());
    out.println("ack timeout:   " + StreamCommand.retention(s.getAckTimeoutSeconds()).replace("forever", "default"));
    out.println("max unacked:   " + (s.getMaxUnackedRecords() == 0 ? "default" : s.getMaxUnackedRecords()));
    out.println("from:          " + start(s.getFrom()));
  }

  private static String start(ReadFrom.Special from) {
    return from == ReadFrom.Special.LATEST ? "latest" : "earliest";
  }

  /** {@code 3 (12,14,15)}: how many, and the first {@value #ACKED_SHOWN_MAX} of them. */
  static String acked(List<Long> acked) {
    if (acked.isEmpty()) {
      return "0";
    }
    String shown =
        acked.stream().limit(ACKED_SHOWN_MAX).map(String::valueOf).collect(Collectors.joining(","));
    return acked.size() + " (" + shown + (acked.size() > ACKED_SHOWN_MAX ? ",..." : "") + ")";
  }

  /** {@code ordo sub create ID --stream S [--ack-timeout S] [--max-unacked N] [--from ...]}. */
  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description = "Create a subscription to a stream.")
  static final class Create extends GatewayCallCommand.WithJsonFlag {
    @Parameters(index = "0", paramLabel = "ID", description = "1..255 characters of [A-Za-z0-9._-].")
    String id;

    @Option(names = "--stream", required = true, paramLabel = "S", description = "The stream.")
    String stream;

    @Option(
        names = "--ack-timeout",
        paramLabel = "DURATION",
        defaultValue = "0",
        converter = DurationConverter.class,
        description = "Unacked records are redelivered after this long, in whole seconds (plain"
            + " numbers are seconds); 0 = the gateway's default (30 s).")
    Duration ackTimeout;

    @Option(
        names = "--max-unacked",
        paramLabel = "N",
        description = "Delivery pauses while N records are unacked; 0 = the gateway's default (1000).")
    int maxUnacked;

    @Option(names = "--from", paramLabel = "earliest|latest", description = "Where delivery starts.")
    Start from = Start.earliest;

    @Override
    void validate() {
      StreamCommand.wholeSeconds(this, "--ack-timeout", ackTimeout, Integer.MAX_VALUE);
      if (maxUnacked < 0) {
        throw new ParameterException(
            spec.commandLine(), "--max-unacked must not be negative, got " + maxUnacked);
      }
    }

    @Override
    int run(ManagedChannel channel) {
      Subscription subscription =
          withDeadline(SubscriptionsGrpc.newBlockingStub(channel))
              .createSubscription(
                  CreateSubscriptionRequest.newBuilder()
                      .setId(id)
                      .setStream(stream)
                      .setAckTimeoutSeconds((int) ackTimeout.getSeconds())
                      .setMaxUnackedRecords(maxUnacked)
                      .setFrom(from.special)
                      .build());
      if (json()) {
        printJson(subscription);
      } else {
        printSubscription(out(), subscription);
      }
      return OrdoCli.EXIT_OK;
    }
  }

  /** {@code ordo sub list [--stream S]}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description = "List subscriptions.")
  static final class ListSubscriptions extends GatewayCallCommand.WithJsonFlag {
    @Option(
        names = "--stream",
        paramLabel = "S",
        showDefaultValue = Visibility.NEVER,
        description = "Only the subscriptions of this stream.")
    String stream = "";

    @Override
    int run(ManagedChannel channel) {
      ListSubscriptionsResponse response =
          withDeadline(SubscriptionsGrpc.newBlockingStub(channel))
              .listSubscriptions(ListSubscriptionsRequest.newBuilder().setStream(stream).build());
      if (json()) {
        printJson(response);
      } else if (response.getSubscriptionsCount() == 0) {
        out().println(stream.isEmpty() ? "no subscriptions" : "no subscriptions of stream " + stream);
      } else {
        TextTable t = new TextTable("ID", "STREAM", "ACK_TIMEOUT_S", "MAX_UNACKED", "FROM");
        for (Subscription s : response.getSubscriptionsList()) {
          t.row(s.getId(), s.getStream(), s.getAckTimeoutSeconds(), s.getMaxUnackedRecords(), start(s.getFrom()));
        }
        t.print(out());
      }
      return OrdoCli.EXIT_OK;
    }
  }

  /** {@code ordo sub describe ID}: the subscription, its per-shard progress and its consumers. */
  @Command(
      name = "describe",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description = {
        "Show a subscription, its progress per shard (every offset below FLOOR is acked, and ACKED"
            + " above it) and its connected consumers.",
        "With --json: the SubscriptionDetail, then the ListConsumersResponse, one per line."
      })
  static final class Describe extends GatewayCallCommand.WithJsonFlag {
    @Parameters(index = "0", paramLabel = "ID", description = "The subscription.")
    String id;

    @Override
    int run(ManagedChannel channel) {
      SubscriptionsBlockingStub stub = withDeadline(SubscriptionsGrpc.newBlockingStub(channel));
      SubscriptionDetail detail = stub.getSubscription(GetSubscriptionRequest.newBuilder().setId(id).build());
      ListConsumersResponse consumers;
      try {
        consumers = stub.listConsumers(ListConsumersRequest.newBuilder().setId(id).build());
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNIMPLEMENTED) {
          throw e;
        }
        // A gateway without the consumer listing still shows the rest.
        consumers = null;
      }
      if (json()) {
        printJson(detail);
        if (consumers != null) {
          printJson(consumers);
        }
        return OrdoCli.EXIT_OK;
      }
      PrintWriter out = out();
      printSubscription(out, detail.getSubscription());
      out.println();
      TextTable progress = new TextTable("SHARD", "FLOOR", "ACKED_ABOVE_FLOOR");
      for (ShardProgress p : detail.getProgressList()) {
        progress.row(p.getShardId(), p.getFloor(), acked(p.getAckedList()));
      }
      progress.print(out);
      if (consumers != null) {
        out.println();
        if (consumers.getConsumersCount() == 0) {
          out.println("no consumers connected");
        } else {
          TextTable t = new TextTable("CONSUMER", "SHARDS", "UNACKED");
          for (var c : consumers.getConsumersList()) {
            t.row(c.getName(), StreamCommand.ids(c.getAssignedShardIdsList()), c.getUnacked());
          }
          t.print(out);
        }
      }
      return OrdoCli.EXIT_OK;
    }
  }

  /** {@code ordo sub delete ID [--force]}. */
  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description = "Delete a subscription.")
  static final class Delete extends GatewayCallCommand.WithJsonFlag {
    @Parameters(index = "0", paramLabel = "ID", description = "The subscription.")
    String id;

    @Option(names = "--force", description = "Delete it even while consumers are connected.")
    boolean force;

    @Override
    int run(ManagedChannel channel) {
      DeleteSubscriptionResponse response =
          withDeadline(SubscriptionsGrpc.newBlockingStub(channel))
              .deleteSubscription(DeleteSubscriptionRequest.newBuilder().setId(id).setForce(force).build());
      if (json()) {
        printJson(response);
      } else {
        out().println("deleted subscription " + id);
      }
      return OrdoCli.EXIT_OK;
    }
  }

  /**
   * {@code ordo sub fetch ID [--consumer NAME] [--max N] [--no-ack]}: one StreamingFetch call.
   * Records are printed as {@code stream read} prints them and, unless {@code --no-ack}, acked in
   * the same call right after they are printed (at-least-once: a record printed just before a
   * crash may be delivered again). Records that arrive beyond {@code --max} are neither printed
   * nor acked; the gateway redelivers them after the ack timeout.
   *
   * <p>The call receives one response at a time (gRPC flow control), so at most one response
   * waits in memory. It ends when {@code --max} records were printed, when none arrived for
   * {@code --timeout} (exit 0: the subscription is drained for now), or when the gateway ends it.
   * Then the command half-closes and waits up to {@code --timeout} for the gateway to end the call,
   * which tells that the acks sent were received.
   */
  @Command(
      name = "fetch",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description = {
        "Fetch records of a subscription, print them as 'stream read' does, and acknowledge each"
            + " printed record (unless --no-ack).",
        "Stops after --max records, or when no record arrived for --timeout (0 = wait for ever)."
            + " With --json: each StreamingFetchResponse (only the records printed), one per line."
      })
  static final class Fetch extends GatewayCallCommand.WithJsonFlag {
    @Parameters(index = "0", paramLabel = "ID", description = "The subscription.")
    String id;

    @Option(
        names = "--consumer",
        paramLabel = "NAME",
        description = "Consumer name; shards are assigned per consumer (default: ordo-cli-<pid>).")
    String consumer;

    @Option(names = "--max", paramLabel = "N", description = "Stop after N records; 0 = no limit.")
    long max;

    @Option(names = "--no-ack", description = "Print records without acknowledging them.")
    boolean noAck;

    @Override
    void validate() {
      if (max < 0) {
        throw new ParameterException(spec.commandLine(), "--max must not be negative, got " + max);
      }
      if (consumer == null) {
        consumer = "ordo-cli-" + ProcessHandle.current().pid();
      } else if (consumer.isBlank()) {
        throw new ParameterException(spec.commandLine(), "--consumer must not be blank");
      }
    }

    /** What the call delivered: a response, or its end (status OK or an error). */
    private record Event(StreamingFetchResponse response, Status end) {}

    @Override
    int run(ManagedChannel channel) throws InterruptedException {
      // Capacity 2: one requested response plus the call's end; the observer never blocks.
      BlockingQueue<Event> events = new ArrayBlockingQueue<>(2);
      AtomicReference<ClientCallStreamObserver<StreamingFetchRequest>> requestStream = new AtomicReference<>();
      ClientResponseObserver<StreamingFetchRequest, StreamingFetchResponse> observer =
          new ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<StreamingFetchRequest> requests) {
              requests.disableAutoRequestWithInitial(1);
              requestStream.set(requests);
            }

            @Override
            public void onNext(StreamingFetchResponse response) {
              events.add(new Event(response, null));
            }

            @Override
            public void onError(Throwable t) {
              events.add(new Event(null, Status.fromThrowable(t)));
            }

            @Override
            public void onCompleted() {
              events.add(new Event(null, Status.OK));
            }
          };
      // beforeStart runs inside streamingFetch, so the request side is set when it returns.
      SubscriptionsGrpc.newStub(channel).streamingFetch(observer);
      ClientCallStreamObserver<StreamingFetchRequest> requests = requestStream.get();
      requests.onNext(
          StreamingFetchRequest.newBuilder().setSubscriptionId(id).setConsumerName(consumer).build());
      long printed = 0;
      Status end = null;
      try {
        while (max == 0 || printed < max) {
          Event event = timeout.isZero() ? events.take() : events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
          if (event == null) {
            note("no record for " + timeout.toMillis() + " ms; stopping after " + printed + " records");
            break;
          }
          if (event.end() != null) {
            end = event.end();
            break;
          }
          StreamingFetchResponse response = event.response();
          List<ReceivedRecord> records = response.getRecordsList();
          if (max > 0 && records.size() > max - printed) {
            records = records.subList(0, (int) (max - printed));
            response = StreamingFetchResponse.newBuilder().addAllRecords(records).build();
          }
          StreamCommand.printRecords(this, records, response);
          printed += records.size();
          if (!noAck && !records.isEmpty()) {
            requests.onNext(
                StreamingFetchRequest.newBuilder()
                    .addAllAcks(records.stream().map(ReceivedRecord::getId).toList())
                    .build());
          }
          requests.request(1);
        }
        if (end == null) {
          end = finish(requests, events);
        }
      } finally {
        if (end == null) {
          requests.cancel("ordo sub fetch stopped", null);
        }
      }
      if (!end.isOk()) {
        return reportError(end);
      }
      return OrdoCli.EXIT_OK;
    }

    /**
     * Half-closes the call and waits up to {@code --timeout} for the gateway to end it, dropping
     * (not acking) records that arrive meanwhile. Returns the call's end; on a timeout the call is
     * cancelled and the status says that the last acks may not have arrived.
     */
    private Status finish(
        ClientCallStreamObserver<StreamingFetchRequest> requests, BlockingQueue<Event> events)
        throws InterruptedException {
      requests.onCompleted();
      long deadlineNanos = timeout.isZero() ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
      while (true) {
        long leftNanos = deadlineNanos - System.nanoTime();
        Event event =
            timeout.isZero() ? events.take() : events.poll(Math.max(0, leftNanos), TimeUnit.NANOSECONDS);
        if (event == null) {
          requests.cancel("the gateway did not end the fetch after the client's half-close", null);
          return Status.DEADLINE_EXCEEDED.withDescription(
              "the gateway did not end the fetch within " + timeout.toMillis()
                  + " ms of its last request; the last acks may not have been applied");
        }
        if (event.end() != null) {
          // The gateway ends a fetch the client half-closed; a cancellation by it is not an error.
          return event.end().getCode() == Status.Code.CANCELLED ? Status.OK : event.end();
        }
        // A record sent before the gateway saw the half-close: neither printed nor acked.
        requests.request(1);
      }
    }
  }
}
