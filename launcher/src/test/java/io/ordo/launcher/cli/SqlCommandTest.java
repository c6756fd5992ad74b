package io.ordo.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.ordo.gateway.sql.SqlService;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ordo sql} against an in-process gateway whose Sql service is the real {@link SqlService}
 * over {@link FakeSqlEngine}: option parsing, scripts (-e, -f, piped stdin), JSON output and the
 * interactive loop (prompts per transaction state, backslash commands, Ctrl-C, completion names).
 */
class SqlCommandTest {
  private FakeSqlEngine engine;
  private SqlService service;
  private Server server;
  private String serverName;
  private final List<String> targets = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws IOException {
    engine = new FakeSqlEngine();
    service = new SqlService(engine, 4);
    serverName = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(serverName).addService(service).build().start();
  }

  @AfterEach
  void stop() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    service.close();
  }

  record Run(int exitCode, String out, String err) {}

  private Run run(String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = OrdoCli.newCommandLine(java.util.Map.of());
    SqlCommand sql = (SqlCommand) cli.getSubcommands().get("sql").getCommand();
    sql.clientIo =
        new ClientIo(
            target -> {
              targets.add(target);
              return InProcessChannelBuilder.forName(serverName).build();
            },
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
    sql.stdinIsTerminal = () -> false;
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exitCode = cli.execute(args);
    return new Run(exitCode, out.toString(), err.toString());
  }

  @Test
  void optionsAreParsedAndCheckedBeforeConnecting() {
    Run both = run("", "sql", "-e", "SELECT *", "-f", "x.sql");
    assertThat(both.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(both.err()).contains("give -e or -f, not both");
    Run badTarget = run("", "sql", "--gateway", "nowhere", "-e", "SELECT *");
    assertThat(badTarget.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(badTarget.err()).contains("--gateway must be HOST:PORT");
    Run unknown = run("", "sql", "--bogus");
    assertThat(unknown.exitCode()).isEqualTo(OrdoCli.EXIT_USAGE);
    assertThat(targets).isEmpty();

    assertThat(run("", "sql", "--target", "db.example:7000", "-e", "SELECT *").exitCode())
        .isEqualTo(OrdoCli.EXIT_OK);
    assertThat(targets).containsExactly("db.example:7000");
  }

  @Test
  void aPushQueryPrintsItsRowsAsTheyComeUntilItEnds() {
    Run r = run("", "sql", "-e", "INSERT apple; INSERT kiwi; SELECT word FROM t EMIT CHANGES");
    assertThat(r.out())
        .isEqualTo(
            "INSERT 0 1\nINSERT 0 1\n"
                + "_position | _op | word\n1:0:0:1 | insert | apple\n1:0:1:1 | insert | kiwi\n");
    assertThat(r.err()).contains("the fake gateway ends the push query");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(engine.ran).contains("SELECT word FROM t EMIT CHANGES");

    Run json = run("", "sql", "--json", "-e", "SELECT word FROM t EMIT CHANGES");
    assertThat(json.out())
        .contains("{\"columns\":[{\"name\":\"_position\",\"type\":\"TEXT\"}")
        .contains("{\"row\":[\"1:0:0:1\",\"insert\",\"apple\"]}")
        .contains("{\"position\":\"1:0:2\"}");
  }

  @Test
  void pushQueriesAreRecognizedOutsideStringsAndComments() {
    assertThat(SqlShell.isPushQuery("select * from t emit\n changes")).isTrue();
    assertThat(SqlShell.isPushQuery("SELECT * FROM t EMIT CHANGES AT POSITION '1:2:3'")).isTrue();
    assertThat(SqlShell.isPushQuery("SELECT 'EMIT CHANGES' FROM t")).isFalse();
    assertThat(SqlShell.isPushQuery("SELECT 1 -- EMIT CHANGES")).isFalse();
    assertThat(SqlShell.isPushQuery("SELECT 1 /* EMIT CHANGES */")).isFalse();
    assertThat(SqlShell.isPushQuery("SELECT emitted, changes FROM t")).isFalse();
  }

  @Test
  void executeRunsEveryStatementInOneSessionAndPrintsTables() {
    Run r = run("", "sql", "-e", "BEGIN; INSERT apple; INSERT kiwi; COMMIT; SELECT *");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_OK);
    assertThat(r.out())
        .isEqualTo(
            "BEGIN\nINSERT 0 1\nINSERT 0 1\nCOMMIT\n"
                + "word   length\napple  5\nkiwi   4\n(2 rows)\n");
    assertThat(r.err()).isEmpty();
    // One statement per request, the last one without ';' too.
    assertThat(engine.ran).containsExactly("BEGIN", "INSERT apple", "INSERT kiwi", "COMMIT", "SELECT *");
  }

  @Test
  void aFileStopsAtTheFirstErrorWithExitCodeOneUnlessToldToContinue(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("script.sql");
    Files.writeString(file, "INSERT a;\n-- a comment; with a semicolon\nBOGUS\n  x;\nINSERT b;\n");
    Run stopped = run("", "sql", "-f", file.toString());
    assertThat(stopped.exitCode()).as(stopped.toString()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(engine.table).containsExactly("a");
    // The comment-only line is not sent; the error points at the statement's first line.
    assertThat(stopped.err())
        .isEqualTo("ERROR 42601: syntax error at or near \"BOGUS\"\nLINE 1: BOGUS\n        ^\n");
    assertThat(engine.ran).containsExactly("INSERT a");

    engine.table.clear();
    Files.writeString(file, "INSERT a;\nFAIL 23505 6;\nINSERT b;\n");
    Run continued = run("", "sql", "-f", file.toString(), "--continue-on-error");
    assertThat(continued.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    assertThat(engine.table).containsExactly("a", "b");
    assertThat(continued.err())
        .isEqualTo("ERROR 23505: scripted failure\nLINE 1: FAIL 23505 6\n             ^\n");
  }

  @Test
  void errorPositionsPointIntoTheStatementsLine() {
    Run r = run("", "sql", "-e", "SELECT *; FAIL\n42703\n    7");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_FAILURE);
    // Position 7 of "FAIL\n42703\n    7" is the '0' on line 2.
    assertThat(r.err()).isEqualTo("ERROR 42703: scripted failure\nLINE 2: 42703\n         ^\n");
  }

  @Test
  void jsonPrintsOneObjectPerResult() {
    Run r = run("", "sql", "--json", "-e", "INSERT pear; SELECT *");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_OK);
    assertThat(r.out())
        .isEqualTo(
            "{\"command\":\"INSERT 0 1\",\"columns\":[],\"rows\":[]}\n"
                + "{\"command\":\"SELECT 1\",\"columns\":[{\"name\":\"word\",\"type\":\"TEXT\"},"
                + "{\"name\":\"length\",\"type\":\"BIGINT\"}],\"rows\":[[\"pear\",\"4\"]]}\n");
  }

  @Test
  void pipedStdinKeepsATransactionBlockAcrossLines() {
    Run r = run("BEGIN;\nINSERT\n  fig;\nINSERT 'a;b';\nROLLBACK;\nINSERT plum;\n", "sql");
    assertThat(r.exitCode()).isEqualTo(OrdoCli.EXIT_OK);
    assertThat(engine.ran)
        .containsExactly("BEGIN", "INSERT\n  fig", "INSERT 'a;b'", "ROLLBACK", "INSERT plum");
    assertThat(engine.table).containsExactly("plum");
  }

  @Test
  void aFailedBlockRejectsStatementsUntilRollback() {
    Run r =
        run("", "sql", "--continue-on-error", "-e", "BEGIN; INSERT x; FAIL 22012 0; INSERT y; ROLLBACK; INSERT z");
    assertThat(r.err())
        .isEqualTo("ERROR 22012: scripted failure\nERROR 25P02: current transaction is aborted\n");
    assertThat(engine.table).containsExactly("z");
  }

  /** Lines typed at prompts; records every prompt shown. */
  private static final class Typed implements SqlShell.Input {
    final Deque<Object> lines = new ArrayDeque<>();
    final List<String> prompts = new ArrayList<>();

    Typed(Object... lines) {
      this.lines.addAll(List.of(lines));
    }

    @Override
    public String readLine(String prompt) throws SqlShell.Interrupted {
      prompts.add(prompt);
      Object next = lines.poll();
      if (next instanceof SqlShell.Interrupted interrupted) {
        throw interrupted;
      }
      return (String) next;
    }
  }

  @Test
  void theInteractiveLoopPromptsByTransactionStateAndRunsBackslashCommands() throws Exception {
    ManagedChannel channel = InProcessChannelBuilder.forName(serverName).build();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    AtomicLong clock = new AtomicLong();
    // Each statement takes 12.3 ms on this clock.
    SqlShell shell;
    try (SqlSessionClient client = new SqlSessionClient(channel)) {
      shell =
          new SqlShell(
              client,
              new PrintWriter(out, true),
              new PrintWriter(err, true),
              false,
              true,
              false,
              () -> clock.getAndAdd(12_300_000));
      Typed typed =
          new Typed(
              "BEGIN;",
              "INSERT",
              "  melon;",
              "INSERT half",
              new SqlShell.Interrupted(),
              "FAIL 22P02 0;",
              "ROLLBACK;",
              "\\timing",
              "CREATE TABLE orders;",
              "\\nope",
              "SELECT *;",
              "\\q",
              "SELECT *;");
      assertThat(shell.run(typed)).isEqualTo(OrdoCli.EXIT_OK);
      assertThat(typed.prompts)
          .containsExactly(
              "ordo=> ", "ordo*> ", "ordo-> ", "ordo*> ", "ordo-> ", "ordo*> ", "ordo!> ",
              "ordo=> ", "ordo=> ", "ordo=> ", "ordo=> ", "ordo=> ");
      assertThat(typed.lines).containsExactly("SELECT *;"); // \q stopped the loop
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    // The half-typed "INSERT half" was dropped by Ctrl-C; the block was rolled back.
    assertThat(engine.table).isEmpty();
    assertThat(engine.ran).doesNotContain("INSERT half");
    assertThat(out.toString())
        .isEqualTo(
            "BEGIN\nTime: 12.3 ms\n"
                + "INSERT 0 1\nTime: 12.3 ms\n"
                + "Time: 12.3 ms\n"
                + "ROLLBACK\nTime: 12.3 ms\n"
                + "Timing is off.\n"
                + "CREATE TABLE\n"
                + "word  length\n(0 rows)\n");
    assertThat(err.toString())
        .isEqualTo("ERROR 22P02: scripted failure\ninvalid command \\nope. Try \\? for help.\n");
    // Completion names: read at the start and again after CREATE TABLE.
    assertThat(shell.names()).containsExactlyInAnyOrder("accounts", "clicks", "orders");
  }

  @Test
  void cancellingTheRunningStatementResetsTheSession() throws Exception {
    ManagedChannel channel = InProcessChannelBuilder.forName(serverName).build();
    StringWriter err = new StringWriter();
    try (SqlSessionClient client = new SqlSessionClient(channel)) {
      SqlShell shell =
          new SqlShell(client, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
              false, false, true, System::nanoTime);
      Thread canceller =
          new Thread(
              () -> {
                try {
                  if (engine.sleeping.await(10, TimeUnit.SECONDS)) {
                    client.cancel();
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      canceller.start();
      int exit = shell.run(new Typed("BEGIN;", "INSERT x;", "SLEEP;", "INSERT y;"));
      canceller.join(10_000);
      assertThat(exit).isEqualTo(OrdoCli.EXIT_FAILURE);
      assertThat(client.txnState()).isEqualTo("I");
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    assertThat(err.toString())
        .startsWith("Cancelled. The session was closed: an open transaction block was rolled back.\n")
        .contains("(a new session was opened; the previous one had ended)");
    // x was in the cancelled block; y ran in the new session, autocommit.
    assertThat(engine.table).containsExactly("y");
  }

  @Test
  void aSessionThatEndedWhileIdleIsReplacedBeforeTheNextStatement() throws Exception {
    ManagedChannel channel = InProcessChannelBuilder.forName(serverName).build();
    try (SqlSessionClient client = new SqlSessionClient(channel)) {
      assertThat(client.run("BEGIN").getTxnState()).isEqualTo("T");
      // The gateway goes away and comes back: the session's call ends while the shell is idle.
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server = InProcessServerBuilder.forName(serverName).addService(service).build().start();
      // The end of the call reaches the client on the channel's executor; give it ample time.
      Thread.sleep(500);
      io.ordo.proto.SqlResponse response = client.run("INSERT after");
      assertThat(response).isNotNull();
      assertThat(response.getResults(0).getCommandTag()).isEqualTo("INSERT 0 1");
      assertThat(client.sessionWasReset()).isTrue();
      assertThat(client.txnState()).isEqualTo("I");
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    assertThat(engine.table).containsExactly("after");
  }
}
