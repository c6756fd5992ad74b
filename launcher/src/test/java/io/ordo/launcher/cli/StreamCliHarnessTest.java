package io.ordo.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ordo.proto.AppendRequest;
import io.ordo.proto.AppendResponse;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.DeleteStreamRequest;
import io.ordo.proto.DeleteStreamResponse;
import io.ordo.proto.GetStreamRequest;
import io.ordo.proto.ListShardsRequest;
import io.ordo.proto.ListShardsResponse;
import io.ordo.proto.ListStreamsRequest;
import io.ordo.proto.ListStreamsResponse;
import io.ordo.proto.MergeShardsRequest;
import io.ordo.proto.MergeShardsResponse;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadShardRequest;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.RecordId;
import io.ordo.proto.SplitShardRequest;
import io.ordo.proto.SplitShardResponse;
import io.ordo.proto.Stream;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.TrimShardRequest;
import io.ordo.proto.TrimShardResponse;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The harness of the {@code ordo stream} / {@code ordo sub} tests: an in-process gRPC server with
 * the test's fake services, and a run of the real command line whose channels go to it (the
 * {@code --gateway} target is recorded, not dialled). Its own tests pin what the others rely on.
 */
class StreamCliHarnessTest {
  /** Exit code, stdout and stderr of one run. */
  record Run(int exitCode, String out, String err) {}

  /** The in-process server and the command line wired to it. */
  static final class Harness implements AutoCloseable {
    private final String serverName = InProcessServerBuilder.generateName();
    private final Server server;
    /** The {@code --gateway} targets the commands opened channels to, in order. */
    final List<String> targets = new CopyOnWriteArrayList<>();

    Harness(BindableService... services) throws IOException {
      InProcessServerBuilder builder = InProcessServerBuilder.forName(serverName);
      for (BindableService s : services) {
        builder.addService(s);
      }
      server = builder.build().start();
    }

    /** Runs {@code ordo ARGS} with empty stdin. */
    Run run(String... args) {
      return runWithStdin(new byte[0], args);
    }

    /** Runs {@code ordo ARGS} with {@code stdin}. */
    Run runWithStdin(byte[] stdin, String... args) {
      return runWith(
          new ClientIo(
              target -> {
                targets.add(target);
                return InProcessChannelBuilder.forName(serverName).build();
              },
              new ByteArrayInputStream(stdin)),
          args);
    }

    /** Runs {@code ordo ARGS} with channels from {@code io}. */
    static Run runWith(ClientIo io, String... args) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      CommandLine cli = OrdoCli.newCommandLine();
      ((StreamCommand) cli.getSubcommands().get("stream").getCommand()).clientIo = io;
      ((SubCommand) cli.getSubcommands().get("sub").getCommand()).clientIo = io;
      cli.setOut(new PrintWriter(out, true));
      cli.setErr(new PrintWriter(err, true));
      int exitCode = cli.execute(args);
      return new Run(exitCode, out.toString(), err.toString());
    }

