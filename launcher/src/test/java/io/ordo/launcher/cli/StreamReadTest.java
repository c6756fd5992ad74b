package io.ordo.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.JsonFormat;
import io.grpc.Status;
import io.ordo.launcher.cli.StreamCliHarnessTest.FakeStreams;
import io.ordo.launcher.cli.StreamCliHarnessTest.Harness;
import io.ordo.launcher.cli.StreamCliHarnessTest.Run;
import io.ordo.proto.Position;
import io.ordo.proto.ReadFrom;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadShardRequest;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.RecordId;
import io.ordo.proto.ShardEnd;
import io.ordo.proto.StreamRecord;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code ordo stream read}: which read the options ask for, the one-line record format, the
 * {@code --max} bound, following (no deadline, cancelled when done) and JSON output.
 */
class StreamReadTest {
  /** 2026-11-30T16:00:00.123Z. */
  private static final long TS = 1_796_054_400_123L;

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

  private static ReceivedRecord received(long shard, long offset, StreamRecord.Builder record) {
    return ReceivedRecord.newBuilder()
        .setId(RecordId.newBuilder().setShardId(shard).setOffset(offset))
        .setPosition(Position.newBuilder().setTs(TS + offset).setPartition(2).setOffset(100 + offset))
        .setRecord(record)
        .build();
  }

  private static ReceivedRecord text(long shard, long offset, String key, String payload) {
    return received(shard, offset, StreamRecord.newBuilder().setPartitionKey(key).setRaw(ByteString.copyFromUtf8(payload)));
  }

  private static ReadResponse response(ReceivedRecord... records) {
    return ReadResponse.newBuilder().addAllRecords(List.of(records)).build();
  }

