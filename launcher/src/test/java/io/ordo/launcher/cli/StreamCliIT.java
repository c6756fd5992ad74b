package io.ordo.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.proto.AppendResponse;
import io.ordo.proto.ListConsumersResponse;
import io.ordo.proto.ListShardsResponse;
import io.ordo.proto.ListStreamsResponse;
import io.ordo.proto.ListSubscriptionsResponse;
import io.ordo.proto.ReadFrom;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.Shard;
import io.ordo.proto.ShardProgress;
import io.ordo.proto.SplitShardResponse;
import io.ordo.proto.Stream;
import io.ordo.proto.StreamingFetchResponse;
import io.ordo.proto.Subscription;
import io.ordo.proto.SubscriptionDetail;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ordo stream ...} and {@code ordo sub ...} end to end: the real command line, over a real
 * plaintext gRPC channel to the gateway of one embedded Ordo (broker, executor, gateway with its
 * local store). Each test works on its own streams and subscriptions, so they share the server.
 * Text output is checked line by line and {@code --json} output is parsed back into the response
 * messages; failures are checked for their stderr line and exit code.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StreamCliIT {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  /** Bound on the waits for something that happens in the background (acks becoming durable). */
  private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(30);

  @TempDir static Path dir;
  private static EmbeddedOrdo ordo;

  @BeforeAll
  static void start() throws Exception {
    ordo =
        EmbeddedOrdo.start(
            EmbeddedOrdo.Options.defaults(dir)
                .withFreePorts()
                .withExecutor(OptionalInt.empty(), OptionalInt.empty(), OptionalLong.of(1_000)));
    ordo.awaitServing(READY_TIMEOUT);
  }

  @AfterAll
  static void stop() throws Exception {
    if (ordo != null) {
      ordo.close();
    }
  }

  // ---- running the command line ----

  /** Exit code, stdout and stderr of one run. */
  record Run(int exitCode, String out, String err) {
    /** Stdout's lines (none when it is empty). */
    List<String> lines() {
      return out.isEmpty() ? List.of() : List.of(out.split("\r?\n"));
    }
  }

  /** Runs {@code ordo GROUP COMMAND --gateway <embedded> REST...} with empty stdin. */
  static Run ordo(String... args) {
    return ordoWithStdin("", args);
  }

  /** Like {@link #ordo} with {@code stdin} (UTF-8) as standard input. */
  static Run ordoWithStdin(String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exitCode = newCli(stdin, out, err).execute(withGateway(args));
    return new Run(exitCode, out.toString(), err.toString());
  }

  /** A run that must succeed; the assertion message shows its stderr. */
  static Run ok(String... args) {
    Run run = ordo(args);
    assertThat(run.exitCode()).as("ordo %s: %s", String.join(" ", args), run.err()).isZero();
    return run;
  }

  /**
   * The command line with the production channel factory (plaintext gRPC to {@code --gateway}) and
   * {@code stdin}, printing to {@code out} and {@code err}.
   */
  static CommandLine newCli(String stdin, StringWriter out, StringWriter err) {
    ClientIo io =
        new ClientIo(
            ClientIo.system().channels(),
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
    CommandLine cli = OrdoCli.newCommandLine();
    ((StreamCommand) cli.getSubcommands().get("stream").getCommand()).clientIo = io;
    ((SubCommand) cli.getSubcommands().get("sub").getCommand()).clientIo = io;
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli;
  }

  /** {@code args} with {@code --gateway <embedded gRPC target>} after the subcommand's name. */
  static String[] withGateway(String... args) {
    List<String> full = new ArrayList<>(Arrays.asList(args).subList(0, 2));
    full.add("--gateway");
    full.add(ordo.grpcTarget());
    full.addAll(Arrays.asList(args).subList(2, args.length));
    return full.toArray(String[]::new);
  }

  /** {@code json} parsed as a message of {@code prototype}'s type; fails the test if it does not parse. */
  @SuppressWarnings("unchecked")
  static <M extends Message> M parse(String json, M prototype) {
    Message.Builder builder = prototype.newBuilderForType();
    try {
      JsonFormat.parser().merge(json, builder);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("not a " + builder.getDescriptorForType().getName() + ": " + json, e);
    }
    return (M) builder.build();
  }

  /** One record line of {@code stream read} / {@code sub fetch}: SHARD OFFSET TS KEY PAYLOAD. */
  record Line(long shard, long offset, String timestamp, String key, String payload) {
    static Line of(String line) {
      String[] f = line.split("\t", -1);
      assertThat(f).as("fields of '%s'", line).hasSize(5);
      return new Line(Long.parseLong(f[0]), Long.parseLong(f[1]), f[2], f[3], f[4]);
    }
  }

  static List<Line> recordLines(Run run) {
    return run.lines().stream().map(Line::of).toList();
  }

  /** Payloads per key, in the order given. */
  static Map<String, List<String>> payloadsByKey(List<Line> lines) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Line l : lines) {
      out.computeIfAbsent(l.key(), k -> new ArrayList<>()).add(l.payload());
    }
    return out;
  }

  /** {@code stream append NAME --key KEY PAYLOAD...}; returns the printed record ids. */
  static List<long[]> append(String stream, String key, String... payloads) {
    List<String> args = new ArrayList<>(List.of("stream", "append", stream, "--key", key));
    args.addAll(List.of(payloads));
    Run run = ok(args.toArray(String[]::new));
    return run.lines().stream().map(StreamCliIT::recordId).toList();
  }

  /** {@code shard S offset O} → {S, O}. */
  static long[] recordId(String line) {
    assertThat(line).matches("shard \\d+ offset \\d+");
    String[] f = line.split(" ");
    return new long[] {Long.parseLong(f[1]), Long.parseLong(f[3])};
  }

  /** Runs {@code args} until {@code done} holds for its result, within {@link #SETTLE_TIMEOUT}. */
  static Run awaitRun(Predicate<Run> done, String... args) throws InterruptedException {
    long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
    Run run = ok(args);
    while (!done.test(run) && System.nanoTime() < deadline) {
      Thread.sleep(100);
      run = ok(args);
    }
    return run;
  }

  // ---- streams ----

  @Test
  void createListDescribeAndDeleteStreams() {
    Run created = ok("stream", "create", "cli-life-a", "--shards", "3");
    assertThat(created.lines())
        .containsExactly(
            "name:          cli-life-a",
            "open shards:   3",
            "retention:     forever",
            "ingest topic:  ordo-ingest-cli-life-a");

    Stream b = parse(ok("stream", "create", "cli-life-b", "--retention", "2h", "--json").out(), Stream.getDefaultInstance());
    assertThat(b.getName()).isEqualTo("cli-life-b");
    assertThat(b.getShardCount()).isEqualTo(1);
    assertThat(b.getRetentionSeconds()).isEqualTo(7_200);

    assertThat(ok("stream", "list", "--prefix", "cli-life-").lines())
        .containsExactly(
            "NAME        SHARDS  RETENTION  INGEST_TOPIC",
            "cli-life-a  3       forever    ordo-ingest-cli-life-a",
            "cli-life-b  1       2h         ordo-ingest-cli-life-b");
    ListStreamsResponse listed =
        parse(ok("stream", "list", "--prefix", "cli-life-", "--json").out(), ListStreamsResponse.getDefaultInstance());
    assertThat(listed.getStreamsList()).extracting(Stream::getName).containsExactly("cli-life-a", "cli-life-b");
    assertThat(ok("stream", "list", "--prefix", "cli-life-zz").lines()).containsExactly("no streams named cli-life-zz*");

    List<String> described = ok("stream", "describe", "cli-life-a").lines();
    assertThat(described.subList(0, 5))
        .containsExactly(
            "name:          cli-life-a",
            "open shards:   3",
            "retention:     forever",
            "ingest topic:  ordo-ingest-cli-life-a",
            "");
    assertThat(described.get(5).split(" +"))
        .containsExactly(
            "ID", "STATE", "START_HASH", "END_HASH", "START_OFFSET", "NEXT_OFFSET", "PARENTS", "CHILDREN");
    assertThat(described).hasSize(9);
    assertThat(described.get(6).split(" +"))
        .as("shard 0 starts at hash 0")
        .startsWith("0", "open", "0".repeat(32));
    assertThat(described.get(8).split(" +"))
        .as("the last shard ends at the top of the hash space")
        .containsExactly("2", "open", described.get(8).split(" +")[2], "f".repeat(32), "0", "0", "-", "-");

    List<String> describedJson = ok("stream", "describe", "cli-life-a", "--json").lines();
    assertThat(describedJson).hasSize(2);
    assertThat(parse(describedJson.get(0), Stream.getDefaultInstance()).getShardCount()).isEqualTo(3);
    ListShardsResponse shards = parse(describedJson.get(1), ListShardsResponse.getDefaultInstance());
    assertThat(shards.getShardsList()).extracting(Shard::getId).containsExactly(0L, 1L, 2L);
    for (int i = 0; i + 1 < shards.getShardsCount(); i++) {
      // Adjacent ranges: each shard ends one below the next one's start.
      assertThat(new java.math.BigInteger(shards.getShards(i).getEndHash(), 16).add(java.math.BigInteger.ONE))
          .isEqualTo(new java.math.BigInteger(shards.getShards(i + 1).getStartHash(), 16));
    }

    assertThat(ok("stream", "delete", "cli-life-b").lines()).containsExactly("deleted stream cli-life-b");
    Run again = ordo("stream", "delete", "cli-life-b");
    assertThat(again.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(again.err()).startsWith("ordo stream delete: error: NOT_FOUND: ").contains("cli-life-b");
    assertThat(ok("stream", "delete", "cli-life-b", "--ignore-missing").lines())
        .containsExactly("stream cli-life-b does not exist; nothing deleted");
    assertThat(
            parse(ok("stream", "list", "--prefix", "cli-life-", "--json").out(), ListStreamsResponse.getDefaultInstance())
                .getStreamsList())
        .extracting(Stream::getName)
        .containsExactly("cli-life-a");

    Run duplicate = ordo("stream", "create", "cli-life-a");
    assertThat(duplicate.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(duplicate.err()).startsWith("ordo stream create: error: ALREADY_EXISTS: ");
    Run badName = ordo("stream", "create", "cli/life");
    assertThat(badName.exitCode()).as("the gateway's INVALID_ARGUMENT is a usage error").isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(badName.err()).startsWith("ordo stream create: error: INVALID_ARGUMENT: ").contains("'/'");
  }

  @Test
  void appendFromArgumentsAndStdinThenReadBackAsTextAndJson() {
    Instant testStart = Instant.now();
    ok("stream", "create", "cli-rw", "--shards", "2");
    List<long[]> alpha = append("cli-rw", "alpha", "a1", "a2", "a3");
    assertThat(alpha).hasSize(3);
    long alphaShard = alpha.get(0)[0];
    assertThat(alpha).allSatisfy(id -> assertThat(id[0]).isEqualTo(alphaShard));
    assertThat(alpha).extracting(id -> id[1]).containsExactly(0L, 1L, 2L);

    // Stdin, in calls of two records; the empty line is skipped and CRLF ends a line too.
    Run fromStdin =
        ordoWithStdin(
            "b1\nb2\n\nb3\r\nb4 with\ttab\n",
            "stream", "append", "cli-rw", "--key", "beta", "--batch-records", "2", "--header", "src=stdin", "-");
    assertThat(fromStdin.exitCode()).as(fromStdin.err()).isZero();
    List<long[]> beta = fromStdin.lines().stream().map(StreamCliIT::recordId).toList();
    assertThat(beta).hasSize(4);
    for (int i = 1; i < beta.size(); i++) {
      assertThat(beta.get(i)[0]).isEqualTo(beta.get(0)[0]);
      assertThat(beta.get(i)[1]).isEqualTo(beta.get(i - 1)[1] + 1);
    }

    Run jsonAppend =
        ok("stream", "append", "cli-rw", "--key", "alpha", "--json", "--output", "json", "{\"x\": 1}");
    AppendResponse appended = parse(jsonAppend.out(), AppendResponse.getDefaultInstance());
    assertThat(appended.getRecordIdsList()).hasSize(1);
    assertThat(appended.getRecordIds(0).getShardId()).isEqualTo(alphaShard);
    assertThat(appended.getRecordIds(0).getOffset()).isEqualTo(3);
    Run badJson = ordo("stream", "append", "cli-rw", "--json", "{not json");
    assertThat(badJson.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(badJson.err()).startsWith("ordo stream append: error: INVALID_ARGUMENT: ");

    // A bad line fails its call; the records of the calls before it stay appended.
    ok("stream", "create", "cli-rw-bad");
    Run badLine =
        ordoWithStdin(
            "{\"y\": 2}\nnot json\n{\"y\": 3}\n",
            "stream", "append", "cli-rw-bad", "--json", "--batch-records", "1", "-");
    assertThat(badLine.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(badLine.lines()).containsExactly("shard 0 offset 0");
    assertThat(badLine.err())
        .startsWith("ordo stream append: error: INVALID_ARGUMENT: ")
        .contains("1 records were appended before the failed call; its 1 records were not");
    assertThat(recordLines(ok("stream", "read", "cli-rw-bad"))).extracting(Line::payload).containsExactly("{\"y\": 2}");

    List<Line> all = recordLines(ok("stream", "read", "cli-rw"));
    assertThat(all).hasSize(8);
    assertThat(payloadsByKey(all))
        .containsOnlyKeys("alpha", "beta")
        .containsEntry("alpha", List.of("a1", "a2", "a3", "{\"x\": 1}"))
        .containsEntry("beta", List.of("b1", "b2", "b3", "b4 with\\ttab"));
    // The log time of each record, in UTC: within the minutes this test ran.
    assertThat(all)
        .allSatisfy(l -> assertThat(Instant.parse(l.timestamp()))
            .isBetween(testStart.minusSeconds(60), Instant.now().plusSeconds(60)));
    assertThat(all).allSatisfy(l -> assertThat(l.timestamp()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
    assertThat(all.stream().filter(l -> l.key().equals("alpha")).map(Line::shard).distinct())
        .containsExactly(alphaShard);

    assertThat(recordLines(ok("stream", "read", "cli-rw", "--max", "3")))
        .as("--max stops after 3 records, the first 3 of the same read order")
        .isEqualTo(all.subList(0, 3));
    List<Line> fromOffset = recordLines(ok("stream", "read", "cli-rw", "--shard", Long.toString(alphaShard), "--from", "1"));
    assertThat(fromOffset)
        .isEqualTo(all.stream().filter(l -> l.shard() == alphaShard && l.offset() >= 1).toList());
    assertThat(recordLines(ok("stream", "read", "cli-rw", "--from", "latest"))).isEmpty();

    List<ReceivedRecord> jsonRecords = new ArrayList<>();
    for (String line : ok("stream", "read", "cli-rw", "--json").lines()) {
      jsonRecords.addAll(parse(line, ReadResponse.getDefaultInstance()).getRecordsList());
    }
    assertThat(jsonRecords).hasSize(8);
    assertThat(jsonRecords)
        .filteredOn(r -> r.getRecord().getPartitionKey().equals("beta"))
        .allSatisfy(r -> assertThat(r.getRecord().getHeaders(0).getValue().toStringUtf8()).isEqualTo("stdin"));
    assertThat(jsonRecords)
        .filteredOn(r -> r.getRecord().hasJson())
        .singleElement()
        .satisfies(r -> assertThat(r.getId().getOffset()).isEqualTo(3));
    // A timestamp start: every record of the stream is at or after the first one's log time.
    long firstTs = jsonRecords.stream().mapToLong(r -> r.getPosition().getTs()).min().orElseThrow();
    assertThat(recordLines(ok("stream", "read", "cli-rw", "--from", "@" + firstTs))).hasSize(8);
  }

  @Test
  void followReadsRecordsAppendedAfterItStartedAndStopsAtMax() throws Exception {
    ok("stream", "create", "cli-follow");
    append("cli-follow", "k", "p0");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = newCli("", out, err);
    CompletableFuture<Integer> follow =
        CompletableFuture.supplyAsync(
            () -> cli.execute(withGateway("stream", "read", "cli-follow", "--follow", "--max", "3")));
    long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
    while (!out.toString().contains("\tp0") && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(out.toString()).as("the follow printed the existing record; stderr: %s", err).contains("\tp0");
    assertThat(follow).isNotDone();
    append("cli-follow", "k", "p1");
    append("cli-follow", "k", "p2", "p3");
    assertThat(follow.get(30, TimeUnit.SECONDS)).as(err.toString()).isZero();
    assertThat(recordLines(new Run(0, out.toString(), "")))
        .extracting(Line::payload)
        .containsExactly("p0", "p1", "p2");

    // A follow is not bounded by --timeout (that bounds a whole read without --follow).
    StringWriter out2 = new StringWriter();
    StringWriter err2 = new StringWriter();
    CommandLine cli2 = newCli("", out2, err2);
    CompletableFuture<Integer> latest =
        CompletableFuture.supplyAsync(
            () ->
                cli2.execute(
                    withGateway(
                        "stream", "read", "cli-follow", "--follow", "--from", "latest", "--max", "2",
                        "--timeout", "1s")));
    Thread.sleep(2_000);
    assertThat(latest).as("a follow outlives --timeout; stderr: %s", err2).isNotDone();
    append("cli-follow", "k", "p4");
    // The stream's follow goes on into the children of a shard split under it.
    ok("stream", "split", "cli-follow", "0");
    assertThat(append("cli-follow", "k", "p5").get(0)[0]).isIn(1L, 2L);
    assertThat(latest.get(30, TimeUnit.SECONDS)).as(err2.toString()).isZero();
    assertThat(recordLines(new Run(0, out2.toString(), ""))).extracting(Line::payload).containsExactly("p4", "p5");

    // Following a closed shard ends at its end instead of waiting for records that cannot come.
    StringWriter err3 = new StringWriter();
    StringWriter out3 = new StringWriter();
    CommandLine cli3 = newCli("", out3, err3);
    CompletableFuture<Integer> closed =
        CompletableFuture.supplyAsync(
            () -> cli3.execute(withGateway("stream", "read", "cli-follow", "--shard", "0", "--follow")));
    assertThat(closed.get(30, TimeUnit.SECONDS)).as(err3.toString()).isZero();
    assertThat(recordLines(new Run(0, out3.toString(), ""))).extracting(Line::payload)
        .containsExactly("p0", "p1", "p2", "p3", "p4");
    assertThat(err3.toString()).contains("shard 0 is closed and read to its end (next offset 5, children 1,2)");
  }

  @Test
  void splitMergeTrimAndReadAClosedShardToItsEnd() {
    ok("stream", "create", "cli-shards");
    for (int i = 0; i < 4; i++) {
      append("cli-shards", "key-" + i, "before-" + i);
    }
    assertThat(ok("stream", "list-shards", "cli-shards").lines().get(1).split(" +"))
        .containsExactly("0", "open", "0".repeat(32), "f".repeat(32), "0", "4", "-", "-");

    Run badAt = ordo("stream", "split", "cli-shards", "0", "--at", "xyz");
    assertThat(badAt.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(badAt.err()).contains("--at must be 32 hex digits");

    Run split = ok("stream", "split", "cli-shards", "0");
    assertThat(split.lines().get(0)).isEqualTo("split shard 0 of cli-shards into 1,2");
    assertThat(split.lines()).hasSize(4);
    assertThat(split.lines().get(2).split(" +")).startsWith("1", "open").endsWith("0", "0", "0", "-");

    ListShardsResponse afterSplit =
        parse(ok("stream", "list-shards", "cli-shards", "--json").out(), ListShardsResponse.getDefaultInstance());
    assertThat(afterSplit.getShardsList()).extracting(Shard::getId).containsExactly(0L, 1L, 2L);
    Shard parent = afterSplit.getShards(0);
    assertThat(parent.getState()).isEqualTo(Shard.State.CLOSED);
    assertThat(parent.getChildIdsList()).containsExactly(1L, 2L);
    assertThat(parent.getNextOffset()).isEqualTo(4);
    assertThat(afterSplit.getShards(1).getParentIdsList()).containsExactly(0L);

    Set<Long> childShards = new HashSet<>();
    for (int i = 0; i < 8; i++) {
      childShards.add(append("cli-shards", "key-" + i, "after-" + i).get(0)[0]);
    }
    assertThat(childShards).as("appends after the split land in the children").isSubsetOf(1L, 2L);

    Run closed = ok("stream", "read", "cli-shards", "--shard", "0");
    assertThat(recordLines(closed)).extracting(Line::payload)
        .containsExactly("before-0", "before-1", "before-2", "before-3");
    assertThat(closed.err())
        .contains("ordo stream read: shard 0 is closed and read to its end (next offset 4, children 1,2)");
    // The whole stream: per key, the parent's record before the child's.
    Map<String, List<String>> byKey = payloadsByKey(recordLines(ok("stream", "read", "cli-shards")));
    for (int i = 0; i < 4; i++) {
      assertThat(byKey.get("key-" + i)).containsExactly("before-" + i, "after-" + i);
    }

    Run merged = ok("stream", "merge", "cli-shards", "1", "2");
    assertThat(merged.lines().get(0)).isEqualTo("merged shards 1 and 2 of cli-shards into 3");
    assertThat(merged.lines().get(2).split(" +"))
        .containsExactly("3", "open", "0".repeat(32), "f".repeat(32), "0", "0", "1,2", "-");
    assertThat(append("cli-shards", "key-0", "merged-0").get(0)).containsExactly(3L, 0L);
    Run notAdjacent = ordo("stream", "merge", "cli-shards", "1", "3");
    assertThat(notAdjacent.exitCode()).isNotZero();
    assertThat(notAdjacent.err()).startsWith("ordo stream merge: error: ");

    Run trimmed = ok("stream", "trim", "cli-shards", "0", "2");
    assertThat(trimmed.lines()).containsExactly("shard 0 of cli-shards now starts at offset 2");
    assertThat(recordLines(ok("stream", "read", "cli-shards", "--shard", "0")))
        .extracting(Line::offset)
        .containsExactly(2L, 3L);
    assertThat(ok("stream", "trim", "cli-shards", "0", "1").lines())
        .as("a trim never moves the start back")
        .containsExactly("shard 0 of cli-shards now starts at offset 2");
    Run unknownShard = ordo("stream", "trim", "cli-shards", "99", "1");
    assertThat(unknownShard.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(unknownShard.err()).startsWith("ordo stream trim: error: NOT_FOUND: ");
  }

  // ---- subscriptions ----

  @Test
  void subscriptionsCreateListDescribeFetchWithAcksAndDelete() throws Exception {
    ok("stream", "create", "cli-sub-s", "--shards", "2");
    for (int i = 0; i < 10; i++) {
      append("cli-sub-s", "k" + i, "v" + i);
    }

    assertThat(ok("sub", "create", "cli-sub-a", "--stream", "cli-sub-s").lines())
        .containsExactly(
            "id:            cli-sub-a",
            "stream:        cli-sub-s",
            // The gateway fills in its defaults.
            "ack timeout:   30s",
            "max unacked:   1000",
            "from:          earliest");
    Subscription b =
        parse(
            ok("sub", "create", "cli-sub-b", "--stream", "cli-sub-s", "--from", "latest", "--ack-timeout", "60",
                    "--max-unacked", "5", "--json")
                .out(),
            Subscription.getDefaultInstance());
    assertThat(b.getAckTimeoutSeconds()).isEqualTo(60);
    assertThat(b.getMaxUnackedRecords()).isEqualTo(5);
    assertThat(b.getFrom()).isEqualTo(ReadFrom.Special.LATEST);

    List<String> listed = ok("sub", "list", "--stream", "cli-sub-s").lines();
    assertThat(listed).hasSize(3);
    assertThat(listed.get(0).split(" +")).containsExactly("ID", "STREAM", "ACK_TIMEOUT_S", "MAX_UNACKED", "FROM");
    assertThat(listed.get(1).split(" +")).startsWith("cli-sub-a", "cli-sub-s");
    assertThat(listed.get(2).split(" +")).containsExactly("cli-sub-b", "cli-sub-s", "60", "5", "latest");
    assertThat(
            parse(ok("sub", "list", "--json").out(), ListSubscriptionsResponse.getDefaultInstance()).getSubscriptionsList())
        .extracting(Subscription::getId)
        .contains("cli-sub-a", "cli-sub-b");

    Run first = ok("sub", "fetch", "cli-sub-a", "--consumer", "c1", "--max", "4");
    List<Line> firstLines = recordLines(first);
    assertThat(firstLines).hasSize(4);
    Run second = ok("sub", "fetch", "cli-sub-a", "--consumer", "c1", "--timeout", "3s");
    List<Line> secondLines = recordLines(second);
    assertThat(second.err()).contains("no record for 3000 ms; stopping after 6 records");
    List<Line> both = new ArrayList<>(firstLines);
    both.addAll(secondLines);
    assertThat(both).extracting(Line::payload)
        .as("every record once: the acked ones are not delivered again")
        .containsExactlyInAnyOrder("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
    assertThat(recordLines(ok("sub", "fetch", "cli-sub-a", "--consumer", "c1", "--timeout", "2s"))).isEmpty();

    // The acks become durable progress: every shard's floor reaches its record count.
    Map<Long, Long> recordsPerShard = new LinkedHashMap<>();
    both.forEach(l -> recordsPerShard.merge(l.shard(), 1L, Long::sum));
    Run described =
        awaitRun(
            run -> {
              SubscriptionDetail d = parse(run.lines().get(0), SubscriptionDetail.getDefaultInstance());
              return d.getProgressList().stream()
                  .allMatch(p -> p.getFloor() == recordsPerShard.getOrDefault(p.getShardId(), 0L));
            },
            "sub", "describe", "cli-sub-a", "--json");
    List<String> describedJson = described.lines();
    assertThat(describedJson).hasSize(2);
    SubscriptionDetail detail = parse(describedJson.get(0), SubscriptionDetail.getDefaultInstance());
    assertThat(detail.getSubscription().getId()).isEqualTo("cli-sub-a");
    assertThat(detail.getProgressList()).extracting(ShardProgress::getShardId).containsExactly(0L, 1L);
    assertThat(detail.getProgressList())
        .allSatisfy(p -> assertThat(p.getFloor()).isEqualTo(recordsPerShard.getOrDefault(p.getShardId(), 0L)));
    assertThat(parse(describedJson.get(1), ListConsumersResponse.getDefaultInstance()).getConsumersList()).isEmpty();
    List<String> describedText = ok("sub", "describe", "cli-sub-a").lines();
    assertThat(describedText.subList(0, 2)).containsExactly("id:            cli-sub-a", "stream:        cli-sub-s");
    assertThat(describedText).contains("SHARD  FLOOR  ACKED_ABOVE_FLOOR", "no consumers connected");

    // --no-ack prints without acking: a later fetch gets the same records again.
    append("cli-sub-s", "k0", "v10");
    List<Line> unacked = recordLines(ok("sub", "fetch", "cli-sub-a", "--consumer", "c1", "--no-ack", "--max", "1"));
    assertThat(unacked).extracting(Line::payload).containsExactly("v10");
    List<StreamingFetchResponse> redelivered = new ArrayList<>();
    for (String line : ok("sub", "fetch", "cli-sub-a", "--consumer", "c1", "--max", "1", "--json").lines()) {
      redelivered.add(parse(line, StreamingFetchResponse.getDefaultInstance()));
    }
    assertThat(redelivered).flatExtracting(StreamingFetchResponse::getRecordsList)
        .extracting(r -> r.getRecord().getRaw().toStringUtf8())
        .containsExactly("v10");

    // A connected consumer shows in describe, with the shards it was assigned.
    StringWriter watcherOut = new StringWriter();
    StringWriter watcherErr = new StringWriter();
    CommandLine watcherCli = newCli("", watcherOut, watcherErr);
    CompletableFuture<Integer> watcher =
        CompletableFuture.supplyAsync(
            () ->
                watcherCli.execute(
                    withGateway("sub", "fetch", "cli-sub-b", "--consumer", "watcher", "--max", "2", "--timeout", "60s")));
    Run withConsumer =
        awaitRun(
            // Connected and assigned: the group takes the delivery lease and loads the shards
            // after the consumer registers.
            run -> run.lines().size() == 2
                && parse(run.lines().get(1), ListConsumersResponse.getDefaultInstance()).getConsumersCount() == 1
                && parse(run.lines().get(1), ListConsumersResponse.getDefaultInstance()).getConsumers(0)
                    .getAssignedShardIdsCount() == 2,
            "sub", "describe", "cli-sub-b", "--json");
    assertThat(parse(withConsumer.lines().get(1), ListConsumersResponse.getDefaultInstance()).getConsumersList())
        .as("consumers; the fetch is done: %s, its stderr: %s", watcher.isDone(), watcherErr)
        .hasSize(1);
    assertThat(parse(withConsumer.lines().get(1), ListConsumersResponse.getDefaultInstance()).getConsumers(0))
        .satisfies(c -> {
          assertThat(c.getName()).isEqualTo("watcher");
          assertThat(c.getAssignedShardIdsList()).containsExactly(0L, 1L);
        });
    List<String> watcherText = ok("sub", "describe", "cli-sub-b").lines();
    assertThat(watcherText).contains("CONSUMER  SHARDS  UNACKED");
    assertThat(watcherText.get(watcherText.size() - 1)).matches("watcher +0,1 +\\d+");
    // cli-sub-b started at the latest records: only v10 and what is appended now reach it.
    append("cli-sub-s", "k1", "for-b");
    assertThat(watcher.get(30, TimeUnit.SECONDS)).as(watcherErr.toString()).isZero();
    assertThat(recordLines(new Run(0, watcherOut.toString(), ""))).extracting(Line::payload)
        .containsExactlyInAnyOrder("v10", "for-b");

    Run hasSubs = ordo("stream", "delete", "cli-sub-s");
    assertThat(hasSubs.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(hasSubs.err()).startsWith("ordo stream delete: error: FAILED_PRECONDITION: ");
    assertThat(ok("sub", "delete", "cli-sub-a").lines()).containsExactly("deleted subscription cli-sub-a");
    Run gone = ordo("sub", "describe", "cli-sub-a");
    assertThat(gone.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(gone.err()).startsWith("ordo sub describe: error: NOT_FOUND: ");
    Run goneFetch = ordo("sub", "fetch", "cli-sub-a", "--timeout", "5s");
    assertThat(goneFetch.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(goneFetch.err()).startsWith("ordo sub fetch: error: NOT_FOUND: ");
    assertThat(ok("stream", "delete", "cli-sub-s", "--force").lines()).containsExactly("deleted stream cli-sub-s");
    assertThat(parse(ok("sub", "list", "--json").out(), ListSubscriptionsResponse.getDefaultInstance()).getSubscriptionsList())
        .extracting(Subscription::getId)
        .doesNotContain("cli-sub-a", "cli-sub-b");
  }

  // ---- errors ----

  @Test
  void unknownStreamsAndSubscriptionsAreOneNotFoundLineAndExitCodeOne() {
    String[][] calls = {
      {"stream", "describe", "cli-nope"},
      {"stream", "list-shards", "cli-nope"},
      {"stream", "append", "cli-nope", "x"},
      {"stream", "read", "cli-nope"},
      {"stream", "read", "cli-nope", "--shard", "0"},
      {"stream", "read", "cli-nope", "--follow", "--max", "1"},
      {"stream", "split", "cli-nope", "0"},
      {"stream", "merge", "cli-nope", "0", "1"},
      {"stream", "trim", "cli-nope", "0", "1"},
      {"stream", "delete", "cli-nope"},
      {"sub", "create", "cli-nope-sub", "--stream", "cli-nope"},
      {"sub", "describe", "cli-nope-sub"},
      {"sub", "delete", "cli-nope-sub"},
      {"sub", "fetch", "cli-nope-sub", "--timeout", "5s"},
    };
    for (String[] call : calls) {
      Run run = ordo(call);
      String command = "ordo " + call[0] + " " + call[1];
      assertThat(run.exitCode()).as("%s: %s", String.join(" ", call), run.err()).isEqualTo(OrdoCli.EXIT_FAILURE);
      List<String> errLines = List.of(run.err().split("\r?\n"));
      assertThat(errLines.get(0))
          .as(String.join(" ", call))
          .startsWith(command + ": error: NOT_FOUND: ")
          .containsAnyOf("cli-nope", "cli-nope-sub");
      assertThat(run.out()).as(String.join(" ", call)).isEmpty();
    }
    Run append = ordo("stream", "append", "cli-nope", "x", "y");
    assertThat(append.err()).contains("0 records were appended before the failed call; its 2 records were not");

    Run unreachable = ordoUnreachable("stream", "list", "--timeout", "2s");
    assertThat(unreachable.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(unreachable.err()).startsWith("ordo stream list: error: ");
  }

  /** Runs a command against a loopback port that nothing listens on (port 1 needs root). */
  private static Run ordoUnreachable(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> full = new ArrayList<>(Arrays.asList(args).subList(0, 2));
    full.add("--gateway");
    full.add("127.0.0.1:1");
    full.addAll(Arrays.asList(args).subList(2, args.length));
    int exitCode = newCli("", out, err).execute(full.toArray(String[]::new));
    return new Run(exitCode, out.toString(), err.toString());
  }
}