    @Override
    public void close() throws InterruptedException {
      server.shutdownNow();
      assertThat(server.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  /**
   * The fake Streams service: records every request, fails every call with {@link #failWith}
   * when set, and otherwise answers with the canned responses the test put in its fields. An
   * Append gets consecutive offsets in shard 0 unless {@link #appendFailsAt} says which call
   * fails.
   */
  static class FakeStreams extends StreamsGrpc.StreamsImplBase {
    final List<Message> requests = new CopyOnWriteArrayList<>();
    /** Deadlines (remaining ms, or null for none) that calls arrived with, in order. */
    final List<Long> deadlinesMs = new CopyOnWriteArrayList<>();
    volatile Status failWith;
    /** The 1-based Append call that fails with {@link #failWith}; 0 = all calls fail with it. */
    volatile int appendFailsAt;
    /** Calls that never answer (to run into the client's deadline). */
    volatile boolean hang;
    Stream stream = Stream.getDefaultInstance();
    ListStreamsResponse streams = ListStreamsResponse.getDefaultInstance();
    ListShardsResponse shards = ListShardsResponse.getDefaultInstance();
    DeleteStreamResponse deleted = DeleteStreamResponse.getDefaultInstance();
    SplitShardResponse split = SplitShardResponse.getDefaultInstance();
    MergeShardsResponse merged = MergeShardsResponse.getDefaultInstance();
    TrimShardResponse trimmed = TrimShardResponse.getDefaultInstance();
    /** What a read sends, whatever its max_records. */
    List<ReadResponse> reads = List.of();
    /** Whether a read ends after {@link #reads} (else it stays open until cancelled). */
    volatile boolean readCompletes = true;
    /** Counted down when an open read is cancelled by the client. */
    final CountDownLatch readCancelled = new CountDownLatch(1);
    private long nextOffset;

    private <T> void answer(Message request, StreamObserver<T> responses, T response) {
      requests.add(request);
      Deadline deadline = Context.current().getDeadline();
      deadlinesMs.add(deadline == null ? null : deadline.timeRemaining(TimeUnit.MILLISECONDS));
      if (hang) {
        return;
      }
      if (failWith != null && !(request instanceof AppendRequest && appendFailsAt > 0)) {
        responses.onError(failWith.asRuntimeException());
        return;
      }
      responses.onNext(response);
      responses.onCompleted();
    }

    @Override
    public void createStream(CreateStreamRequest request, StreamObserver<Stream> responses) {
      answer(request, responses, stream);
    }

    @Override
    public void getStream(GetStreamRequest request, StreamObserver<Stream> responses) {
      answer(request, responses, stream);
    }

    @Override
    public void listStreams(ListStreamsRequest request, StreamObserver<ListStreamsResponse> responses) {
      answer(request, responses, streams);
    }

    @Override
    public void deleteStream(DeleteStreamRequest request, StreamObserver<DeleteStreamResponse> responses) {
      answer(request, responses, deleted);
    }

    @Override
    public void listShards(ListShardsRequest request, StreamObserver<ListShardsResponse> responses) {
      answer(request, responses, shards);
    }

    @Override
    public void splitShard(SplitShardRequest request, StreamObserver<SplitShardResponse> responses) {
      answer(request, responses, split);
    }

    @Override
    public void mergeShards(MergeShardsRequest request, StreamObserver<MergeShardsResponse> responses) {
      answer(request, responses, merged);
    }

    @Override
    public void trimShard(TrimShardRequest request, StreamObserver<TrimShardResponse> responses) {
      answer(request, responses, trimmed);
    }

    @Override
    public synchronized void append(AppendRequest request, StreamObserver<AppendResponse> responses) {
      long appendCalls = requests.stream().filter(r -> r instanceof AppendRequest).count() + 1;
      if (failWith != null && appendFailsAt > 0 && appendCalls == appendFailsAt) {
        requests.add(request);
        responses.onError(failWith.asRuntimeException());
        return;
      }
      AppendResponse.Builder response = AppendResponse.newBuilder();
      for (int i = 0; i < request.getRecordsCount(); i++) {
        response.addRecordIds(RecordId.newBuilder().setShardId(0).setOffset(nextOffset++));
      }
      answer(request, responses, response.build());
    }

    @Override
    public void readShard(ReadShardRequest request, StreamObserver<ReadResponse> responses) {
      read(request, responses);
    }

    @Override
    public void readStream(ReadStreamRequest request, StreamObserver<ReadResponse> responses) {
      read(request, responses);
    }

    private void read(Message request, StreamObserver<ReadResponse> responses) {
      requests.add(request);
      Deadline deadline = Context.current().getDeadline();
      deadlinesMs.add(deadline == null ? null : deadline.timeRemaining(TimeUnit.MILLISECONDS));
      if (failWith != null) {
        responses.onError(failWith.asRuntimeException());
        return;
      }
      ((ServerCallStreamObserver<ReadResponse>) responses).setOnCancelHandler(readCancelled::countDown);
      for (ReadResponse r : reads) {
        responses.onNext(r);
      }
      if (readCompletes) {
        responses.onCompleted();
      }
    }
  }

  @Test
  void theGroupsAreRegisteredAndNeedASubcommand() {
    Run stream = Harness.runWith(ClientIo.system(), "stream");
    assertThat(stream.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(stream.err()).contains("Missing required subcommand");
    Run sub = Harness.runWith(ClientIo.system(), "sub", "--help");
    assertThat(sub.exitCode()).isEqualTo(OrdoCli.EXIT_OK);
    assertThat(sub.out()).contains("create", "list", "describe", "delete", "fetch");
    Run help = Harness.runWith(ClientIo.system(), "stream", "read", "--help");
    assertThat(help.out()).contains("--gateway", "127.0.0.1:6570", "--timeout", "30s", "--follow");
  }

  @Test
  void theProductionChannelFactorySpeaksPlaintextGrpcToTheGatewayOption() throws Exception {
    FakeStreams fake = new FakeStreams();
    fake.streams = ListStreamsResponse.newBuilder().addStreams(Stream.newBuilder().setName("orders")).build();
    Server server =
        Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(fake).build().start();
    try {
      Run run =
          Harness.runWith(ClientIo.system(), "stream", "list", "--gateway", "127.0.0.1:" + server.getPort(), "--json");
      assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_OK);
      assertThat(run.out()).startsWith("{\"streams\":[{\"name\":\"orders\"");
    } finally {
      server.shutdownNow();
      assertThat(server.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void aGatewayNobodyServesIsUnavailable() {
    ClientIo nowhere =
        new ClientIo(
            target -> InProcessChannelBuilder.forName(InProcessServerBuilder.generateName()).build(),
            new ByteArrayInputStream(new byte[0]));
    Run run = Harness.runWith(nowhere, "stream", "list");
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(run.err()).startsWith("ordo stream list: error: UNAVAILABLE: ");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void theChannelIsShutDownAfterTheCommand() throws Exception {
    List<ManagedChannel> opened = new CopyOnWriteArrayList<>();
    try (Harness h = new Harness(new StreamsGrpc.StreamsImplBase() {})) {
      ClientIo io =
          new ClientIo(
              target -> {
                ManagedChannel c = InProcessChannelBuilder.forName(h.serverName).build();
                opened.add(c);
                return c;
              },
              new ByteArrayInputStream(new byte[0]));
      Run run = Harness.runWith(io, "stream", "list");
      // The fake implements nothing: the real service's absence is an ordinary gRPC error.
      assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
      assertThat(run.err()).startsWith("ordo stream list: error: UNIMPLEMENTED: ");
      assertThat(opened).hasSize(1);
      assertThat(opened.get(0).isTerminated()).isTrue();
    }
  }
}
