package io.ordo.launcher.cli;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.ordo.proto.AppendRequest;
import io.ordo.proto.AppendResponse;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.DeleteStreamRequest;
import io.ordo.proto.DeleteStreamResponse;
import io.ordo.proto.GetStreamRequest;
import io.ordo.proto.Header;
import io.ordo.proto.ListShardsRequest;
import io.ordo.proto.ListShardsResponse;
import io.ordo.proto.ListStreamsRequest;
import io.ordo.proto.ListStreamsResponse;
import io.ordo.proto.MergeShardsRequest;
import io.ordo.proto.MergeShardsResponse;
import io.ordo.proto.ReadFrom;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadShardRequest;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.ReceivedRecord;
import io.ordo.proto.RecordId;
import io.ordo.proto.Shard;
import io.ordo.proto.SplitShardRequest;
import io.ordo.proto.SplitShardResponse;
import io.ordo.proto.Stream;
import io.ordo.proto.StreamRecord;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.StreamsGrpc.StreamsBlockingStub;
import io.ordo.proto.TrimShardRequest;
import io.ordo.proto.TrimShardResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code ordo stream ...}: creates, lists, describes and deletes streams, appends and reads
 * records, and splits, merges and trims shards, by calling a running gateway's {@code Streams}
 * gRPC service. One class per subcommand, nested here; the options they share ({@code --gateway},
 * {@code --timeout}, {@code --output}/{@code --json}) and the error mapping are in {@link
 * GatewayCallCommand}. Given no subcommand, picocli reports a usage error.
 */
@Command(
    name = "stream",
    mixinStandardHelpOptions = true,
    versionProvider = OrdoVersionProvider.class,
    description = "Streams of a running gateway: create, list, describe, delete, append, read, and"
        + " split, merge and trim shards.",
    subcommands = {
      StreamCommand.Create.class,
      StreamCommand.ListStreams.class,
      StreamCommand.Describe.class,
      StreamCommand.Delete.class,
      StreamCommand.Append.class,
      StreamCommand.Read.class,
      StreamCommand.ListShards.class,
      StreamCommand.Split.class,
      StreamCommand.Merge.class,
      StreamCommand.Trim.class
    })
public final class StreamCommand implements ClientIo.Holder {
  /** Replaced by tests; see {@link ClientIo}. */
  ClientIo clientIo = ClientIo.system();

  @Override
  public ClientIo clientIo() {
    return clientIo;
  }

  /** Most shards a stream may have (the gateway's bound, checked here to fail early). */
  static final int SHARD_COUNT_MAX = 1024;

  // ---- text output shared by the subcommands ----

  /** Prints a stream as {@code field: value} lines. */
  static void printStream(PrintWriter out, Stream s) {
    out.println("name:          " + s.getName());
    out.println("open shards:   " + s.getShardCount());
    out.println("retention:     " + retention(s.getRetentionSeconds()));
    out.println("ingest topic:  " + (s.getIngestTopic().isEmpty() ? "-" : s.getIngestTopic()));
  }

  /** Prints shards as a table, in the order given. */
  static void printShards(PrintWriter out, List<Shard> shards) {
    TextTable t =
        new TextTable(
            "ID", "STATE", "START_HASH", "END_HASH", "START_OFFSET", "NEXT_OFFSET", "PARENTS",
            "CHILDREN");
    for (Shard s : shards) {
      t.row(
          s.getId(),
          state(s.getState()),
          s.getStartHash(),
          s.getEndHash(),
          s.getStartOffset(),
          s.getNextOffset(),
          ids(s.getParentIdsList()),
          ids(s.getChildIdsList()));
    }
    t.print(out);
  }

  /** {@code forever} for 0, else the largest unit that divides it exactly: {@code 7d}, {@code 90m}. */
  static String retention(long seconds) {
    if (seconds == 0) {
      return "forever";
    }
    if (seconds % 86_400 == 0) {
      return seconds / 86_400 + "d";
    }
    if (seconds % 3_600 == 0) {
      return seconds / 3_600 + "h";
    }
    if (seconds % 60 == 0) {
      return seconds / 60 + "m";
    }
    return seconds + "s";
  }

