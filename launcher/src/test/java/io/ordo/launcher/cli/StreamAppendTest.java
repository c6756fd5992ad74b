package io.ordo.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.ordo.launcher.cli.StreamCliHarnessTest.FakeStreams;
import io.ordo.launcher.cli.StreamCliHarnessTest.Harness;
import io.ordo.launcher.cli.StreamCliHarnessTest.Run;
import io.ordo.proto.AppendRequest;
import io.ordo.proto.Header;
import io.ordo.proto.StreamRecord;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code ordo stream append}: records from arguments and from stdin, the batching of stdin into
 * bounded Append calls, and what the command says when input or a call fails midway.
 */
class StreamAppendTest {
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

  private List<AppendRequest> appends() {
    return streams.requests.stream().map(AppendRequest.class::cast).toList();
  }

  private List<StreamRecord> appendedRecords() {
    List<StreamRecord> all = new ArrayList<>();
    appends().forEach(a -> all.addAll(a.getRecordsList()));
    return all;
  }

  private static byte[] lines(int count, int width) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < count; i++) {
      String n = Integer.toString(i);
      sb.append("0".repeat(Math.max(0, width - n.length()))).append(n).append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void argumentsAreOneAppendWithTheKeyAndHeadersOnEveryRecord() {
    Run run =
        harness.run("stream", "append", "orders", "--key", "customer-7", "--header", "source=cli",
            "--header", "trace=a=b", "first", "", "dritte Zeile");
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_OK);
    List<Header> headers =
        List.of(
            Header.newBuilder().setKey("source").setValue(ByteString.copyFromUtf8("cli")).build(),
            Header.newBuilder().setKey("trace").setValue(ByteString.copyFromUtf8("a=b")).build());
    StreamRecord.Builder record = StreamRecord.newBuilder().setPartitionKey("customer-7").addAllHeaders(headers);
    assertThat(appends())
        .containsExactly(
            AppendRequest.newBuilder()
                .setStream("orders")
                .addRecords(record.clone().setRaw(ByteString.copyFromUtf8("first")))
                .addRecords(record.clone().setRaw(ByteString.EMPTY))
                .addRecords(record.clone().setRaw(ByteString.copyFromUtf8("dritte Zeile")))
                .build());
    assertThat(run.out()).isEqualTo("shard 0 offset 0\nshard 0 offset 1\nshard 0 offset 2\n");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void jsonMakesThePayloadsJsonDocumentsAndOutputJsonPrintsTheResponses() {
    Run run =
        harness.runWithStdin(
            "{\"a\":1}\n[2]\n".getBytes(StandardCharsets.UTF_8),
            "stream", "append", "orders", "--json", "--output", "json", "-");
    assertThat(run.exitCode()).isZero();
    assertThat(appendedRecords())
        .containsExactly(
            StreamRecord.newBuilder().setJson("{\"a\":1}").build(),
            StreamRecord.newBuilder().setJson("[2]").build());
    assertThat(run.out())
        .isEqualTo("{\"recordIds\":[{\"shardId\":\"0\",\"offset\":\"0\"},{\"shardId\":\"0\",\"offset\":\"1\"}]}\n");
  }

  @Test
  void stdinIsSentInBatchesOfAtMostBatchRecordsInLineOrder() {
    Run run = harness.runWithStdin(lines(2_500, 6), "stream", "append", "orders", "--batch-records", "1000", "-");
    assertThat(run.exitCode()).isZero();
    assertThat(appends()).extracting(AppendRequest::getRecordsCount).containsExactly(1_000, 1_000, 500);
    List<StreamRecord> records = appendedRecords();
    for (int i = 0; i < records.size(); i++) {
      assertThat(records.get(i).getRaw().toStringUtf8()).isEqualTo(String.format("%06d", i));
    }
    assertThat(run.out().split("\n")).hasSize(2_500).endsWith("shard 0 offset 2499");
  }

  @Test
  void stdinIsSentInBatchesOfAtMostBatchBytes() {
    // Each record encodes as 2 + 100 bytes (tag, length, payload).
    Run run = harness.runWithStdin(lines(25, 100), "stream", "append", "orders", "--batch-bytes", "1000", "-");
    assertThat(run.exitCode()).isZero();
    assertThat(appends()).extracting(AppendRequest::getRecordsCount).containsExactly(9, 9, 7);
    for (AppendRequest a : appends()) {
      assertThat(a.getRecordsList().stream().mapToInt(StreamRecord::getSerializedSize).sum()).isLessThanOrEqualTo(1000);
    }
  }

  @Test
  void aRecordLargerThanBatchBytesGoesAlone() {
    byte[] input = ("a\n" + "b".repeat(3_000) + "\nc\n").getBytes(StandardCharsets.UTF_8);
    Run run = harness.runWithStdin(input, "stream", "append", "orders", "--batch-bytes", "1000", "-");
    assertThat(run.exitCode()).isZero();
    assertThat(appends()).extracting(AppendRequest::getRecordsCount).containsExactly(1, 1, 1);
  }

  @Test
  void crlfLineEndsAreStrippedEmptyLinesSkippedAndBytesKeptAsGiven() {
    byte[] input = {'a', '\r', '\n', '\r', '\n', '\n', (byte) 0xff, (byte) 0xfe, '\n', 'z'};
    Run run = harness.runWithStdin(input, "stream", "append", "orders", "-");
    assertThat(run.exitCode()).isZero();
    assertThat(appendedRecords())
        .extracting(r -> r.getRaw())
        .containsExactly(
            ByteString.copyFromUtf8("a"), ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xfe}),
            ByteString.copyFromUtf8("z"));
  }

  @Test
  void emptyStdinAppendsNothingAndSaysSo() {
    Run run = harness.runWithStdin("\n\n".getBytes(StandardCharsets.UTF_8), "stream", "append", "orders", "-");
    assertThat(run.exitCode()).isZero();
    assertThat(streams.requests).isEmpty();
    assertThat(run.err()).isEqualTo("ordo stream append: stdin had no records; nothing appended\n");
  }

  @Test
  void aTooLongLineFailsAfterTheEarlierBatchesWereAppended() {
    ByteArrayOutputStream input = new ByteArrayOutputStream();
    input.writeBytes("one\ntwo\nthree\n".getBytes(StandardCharsets.UTF_8));
    byte[] huge = new byte[StreamCommand.Append.LINE_BYTES_MAX + 1];
    Arrays.fill(huge, (byte) 'x');
    input.writeBytes(huge);
    input.writeBytes("\nfive\n".getBytes(StandardCharsets.UTF_8));
    Run run = harness.runWithStdin(input.toByteArray(), "stream", "append", "orders", "--batch-records", "2", "-");
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(appendedRecords()).extracting(r -> r.getRaw().toStringUtf8()).containsExactly("one", "two");
    assertThat(run.out()).isEqualTo("shard 0 offset 0\nshard 0 offset 1\n");
    assertThat(run.err())
        .isEqualTo(
            "ordo stream append: 2 records were appended before the bad input\n"
                + "ordo stream append: error: line 4 of stdin is longer than 1048576 bytes\n");
  }

  @Test
  void aLineOfExactlyTheLimitIsAccepted() throws Exception {
    byte[] line = new byte[1_000];
    Arrays.fill(line, (byte) 'y');
    byte[] crlf = Arrays.copyOf(line, 1_002);
    crlf[1_000] = '\r';
    crlf[1_001] = '\n';
    LineReader reader = new LineReader(new ByteArrayInputStream(crlf), 1_000);
    assertThat(reader.next()).isEqualTo(line);
    assertThat(reader.next()).isNull();
    LineReader tooLong = new LineReader(new ByteArrayInputStream(Arrays.copyOf(line, 1_001)), 1_000);
    assertThatThrownBy(tooLong::next).hasMessage("line 1 of stdin is longer than 1000 bytes");
  }

  @Test
  void nonUtf8InputIsNotAJsonDocument() {
    byte[] input = {'{', '}', '\n', (byte) 0xc3, '\n'};
    Run run = harness.runWithStdin(input, "stream", "append", "orders", "--json", "-");
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(streams.requests).isEmpty();
    assertThat(run.err()).isEqualTo("ordo stream append: error: line 2 of stdin is not UTF-8, so not a JSON document\n");
  }

  @Test
  void aFailedAppendSaysHowManyRecordsEarlierCallsAppended() {
    streams.failWith = Status.ABORTED.withDescription("WRONG_EXPECTED_OFFSET");
    streams.appendFailsAt = 2;
    Run run = harness.runWithStdin(lines(25, 3), "stream", "append", "orders", "--batch-records", "10", "-");
    assertThat(run.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(appends()).hasSize(2);
    assertThat(run.out().split("\n")).hasSize(10);
    assertThat(run.err())
        .isEqualTo(
            "ordo stream append: error: ABORTED: WRONG_EXPECTED_OFFSET\n"
                + "ordo stream append: 10 records were appended before the failed call; its 10 records were"
                + " not (or, on DEADLINE_EXCEEDED or UNAVAILABLE, may have been)\n");
  }

  @Test
  void badAppendOptionsAreUsageErrors() {
    String[][] cases = {
      {"stream", "append", "orders"},
      {"stream", "append", "orders", "a", "-"},
      {"stream", "append", "orders", "--header", "novalue", "a"},
      {"stream", "append", "orders", "--header", "=v", "a"},
      {"stream", "append", "orders", "--batch-records", "0", "-"},
      {"stream", "append", "orders", "--batch-records", "10001", "-"},
      {"stream", "append", "orders", "--batch-bytes", "4194305", "-"},
    };
    String[] reasons = {
      "Missing required parameter: 'PAYLOAD'",
      "- (read stdin) cannot be combined with PAYLOAD arguments",
      "--header must be k=v, got 'novalue'",
      "--header must be k=v, got '=v'",
      "--batch-records must be in [1, 10000], got 0",
      "--batch-records must be in [1, 10000], got 10001",
      "--batch-bytes must be in [1, 4194304], got 4194305",
    };
    for (int i = 0; i < cases.length; i++) {
      Run run = harness.run(cases[i]);
      assertThat(run.exitCode()).as(String.join(" ", cases[i])).isEqualTo(OrdoCli.EXIT_USAGE);
      assertThat(run.err()).as(String.join(" ", cases[i])).contains(reasons[i]);
    }
    assertThat(streams.requests).isEmpty();
  }
}
