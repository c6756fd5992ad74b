package io.ordo.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import io.grpc.Status;
import io.ordo.launcher.cli.StreamCliHarnessTest.FakeStreams;
import io.ordo.launcher.cli.StreamCliHarnessTest.Harness;
import io.ordo.launcher.cli.StreamCliHarnessTest.Run;
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
import io.ordo.proto.Position;
import io.ordo.proto.Shard;
import io.ordo.proto.SplitShardRequest;
import io.ordo.proto.SplitShardResponse;
import io.ordo.proto.Stream;
import io.ordo.proto.TrimShardRequest;
import io.ordo.proto.TrimShardResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code ordo stream} create, list, describe, delete and the shard operations against a fake
 * Streams service: the requests the options produce, the text and JSON output, and how gRPC errors
 * and bad options end the command.
 */
class StreamCommandTest {
  private static final String LOW = "00000000000000000000000000000000";
  private static final String MID = "7fffffffffffffffffffffffffffffff";
  private static final String HIGH = "ffffffffffffffffffffffffffffffff";

  private final FakeStreams streams = new FakeStreams();
  private Harness harness;

  @BeforeEach
  void start() throws Exception {
    harness = new Harness(streams);
  }

  @AfterEach
  void stop() throws Exception {
    harness.close();
  }

  private static Stream orders() {
    return Stream.newBuilder()
        .setName("orders")
        .setShardCount(4)
        .setRetentionSeconds(7 * 86_400)
        .setIngestTopic("ordo-stream-orders")
        .build();
  }

  private static Shard shard(long id, String start, String end, Shard.State state, long next) {
    return Shard.newBuilder()
        .setStream("orders")
        .setId(id)
        .setStartHash(start)
        .setEndHash(end)
        .setState(state)
        .setNextOffset(next)
        .build();
  }