  private static String state(Shard.State state) {
    return switch (state) {
      case OPEN -> "open";
      case CLOSED -> "closed";
      default -> state.name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  /** Ids joined by commas, or {@code -} when there are none. */
  static String ids(List<Long> ids) {
    return ids.isEmpty() ? "-" : ids.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  /**
   * {@code duration} in whole seconds, for the proto fields that count seconds.
   *
   * @throws ParameterException naming {@code option} if it has a fraction of a second or does not
   *     fit {@code maxSeconds}
   */
  static long wholeSeconds(GatewayCallCommand command, String option, Duration duration, long maxSeconds) {
    if (duration.getNano() != 0) {
      throw new ParameterException(
          command.spec.commandLine(), option + " must be whole seconds, got " + duration.toMillis() + " ms");
    }
    if (duration.getSeconds() > maxSeconds) {
      throw new ParameterException(
          command.spec.commandLine(), option + " must be at most " + maxSeconds + " s, got " + duration.getSeconds());
    }
    return duration.getSeconds();
  }

  // ---- subcommands ----

  /** {@code ordo stream create NAME [--shards N] [--retention DURATION]}. */
  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description = "Create a stream whose shards split the hash space of partition keys evenly.")
  static final class Create extends GatewayCallCommand.WithJsonFlag {
    @Parameters(index = "0", paramLabel = "NAME", description = "1..255 characters of [A-Za-z0-9._-].")
    String name;

    @Option(names = "--shards", paramLabel = "N", description = "Number of shards, 1..1024.")
    int shards = 1;

    @Option(
        names = "--retention",
        paramLabel = "DURATION",
        defaultValue = "0",
        converter = DurationConverter.class,
        description = "Records older than this are trimmed, in whole seconds (e.g. 7d or 12h);"
            + " 0 keeps them forever.")
    Duration retention;

    @Override
    void validate() {
      if (shards < 1 || shards > SHARD_COUNT_MAX) {
        throw new ParameterException(
            spec.commandLine(), "--shards must be in [1, " + SHARD_COUNT_MAX + "], got " + shards);
      }
      wholeSeconds(this, "--retention", retention, Long.MAX_VALUE);
    }

    @Override
    int run(ManagedChannel channel) {
      Stream stream =
          withDeadline(StreamsGrpc.newBlockingStub(channel))
              .createStream(
                  CreateStreamRequest.newBuilder()
                      .setName(name)
                      .setShardCount(shards)
                      .setRetentionSeconds(retention.getSeconds())
                      .build());
      if (json()) {
        printJson(stream);
      } else {
        printStream(out(), stream);
      }
      return OrdoCli.EXIT_OK;
    }
  }

  /** {@code ordo stream list [--prefix P]}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description = "List streams in name order.")
  static final class ListStreams extends GatewayCallCommand.WithJsonFlag {
    @Option(
        names = "--prefix",
        paramLabel = "P",
        showDefaultValue = Visibility.NEVER,
        description = "Only streams whose name starts with P.")
    String prefix = "";

    @Override
    int run(ManagedChannel channel) {
      ListStreamsResponse response =
          withDeadline(StreamsGrpc.newBlockingStub(channel))
              .listStreams(ListStreamsRequest.newBuilder().setPrefix(prefix).build());
      if (json()) {
        printJson(response);
      } else if (response.getStreamsCount() == 0) {
        out().println(prefix.isEmpty() ? "no streams" : "no streams named " + prefix + "*");
      } else {
        TextTable t = new TextTable("NAME", "SHARDS", "RETENTION", "INGEST_TOPIC");
        for (Stream s : response.getStreamsList()) {
          t.row(
              s.getName(),
              s.getShardCount(),
              retention(s.getRetentionSeconds()),
              s.getIngestTopic().isEmpty() ? "-" : s.getIngestTopic());
        }
        t.print(out());
      }
      return OrdoCli.EXIT_OK;
    }
  }

  /** {@code ordo stream describe NAME}: the stream and its shards. */
  @Command(
      name = "describe",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description = {
        "Show a stream and all its shards (open and closed).",
        "With --json: the Stream, then the ListShardsResponse, one per line."
      })
  static final class Describe extends GatewayCallCommand.WithJsonFlag {
    @Parameters(index = "0", paramLabel = "NAME", description = "The stream.")
    String name;

    @Override
    int run(ManagedChannel channel) {
      StreamsBlockingStub stub = withDeadline(StreamsGrpc.newBlockingStub(channel));
      Stream stream = stub.getStream(GetStreamRequest.newBuilder().setName(name).build());
      ListShardsResponse shards = stub.listShards(ListShardsRequest.newBuilder().setStream(name).build());
      if (json()) {
        printJson(stream);
        printJson(shards);
      } else {
        printStream(out(), stream);
        out().println();
        printShards(out(), shards.getShardsList());
      }
      return OrdoCli.EXIT_OK;
    }
  }

  /** {@code ordo stream delete NAME [--force] [--ignore-missing]}. */
  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description = "Delete a stream and its records.")
  static final class Delete extends GatewayCallCommand.WithJsonFlag {
    @Parameters(index = "0", paramLabel = "NAME", description = "The stream.")
    String name;

    @Option(names = "--force", description = "Delete its subscriptions too (else it must have none).")
    boolean force;

    @Option(names = "--ignore-missing", description = "Succeed when the stream does not exist.")
    boolean ignoreMissing;

    @Override
    int run(ManagedChannel channel) {
      DeleteStreamResponse response =
          withDeadline(StreamsGrpc.newBlockingStub(channel))
              .deleteStream(
                  DeleteStreamRequest.newBuilder()
                      .setName(name)
                      .setForce(force)
                      .setIgnoreMissing(ignoreMissing)
                      .build());
      if (json()) {
        printJson(response);
      } else if (response.getExisted()) {
        out().println("deleted stream " + name);
      } else {
        out().println("stream " + name + " does not exist; nothing deleted");
      }
      return OrdoCli.EXIT_OK;
    }
  }

  /**
   * {@code ordo stream append NAME [--key K] [--header k=v]... [--json] (PAYLOAD... | -)}: appends
   * the payloads given as arguments, or one record per line of stdin, in Append calls of at most
   * {@code --batch-records} records and about {@code --batch-bytes} bytes each. Each call is
   * all-or-none; after a failed call the records of earlier calls stay appended, and the command
   * says how many.
   */
  @Command(
      name = "append",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description = {
        "Append records: the PAYLOAD arguments, or with - one record per line of stdin (empty lines"
            + " are skipped; lines end at \\n or \\r\\n and may be up to 1 MiB).",
        "Records are sent in batches (one Append call each, all or none); prints each record's"
            + " shard and offset."
      })
  static final class Append extends GatewayCallCommand {
    /** Longest stdin line, in bytes: the gateway's default bound on one value. */
    static final int LINE_BYTES_MAX = 1 << 20;

    /** Most records per Append call (a bound on the request, far below the gateway's). */
    static final int BATCH_RECORDS_MAX = 10_000;

    /** Most bytes per Append call: half of the gateway's default transaction bound (8 MiB). */
    static final int BATCH_BYTES_MAX = 4 << 20;

    @Parameters(index = "0", paramLabel = "NAME", description = "The stream.")
    String name;

    @Parameters(
        index = "1..*",
        arity = "1..*",
        paramLabel = "PAYLOAD",
        showDefaultValue = Visibility.NEVER,
        description = "Payloads, one record each; or - to read one record per line of stdin.")
    List<String> payloads = new ArrayList<>();

    @Option(
        names = "--key",
        paramLabel = "K",
        showDefaultValue = Visibility.NEVER,
        description = "Partition key of every record (it picks the shard); default empty.")
    String key = "";

    @Option(
        names = "--header",
        paramLabel = "k=v",
        showDefaultValue = Visibility.NEVER,
        description = "A header of every record (repeatable); the value is stored as UTF-8.")
    List<String> headers = new ArrayList<>();

    @Option(
        names = "--json",
        description = "The payloads are JSON documents (validated by the gateway), not raw bytes."
            + " Use --output json for JSON output.")
    boolean jsonPayload;

    @Option(
        names = "--batch-records",
        paramLabel = "N",
        description = "Most records per Append call, 1..10000.")
    int batchRecords = 500;

    @Option(
        names = "--batch-bytes",
        paramLabel = "BYTES",
        description = "Most encoded bytes of records per Append call, 1..4194304 (a larger record"
            + " goes alone).")
    int batchBytes = 1 << 20;

    private List<Header> headerMessages;

    @Override
    void validate() {
      if (batchRecords < 1 || batchRecords > BATCH_RECORDS_MAX) {
        throw new ParameterException(
            spec.commandLine(),
            "--batch-records must be in [1, " + BATCH_RECORDS_MAX + "], got " + batchRecords);
      }
      if (batchBytes < 1 || batchBytes > BATCH_BYTES_MAX) {
        throw new ParameterException(
            spec.commandLine(), "--batch-bytes must be in [1, " + BATCH_BYTES_MAX + "], got " + batchBytes);
      }
      if (payloads.contains("-") && payloads.size() > 1) {
        throw new ParameterException(
            spec.commandLine(), "- (read stdin) cannot be combined with PAYLOAD arguments");
      }
      headerMessages = new ArrayList<>(headers.size());
      for (String h : headers) {
        int eq = h.indexOf('=');
        if (eq <= 0) {
          throw new ParameterException(spec.commandLine(), "--header must be k=v, got '" + h + "'");
        }
        headerMessages.add(
            Header.newBuilder()
                .setKey(h.substring(0, eq))
                .setValue(ByteString.copyFromUtf8(h.substring(eq + 1)))
                .build());
      }
    }

    /** The next record to append, or null when there are no more. */
    private interface RecordSource {
      StreamRecord next() throws IOException;
    }

    @Override
    int run(ManagedChannel channel) throws IOException {
      StreamsBlockingStub stub = StreamsGrpc.newBlockingStub(channel);
      boolean fromStdin = payloads.equals(List.of("-"));
      RecordSource source = fromStdin ? stdinSource() : argumentSource();
      List<StreamRecord> batch = new ArrayList<>();
      long batchSize = 0;
      long appended = 0;
      try {
        for (StreamRecord r = source.next(); r != null; r = source.next()) {
          long size = r.getSerializedSize();
          if (!batch.isEmpty() && (batch.size() == batchRecords || batchSize + size > batchBytes)) {
            appended += send(stub, batch);
            batch.clear();
            batchSize = 0;
          }
          batch.add(r);
          batchSize += size;
        }
        if (!batch.isEmpty()) {
          appended += send(stub, batch);
        }
      } catch (StatusRuntimeException e) {
        int exitCode = reportError(e.getStatus());
        note(appended + " records were appended before the failed call; its " + batch.size()
            + " records were not (or, on DEADLINE_EXCEEDED or UNAVAILABLE, may have been)");
        return exitCode;
      } catch (IllegalArgumentException e) {
        if (appended > 0) {
          note(appended + " records were appended before the bad input");
        }
        throw e;
      }
      if (appended == 0) {
        note("stdin had no records; nothing appended");
      }
      return OrdoCli.EXIT_OK;
    }

    private RecordSource argumentSource() {
      Iterator<String> it = payloads.iterator();
      return () -> {
        if (!it.hasNext()) {
          return null;
        }
        String payload = it.next();
        return jsonPayload ? record().setJson(payload).build() : record().setRaw(ByteString.copyFromUtf8(payload)).build();
      };
    }

    private RecordSource stdinSource() {
      LineReader lines = new LineReader(clientIo().stdin(), LINE_BYTES_MAX);
      return () -> {
        byte[] line;
        do {
          line = lines.next();
        } while (line != null && line.length == 0);
        if (line == null) {
          return null;
        }
        if (!jsonPayload) {
          return record().setRaw(ByteString.copyFrom(line)).build();
        }
        try {
          String text =
              StandardCharsets.UTF_8
                  .newDecoder()
                  .onMalformedInput(CodingErrorAction.REPORT)
                  .onUnmappableCharacter(CodingErrorAction.REPORT)
                  .decode(ByteBuffer.wrap(line))
                  .toString();
          return record().setJson(text).build();
        } catch (CharacterCodingException e) {
          throw new IllegalArgumentException(
              "line " + lines.lineNumber() + " of stdin is not UTF-8, so not a JSON document");
        }
      };
    }

    private StreamRecord.Builder record() {
      return StreamRecord.newBuilder().setPartitionKey(key).addAllHeaders(headerMessages);
    }

    /** One Append call; prints the records' ids and returns how many were appended. */
    private int send(StreamsBlockingStub stub, List<StreamRecord> batch) {
      AppendResponse response =
          withDeadline(stub)
              .append(AppendRequest.newBuilder().setStream(name).addAllRecords(batch).build());
      if (json()) {
        printJson(response);
      } else {
        for (RecordId id : response.getRecordIdsList()) {
          out().println("shard " + id.getShardId() + " offset " + id.getOffset());
        }
      }
      out().flush();
      return batch.size();
    }
  }

  /**
   * {@code ordo stream read NAME [--shard ID] [--from ...] [--max N] [--follow]}: ReadShard with
   * {@code --shard}, else ReadStream (every shard merged in commit order).
   */
  @Command(
      name = "read",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description = {
        "Read records, one per line: SHARD OFFSET TIMESTAMP KEY PAYLOAD, tab-separated; the key and"
            + " text payloads with \\t \\n \\r \\\\ escaped, other payloads as base64:<...>.",
        "With --shard one shard, else all shards merged in commit order. Without --follow the read"
            + " stops at the end as of its start, and --timeout bounds the whole read; with --follow"
            + " it follows the tail until --max records or Ctrl-C.",
        "With --json: each ReadResponse, one per line. A closed shard's end is noted on stderr."
      })
  static final class Read extends GatewayCallCommand.WithJsonFlag {
    @Parameters(index = "0", paramLabel = "NAME", description = "The stream.")
    String name;

    @Option(names = "--shard", paramLabel = "ID", description = "Read only this shard.")
    Long shard;

    @Option(
        names = "--from",
        paramLabel = "earliest|latest|OFFSET|@TIMESTAMP_MS",
        converter = ReadFromConverter.class,
        defaultValue = "earliest",
        description = "Where to start; an OFFSET needs --shard.")
    ReadFrom from;

    @Option(names = "--max", paramLabel = "N", description = "Stop after N records; 0 = no limit.")
    long max;

    @Option(names = "--follow", description = "Keep reading records as they are appended.")
    boolean follow;

    @Override
    void validate() {
      if (max < 0) {
        throw new ParameterException(spec.commandLine(), "--max must not be negative, got " + max);
      }
      if (shard == null && from.getAtCase() == ReadFrom.AtCase.OFFSET) {
        throw new ParameterException(
            spec.commandLine(), "--from " + from.getOffset() + " is an offset, which needs --shard"
                + " (offsets are per shard); use earliest, latest or @TIMESTAMP_MS for the stream");
      }
    }

    @Override
    int run(ManagedChannel channel) {
      // Leaving the loop early (--max) must end the call, which cancelling its context does.
      Context.CancellableContext context = Context.current().withCancellation();
      Context previous = context.attach();
      try {
        StreamsBlockingStub stub = StreamsGrpc.newBlockingStub(channel);
        if (!follow) {
          stub = withDeadline(stub);
        }
        Iterator<ReadResponse> responses =
            shard != null
                ? stub.readShard(
                    ReadShardRequest.newBuilder()
                        .setStream(name)
                        .setShardId(shard)
                        .setFrom(from)
                        .setMaxRecords(max)
                        .setFollow(follow)
                        .build())
                : stub.readStream(
                    ReadStreamRequest.newBuilder()
                        .setStream(name)
                        .setFrom(from)
                        .setMaxRecords(max)
                        .setFollow(follow)
                        .build());
        long printed = 0;
        while ((max == 0 || printed < max) && responses.hasNext()) {
          ReadResponse response = responses.next();
          int take = response.getRecordsCount();
          if (max > 0 && take > max - printed) {
            // The gateway stops after max_records too; this holds the bound if it sends more.
            take = (int) (max - printed);
            response =
                response.toBuilder()
                    .clearRecords()
                    .addAllRecords(response.getRecordsList().subList(0, take))
                    .build();
          }
          printRecords(this, response.getRecordsList(), response);
          if (!json() && response.hasShardEnd()) {
            note("shard " + response.getShardEnd().getShardId() + " is closed and read to its end"
                + " (next offset " + response.getShardEnd().getNextOffset() + ", children "
                + ids(response.getShardEnd().getChildIdsList()) + ")");
          }
          printed += take;
        }
        return OrdoCli.EXIT_OK;
      } finally {
        context.detach(previous);
        context.cancel(null);
      }
    }
  }

  /**
   * Prints records one per line ({@link RecordFormat}) or, with JSON output, {@code message} (the
   * response that carries them) as one JSON line; then flushes, so that a following read shows
   * records as they arrive.
   */
  static void printRecords(
      GatewayCallCommand command, List<ReceivedRecord> records, com.google.protobuf.MessageOrBuilder message) {
    if (command.json()) {
      command.printJson(message);
    } else {
      for (ReceivedRecord r : records) {
        command.out().println(RecordFormat.line(r));
      }
    }
    command.out().flush();
  }

  /** {@code ordo stream list-shards NAME}. */
  @Command(
      name = "list-shards",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description = "List a stream's shards (open and closed).")
  static final class ListShards extends GatewayCallCommand.WithJsonFlag {
    @Parameters(index = "0", paramLabel = "NAME", description = "The stream.")
    String name;

    @Override
    int run(ManagedChannel channel) {
      ListShardsResponse response =
          withDeadline(StreamsGrpc.newBlockingStub(channel))
              .listShards(ListShardsRequest.newBuilder().setStream(name).build());
      if (json()) {
        printJson(response);
      } else {
        printShards(out(), response.getShardsList());
      }
      return OrdoCli.EXIT_OK;
    }
  }

  /** {@code ordo stream split NAME SHARD [--at HEX]}. */
  @Command(
      name = "split",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description = "Split an open shard into two children at a hash (default: the middle of its"
          + " range); appends ordered after the split go to the children.")
  static final class Split extends GatewayCallCommand.WithJsonFlag {
    @Parameters(index = "0", paramLabel = "NAME", description = "The stream.")
    String name;

    @Parameters(index = "1", paramLabel = "SHARD", description = "Id of the open shard to split.")
    long shard;

    @Option(
        names = "--at",
        paramLabel = "HEX",
        description = "First hash of the second child: 32 hex digits inside (start, end] of the shard.")
    String atHash = "";

    @Override
    void validate() {
      if (!atHash.isEmpty() && !atHash.matches("[0-9A-Fa-f]{32}")) {
        throw new ParameterException(
            spec.commandLine(), "--at must be 32 hex digits, got '" + atHash + "'");
      }
    }

    @Override
    int run(ManagedChannel channel) {
      SplitShardResponse response =
          withDeadline(StreamsGrpc.newBlockingStub(channel))
              .splitShard(
                  SplitShardRequest.newBuilder()
                      .setStream(name)
                      .setShardId(shard)
                      .setAtHash(atHash.toLowerCase(java.util.Locale.ROOT))
                      .build());
      if (json()) {
        printJson(response);
      } else {
        out().println("split shard " + shard + " of " + name + " into "
            + ids(response.getChildrenList().stream().map(Shard::getId).toList()));
        printShards(out(), response.getChildrenList());
      }
      return OrdoCli.EXIT_OK;
    }
  }

  /** {@code ordo stream merge NAME LEFT RIGHT}. */
  @Command(
      name = "merge",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description = "Merge two adjacent open shards into one child; appends ordered after the merge"
          + " go to the child.")
  static final class Merge extends GatewayCallCommand.WithJsonFlag {
    @Parameters(index = "0", paramLabel = "NAME", description = "The stream.")
    String name;

    @Parameters(index = "1", paramLabel = "LEFT", description = "Id of the shard with the lower hashes.")
    long left;

    @Parameters(index = "2", paramLabel = "RIGHT", description = "Id of the adjacent shard above it.")
    long right;

    @Override
    int run(ManagedChannel channel) {
      MergeShardsResponse response =
          withDeadline(StreamsGrpc.newBlockingStub(channel))
              .mergeShards(
                  MergeShardsRequest.newBuilder().setStream(name).setLeft(left).setRight(right).build());
      if (json()) {
        printJson(response);
      } else {
        out().println("merged shards " + left + " and " + right + " of " + name + " into "
            + response.getChild().getId());
        printShards(out(), List.of(response.getChild()));
      }
      return OrdoCli.EXIT_OK;
    }
  }

  /** {@code ordo stream trim NAME SHARD OFFSET}. */
  @Command(
      name = "trim",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description = "Delete a shard's records below OFFSET (never moves its start back).")
  static final class Trim extends GatewayCallCommand.WithJsonFlag {
    @Parameters(index = "0", paramLabel = "NAME", description = "The stream.")
    String name;

    @Parameters(index = "1", paramLabel = "SHARD", description = "The shard's id.")
    long shard;

    @Parameters(index = "2", paramLabel = "OFFSET", description = "Records below this offset are deleted.")
    long beforeOffset;

    @Override
    void validate() {
      if (beforeOffset < 0) {
        throw new ParameterException(
            spec.commandLine(), "OFFSET must not be negative, got " + beforeOffset);
      }
    }

    @Override
    int run(ManagedChannel channel) {
      TrimShardResponse response =
          withDeadline(StreamsGrpc.newBlockingStub(channel))
              .trimShard(
                  TrimShardRequest.newBuilder()
                      .setStream(name)
                      .setShardId(shard)
                      .setBeforeOffset(beforeOffset)
                      .build());
      if (json()) {
        printJson(response);
      } else {
        out().println("shard " + shard + " of " + name + " now starts at offset " + response.getStartOffset());
      }
      return OrdoCli.EXIT_OK;
    }
  }
}