  @Test
  void aStreamReadPrintsOneEscapedLinePerRecord() {
    streams.reads =
        List.of(
            response(
                text(0, 0, "k", "hello world"),
                text(1, 0, "tab\tkey", "two\nlines\\ and a bell \u0007"),
                received(0, 1, StreamRecord.newBuilder().setRaw(ByteString.copyFrom(new byte[] {(byte) 0xff, 0, 1})))),
            response(
                received(1, 1, StreamRecord.newBuilder().setPartitionKey("j").setJson("{\n\t\"a\": \"x\"\r\n}")),
                text(0, 2, "", "base64:looks like base64"),
                received(0, 3, StreamRecord.newBuilder().setPartitionKey("none"))));
    Run run = harness.run("stream", "read", "orders");
    assertThat(run.exitCode()).isZero();
    assertThat(streams.requests)
        .containsExactly(
            ReadStreamRequest.newBuilder()
                .setStream("orders")
                .setFrom(ReadFrom.newBuilder().setSpecial(ReadFrom.Special.EARLIEST))
                .build());
    assertThat(run.out())
        .isEqualTo(
            "0\t0\t2026-11-30T16:00:00.123Z\tk\thello world\n"
                + "1\t0\t2026-11-30T16:00:00.123Z\ttab\\tkey\ttwo\\nlines\\\\ and a bell \\u0007\n"
                + "0\t1\t2026-11-30T16:00:00.124Z\t\tbase64:/wAB\n"
                + "1\t1\t2026-11-30T16:00:00.124Z\tj\t{  \"a\": \"x\"  }\n"
                + "0\t2\t2026-11-30T16:00:00.125Z\t\tbase64:YmFzZTY0Omxvb2tzIGxpa2UgYmFzZTY0\n"
                + "0\t3\t2026-11-30T16:00:00.126Z\tnone\t\n");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void aShardReadSendsShardStartAndMax() {
    assertThat(harness.run("stream", "read", "orders", "--shard", "3", "--from", "17", "--max", "5").exitCode()).isZero();
    assertThat(harness.run("stream", "read", "orders", "--shard", "3", "--from", "latest").exitCode()).isZero();
    assertThat(harness.run("stream", "read", "orders", "--from", "@1700000000000").exitCode()).isZero();
    assertThat(streams.requests)
        .containsExactly(
            ReadShardRequest.newBuilder()
                .setStream("orders")
                .setShardId(3)
                .setFrom(ReadFrom.newBuilder().setOffset(17))
                .setMaxRecords(5)
                .build(),
            ReadShardRequest.newBuilder()
                .setStream("orders")
                .setShardId(3)
                .setFrom(ReadFrom.newBuilder().setSpecial(ReadFrom.Special.LATEST))
                .build(),
            ReadStreamRequest.newBuilder()
                .setStream("orders")
                .setFrom(ReadFrom.newBuilder().setTimestampMs(1_700_000_000_000L))
                .build());
  }

  @Test
  void badStartsAreUsageErrors() {
    Run offset = harness.run("stream", "read", "orders", "--from", "17");
    assertThat(offset.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(offset.err()).contains("--from 17 is an offset, which needs --shard");
    Run garbage = harness.run("stream", "read", "orders", "--from", "yesterday");
    assertThat(garbage.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(garbage.err()).contains("'yesterday' is not a start (use earliest, latest, an offset, or @TIMESTAMP_MS)");
    Run max = harness.run("stream", "read", "orders", "--max", "-1");
    assertThat(max.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(max.err()).contains("--max must not be negative, got -1");
    assertThat(streams.requests).isEmpty();
  }

  @Test
  void readFromRoundTripsThroughItsTextForm() {
    for (String s : List.of("earliest", "latest", "0", "42", "@0", "@1700000000000")) {
      assertThat(ReadFromConverter.format(ReadFromConverter.parse(s))).isEqualTo(s);
    }
    assertThat(ReadFromConverter.parse(" LATEST ").getSpecial()).isEqualTo(ReadFrom.Special.LATEST);
    for (String bad : List.of("", "-1", "@", "@-5", "1e3", "9999999999999999999")) {
      assertThatThrownBy(() -> ReadFromConverter.parse(bad)).isInstanceOf(TypeConversionException.class);
    }
  }

  @Test
  void maxHoldsEvenWhenTheGatewaySendsMore() throws Exception {
    // This fake ignores max_records.
    streams.reads =
        List.of(
            response(text(0, 0, "k", "a"), text(0, 1, "k", "b")),
            response(text(0, 2, "k", "c"), text(0, 3, "k", "d")),
            response(text(0, 4, "k", "e")));
    Run run = harness.run("stream", "read", "orders", "--shard", "0", "--max", "3");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out().lines().map(l -> l.substring(l.lastIndexOf('\t') + 1)).toList()).containsExactly("a", "b", "c");

    Run json = harness.run("stream", "read", "orders", "--shard", "0", "--max", "3", "--json");
    String[] lines = json.out().split("\n");
    assertThat(lines).hasSize(2);
    ReadResponse.Builder second = ReadResponse.newBuilder();
    assertThat(lines[1]).doesNotContain("\"d\"");
    JsonFormat.parser().merge(lines[1], second);
    assertThat(second.build()).isEqualTo(response(text(0, 2, "k", "c")));
  }

  @Test
  void jsonPrintsEachReadResponseOnItsOwnLine() throws Exception {
    ReadResponse end =
        ReadResponse.newBuilder()
            .setShardEnd(ShardEnd.newBuilder().setShardId(0).setNextOffset(2).addChildIds(1).addChildIds(2))
            .build();
    streams.reads = List.of(response(text(0, 0, "k", "a")), response(text(0, 1, "k", "b")), end);
    Run run = harness.run("stream", "read", "orders", "--shard", "0", "--json");
    String[] lines = run.out().split("\n");
    assertThat(lines).hasSize(3);
    for (int i = 0; i < 3; i++) {
      ReadResponse.Builder parsed = ReadResponse.newBuilder();
      JsonFormat.parser().merge(lines[i], parsed);
      assertThat(parsed.build()).isEqualTo(streams.reads.get(i));
    }
    assertThat(run.err()).isEmpty();
  }

  @Test
  void theEndOfAClosedShardIsNotedOnStderr() {
    streams.reads =
        List.of(
            ReadResponse.newBuilder()
                .addRecords(text(0, 9, "k", "last"))
                .setShardEnd(ShardEnd.newBuilder().setShardId(0).setNextOffset(10).addChildIds(4).addChildIds(5))
                .build());
    Run run = harness.run("stream", "read", "orders", "--shard", "0");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).isEqualTo("0\t9\t2026-11-30T16:00:00.132Z\tk\tlast\n");
    assertThat(run.err())
        .isEqualTo("ordo stream read: shard 0 is closed and read to its end (next offset 10, children 4,5)\n");
  }

  @Test
  void aReadHasTheTimeoutAsDeadlineUnlessItFollows() {
    harness.run("stream", "read", "orders", "--timeout", "20s");
    harness.run("stream", "read", "orders", "--follow");
    assertThat(streams.deadlinesMs.get(0)).isBetween(10_000L, 20_000L);
    assertThat(streams.deadlinesMs.get(1)).isNull();
    assertThat(((ReadStreamRequest) streams.requests.get(1)).getFollow()).isTrue();
  }

  @Test
  @Timeout(30)
  void aFollowingReadStopsAtMaxAndCancelsTheCall() throws Exception {
    streams.readCompletes = false;
    streams.reads = List.of(response(text(0, 0, "k", "a")), response(text(0, 1, "k", "b"), text(0, 2, "k", "c")));
    Run run = harness.run("stream", "read", "orders", "--follow", "--max", "2");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out().lines().count()).isEqualTo(2);
    assertThat(streams.readCancelled.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aFailedReadIsAnError() {
    streams.failWith = Status.NOT_FOUND.withDescription("shard 9 of stream 'orders' does not exist");
    Run run = harness.run("stream", "read", "orders", "--shard", "9");
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(run.err()).isEqualTo("ordo stream read: error: NOT_FOUND: shard 9 of stream 'orders' does not exist\n");
  }
}