  @Test
  void createSendsTheOptionsToTheGivenGatewayAndPrintsTheStream() {
    streams.stream = orders();
    Run run =
        harness.run("stream", "create", "orders", "--shards", "4", "--retention", "168h",
            "--gateway", "10.1.2.3:7000");
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_OK);
    assertThat(streams.requests)
        .containsExactly(
            CreateStreamRequest.newBuilder()
                .setName("orders")
                .setShardCount(4)
                .setRetentionSeconds(604_800)
                .build());
    assertThat(harness.targets).containsExactly("10.1.2.3:7000");
    assertThat(run.out())
        .isEqualTo(
            """
            name:          orders
            open shards:   4
            retention:     7d
            ingest topic:  ordo-stream-orders
            """);
    assertThat(run.err()).isEmpty();
  }

  @Test
  void theDefaultGatewayIsTheDefaultGrpcPortOnLoopbackAndCallsHaveTheTimeoutAsDeadline() {
    streams.stream = orders();
    assertThat(harness.run("stream", "create", "orders").exitCode()).isZero();
    assertThat(harness.targets).containsExactly("127.0.0.1:6570");
    assertThat(streams.requests.get(0)).isEqualTo(
        CreateStreamRequest.newBuilder().setName("orders").setShardCount(1).build());
    assertThat(streams.deadlinesMs.get(0)).isBetween(20_000L, 30_000L);

    assertThat(harness.run("stream", "create", "orders", "--timeout", "0").exitCode()).isZero();
    assertThat(streams.deadlinesMs.get(1)).isNull();
  }

  @Test
  void theGatewayMayBeAHostNameOrABracketedIpv6Address() {
    assertThat(harness.run("stream", "list", "--gateway", "ordo-1.example.com:6570").exitCode()).isZero();
    assertThat(harness.run("stream", "list", "--gateway=[::1]:7000").exitCode()).isZero();
    assertThat(harness.run("stream", "list", "--gateway", "::1:7000").exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(harness.targets).containsExactly("ordo-1.example.com:6570", "[::1]:7000");
  }

  @Test
  void jsonPrintsTheResponseMessageOnOneLine() throws Exception {
    streams.stream = orders();
    for (String[] flag : List.of(new String[] {"--json"}, new String[] {"--output", "json"}, new String[] {"-o=json"})) {
      String[] args = new String[3 + flag.length];
      args[0] = "stream";
      args[1] = "create";
      args[2] = "orders";
      System.arraycopy(flag, 0, args, 3, flag.length);
      Run run = harness.run(args);
      assertThat(run.exitCode()).isZero();
      assertThat(run.out()).isEqualTo(
          "{\"name\":\"orders\",\"shardCount\":4,\"retentionSeconds\":\"604800\","
              + "\"ingestTopic\":\"ordo-stream-orders\"}\n");
      // Fields with default values are printed too.
      assertThat(harness.run("stream", "create", "x", "--json").out())
          .contains("\"shardCount\":4,\"retentionSeconds\":\"604800\"");
      Stream.Builder parsed = Stream.newBuilder();
      JsonFormat.parser().merge(run.out(), parsed);
      assertThat(parsed.build()).isEqualTo(orders());
    }
    // Fields that hold their default value are printed too, so that scripts find every field.
    streams.stream = Stream.newBuilder().setName("x").build();
    assertThat(harness.run("stream", "create", "x", "--json").out())
        .isEqualTo("{\"name\":\"x\",\"shardCount\":0,\"retentionSeconds\":\"0\",\"ingestTopic\":\"\"}\n");
  }

  @Test
  void badOptionsAreUsageErrorsBeforeAnyCall() {
    String[][] cases = {
      {"stream", "create", "s", "--shards", "0"},
      {"stream", "create", "s", "--shards", "1025"},
      {"stream", "create", "s", "--retention", "1500ms"},
      {"stream", "create", "s", "--retention", "soon"},
      {"stream", "create", "s", "--gateway", "localhost"},
      {"stream", "create", "s", "--gateway", "localhost:65536"},
      {"stream", "create", "s", "--gateway", "localhost:0"},
      {"stream", "create", "s", "--output", "yaml"},
      {"stream", "create"},
      {"stream", "split", "s", "1", "--at", "abc"},
      {"stream", "split", "s", "one"},
      {"stream", "trim", "s", "1", "-5"},
      {"stream", "merge", "s", "1"},
    };
    String[] reasons = {
      "--shards must be in [1, 1024], got 0",
      "--shards must be in [1, 1024], got 1025",
      "--retention must be whole seconds, got 1500 ms",
      "'soon' is not a duration",
      "--gateway must be HOST:PORT with a port in [1, 65535], got 'localhost'",
      "got 'localhost:65536'",
      "got 'localhost:0'",
      "Invalid value for option '--output'",
      "Missing required parameter: 'NAME'",
      "--at must be 32 hex digits, got 'abc'",
      "'one' is not a long",
      "OFFSET must not be negative, got -5",
      "Missing required parameter: 'RIGHT'",
    };
    for (int i = 0; i < cases.length; i++) {
      Run run = harness.run(cases[i]);
      assertThat(run.exitCode()).as(String.join(" ", cases[i])).isEqualTo(OrdoCli.EXIT_USAGE);
      assertThat(run.err()).as(String.join(" ", cases[i])).contains(reasons[i]);
      assertThat(run.out()).isEmpty();
    }
    assertThat(streams.requests).isEmpty();
    assertThat(harness.targets).isEmpty();
  }

  @Test
  void listPrintsAnAlignedTableInTheGatewaysOrder() {
    streams.streams =
        ListStreamsResponse.newBuilder()
            .addStreams(orders())
            .addStreams(Stream.newBuilder().setName("o").setShardCount(12).setRetentionSeconds(90))
            .build();
    Run run = harness.run("stream", "list", "--prefix", "o");
    assertThat(run.exitCode()).isZero();
    assertThat(streams.requests).containsExactly(ListStreamsRequest.newBuilder().setPrefix("o").build());
    assertThat(run.out())
        .isEqualTo(
            """
            NAME    SHARDS  RETENTION  INGEST_TOPIC
            orders  4       7d         ordo-stream-orders
            o       12      90s        -
            """);
  }

  @Test
  void listSaysWhenThereAreNoStreams() {
    assertThat(harness.run("stream", "list").out()).isEqualTo("no streams\n");
    assertThat(harness.run("stream", "list", "--prefix", "x").out()).isEqualTo("no streams named x*\n");
    assertThat(harness.run("stream", "list", "--json").out()).isEqualTo("{\"streams\":[]}\n");
  }

  @Test
  void describeShowsTheStreamAndEveryShard() {
    streams.stream = orders();
    streams.shards =
        ListShardsResponse.newBuilder()
            .addShards(shard(0, LOW, HIGH, Shard.State.CLOSED, 10).toBuilder().addChildIds(1).addChildIds(2))
            .addShards(shard(1, LOW, MID, Shard.State.OPEN, 3).toBuilder().addParentIds(0).setStartOffset(1))
            .addShards(shard(2, "80000000000000000000000000000000", HIGH, Shard.State.OPEN, 0).toBuilder().addParentIds(0))
            .setPosition(Position.newBuilder().setTs(5).setPartition(1).setOffset(9))
            .build();
    Run run = harness.run("stream", "describe", "orders");
    assertThat(run.exitCode()).isZero();
    assertThat(streams.requests)
        .containsExactly(
            GetStreamRequest.newBuilder().setName("orders").build(),
            ListShardsRequest.newBuilder().setStream("orders").build());
    assertThat(run.out())
        .isEqualTo(
            """
            name:          orders
            open shards:   4
            retention:     7d
            ingest topic:  ordo-stream-orders

            ID  STATE   START_HASH                        END_HASH                          START_OFFSET  NEXT_OFFSET  PARENTS  CHILDREN
            0   closed  00000000000000000000000000000000  ffffffffffffffffffffffffffffffff  0             10           -        1,2
            1   open    00000000000000000000000000000000  7fffffffffffffffffffffffffffffff  1             3            0        -
            2   open    80000000000000000000000000000000  ffffffffffffffffffffffffffffffff  0             0            0        -
            """);

    Run json = harness.run("stream", "describe", "orders", "--json");
    String[] lines = json.out().split("\n");
    assertThat(lines).hasSize(2);
    assertThat(lines[0]).startsWith("{\"name\":\"orders\"");
    assertThat(lines[1]).startsWith("{\"shards\":[{\"stream\":\"orders\",\"id\":\"0\",")
        .endsWith("\"position\":{\"ts\":\"5\",\"partition\":1,\"offset\":\"9\"}}");
  }

  @Test
  void deletePassesItsFlagsAndSaysWhetherTheStreamExisted() {
    streams.deleted = DeleteStreamResponse.newBuilder().setExisted(true).build();
    Run run = harness.run("stream", "delete", "orders", "--force");
    assertThat(run.out()).isEqualTo("deleted stream orders\n");
    streams.deleted = DeleteStreamResponse.getDefaultInstance();
    Run missing = harness.run("stream", "delete", "orders", "--ignore-missing");
    assertThat(missing.exitCode()).isZero();
    assertThat(missing.out()).isEqualTo("stream orders does not exist; nothing deleted\n");
    assertThat(streams.requests)
        .containsExactly(
            DeleteStreamRequest.newBuilder().setName("orders").setForce(true).build(),
            DeleteStreamRequest.newBuilder().setName("orders").setIgnoreMissing(true).build());
  }

  @Test
  void aGrpcErrorIsOneStderrLineWithStatusAndDescription() {
    streams.failWith = Status.NOT_FOUND.withDescription("stream 'orders' does not exist");
    Run run = harness.run("stream", "delete", "orders");
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).isEqualTo("ordo stream delete: error: NOT_FOUND: stream 'orders' does not exist\n");

    streams.failWith = Status.FAILED_PRECONDITION.withDescription("stream 'orders' has 2 subscriptions");
    Run precondition = harness.run("stream", "delete", "orders", "--json");
    assertThat(precondition.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(precondition.out()).isEmpty();
    assertThat(precondition.err())
        .isEqualTo("ordo stream delete: error: FAILED_PRECONDITION: stream 'orders' has 2 subscriptions\n");
  }

  @Test
  void invalidArgumentFromTheGatewayIsAUsageError() {
    streams.failWith = Status.INVALID_ARGUMENT.withDescription("name must match [A-Za-z0-9._-]{1,255}");
    Run run = harness.run("stream", "create", "a b");
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(run.err())
        .isEqualTo("ordo stream create: error: INVALID_ARGUMENT: name must match [A-Za-z0-9._-]{1,255}\n");
  }

  @Test
  void aGatewayThatDoesNotAnswerRunsIntoTheTimeout() {
    streams.hang = true;
    long startNanos = System.nanoTime();
    Run run = harness.run("stream", "list", "--timeout", "300ms");
    assertThat(System.nanoTime() - startNanos).isLessThan(10_000_000_000L);
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(run.err()).startsWith("ordo stream list: error: DEADLINE_EXCEEDED: ");
  }

  @Test
  void listShardsPrintsTheTable() {
    streams.shards = ListShardsResponse.newBuilder().addShards(shard(7, LOW, HIGH, Shard.State.OPEN, 42)).build();
    Run run = harness.run("stream", "list-shards", "orders");
    assertThat(streams.requests).containsExactly(ListShardsRequest.newBuilder().setStream("orders").build());
    assertThat(run.out().split("\n"))
        .containsExactly(
            "ID  STATE  START_HASH                        END_HASH                          START_OFFSET  NEXT_OFFSET  PARENTS  CHILDREN",
            "7   open   00000000000000000000000000000000  ffffffffffffffffffffffffffffffff  0             42           -        -");
  }

  @Test
  void splitSendsTheHashInLowerCaseAndPrintsTheChildren() {
    streams.split =
        SplitShardResponse.newBuilder()
            .addChildren(shard(1, LOW, MID, Shard.State.OPEN, 0).toBuilder().addParentIds(0))
            .addChildren(shard(2, "80000000000000000000000000000000", HIGH, Shard.State.OPEN, 0).toBuilder().addParentIds(0))
            .build();
    Run run = harness.run("stream", "split", "orders", "0", "--at", "80000000000000000000000000000000".toUpperCase());
    assertThat(run.exitCode()).isZero();
    Run middle = harness.run("stream", "split", "orders", "0");
    assertThat(middle.exitCode()).isZero();
    assertThat(streams.requests)
        .containsExactly(
            SplitShardRequest.newBuilder().setStream("orders").setShardId(0)
                .setAtHash("80000000000000000000000000000000").build(),
            SplitShardRequest.newBuilder().setStream("orders").setShardId(0).build());
    assertThat(run.out()).startsWith("split shard 0 of orders into 1,2\nID  STATE");
    assertThat(run.out().split("\n")).hasSize(4);
  }

  @Test
  void mergeAndTrimSendTheirArgumentsAndSayWhatHappened() {
    streams.merged =
        MergeShardsResponse.newBuilder()
            .setChild(shard(3, LOW, HIGH, Shard.State.OPEN, 0).toBuilder().addParentIds(1).addParentIds(2))
            .build();
    streams.trimmed = TrimShardResponse.newBuilder().setStartOffset(100).build();
    Run merge = harness.run("stream", "merge", "orders", "1", "2");
    Run trim = harness.run("stream", "trim", "orders", "3", "100");
    Run trimJson = harness.run("stream", "trim", "orders", "3", "100", "--json");
    assertThat(streams.requests)
        .containsExactly(
            MergeShardsRequest.newBuilder().setStream("orders").setLeft(1).setRight(2).build(),
            TrimShardRequest.newBuilder().setStream("orders").setShardId(3).setBeforeOffset(100).build(),
            TrimShardRequest.newBuilder().setStream("orders").setShardId(3).setBeforeOffset(100).build());
    assertThat(merge.out()).startsWith("merged shards 1 and 2 of orders into 3\nID ");
    assertThat(merge.out()).contains("\n3   open ").contains("1,2");
    assertThat(trim.out()).isEqualTo("shard 3 of orders now starts at offset 100\n");
    assertThat(trimJson.out()).isEqualTo("{\"startOffset\":\"100\"}\n");
  }
}
