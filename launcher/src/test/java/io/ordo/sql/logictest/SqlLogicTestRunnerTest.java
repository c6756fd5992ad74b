package io.ordo.sql.logictest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The runner's verdicts, against a scripted target that answers SQL texts from a table. */
class SqlLogicTestRunnerTest {

  /** Answers each known SQL text with a fixed outcome or error; records what it ran. */
  private static final class ScriptedTarget implements Target {
    final Map<String, Object> answers = new HashMap<>();
    final List<String> ran = new ArrayList<>();

    ScriptedTarget rows(String sql, int columns, List<List<Object>> rows) {
      answers.put(sql, new Outcome(columns, rows, OptionalLong.of(rows.size())));
      return this;
    }

    ScriptedTarget count(String sql, long n) {
      answers.put(sql, new Outcome(0, List.of(), OptionalLong.of(n)));
      return this;
    }

    ScriptedTarget error(String sql, String state, String message) {
      answers.put(sql, new TargetException(state, message, null));
      return this;
    }

    @Override
    public String engine() {
      return "postgresql";
    }

    @Override
    public Outcome execute(String sql) throws TargetException {
      ran.add(sql);
      Object a = answers.get(sql);
      if (a instanceof TargetException e) {
        throw e;
      }
      if (a == null) {
        throw new TargetException("42601", "unscripted: " + sql, null);
      }
      return (Outcome) a;
    }

    @Override
    public void close() {}
  }

  private static SqlLogicTest.Report run(String text, Target target) {
    return SqlLogicTest.run("t.slt", SltParser.parse("t.slt", text), target);
  }

  @Test
  void matchingResultsPass() {
    ScriptedTarget target = new ScriptedTarget()
        .count("INSERT x", 2)
        .error("INSERT dup", "23505", "duplicate key value violates unique constraint")
        .rows("SELECT kv", 2, List.of(List.of(2, "b"), List.of(1, "a")))
        .rows("SELECT v", 1, List.of(List.of("b"), List.of("a")));
    String text = """
        statement count 2
        INSERT x

        statement error 23505
        INSERT dup

        statement error duplicate key
        INSERT dup

        statement error
        INSERT dup

        query IT rowsort
        SELECT kv
        ----
        1
        a
        2
        b

        query T valuesort
        SELECT v
        ----
        a
        b

        query T valuesort
        SELECT v
        ----
        2 values hashing to %s
        """.formatted(SltValues.md5(List.of("a", "b")));
    SqlLogicTest.Report report = run(text, target);
    assertThat(report.failures()).isEmpty();
    assertThat(report.passed()).isTrue();
    assertThat(report.executed()).isEqualTo(7);
  }

  @Test
  void mismatchesAreReportedWithFileLineSqlExpectedAndActual() {
    ScriptedTarget target = new ScriptedTarget()
        .count("UPDATE x", 1)
        .error("INSERT dup", "23502", "null value")
        .rows("SELECT v", 1, List.of(List.of("a"), List.of("b")))
        .rows("SELECT two", 2, List.of(List.of(1, 2)));
    String text = """
        statement count 0
        UPDATE x

        statement error 23505
        INSERT dup

        statement ok
        INSERT dup

        query T nosort
        SELECT v
        ----
        b
        a

        query I
        SELECT two
        ----
        1

        statement error
        UPDATE x
        """;
    SqlLogicTest.Report report = run(text, target);
    assertThat(report.failureCount()).isEqualTo(6);
    List<String> messages = report.failures().stream().map(Object::toString).toList();
    assertThat(messages.get(0)).startsWith("t.slt:1: expected 0 rows affected, got 1");
    assertThat(messages.get(1)).startsWith("t.slt:4: expected error 23505, got 23502: null value");
    assertThat(messages.get(2)).startsWith("t.slt:7: expected success, got error 23502");
    assertThat(messages.get(3))
        .startsWith("t.slt:10: wrong result at value 1 (row 1, column 1)")
        .contains("expected (2 values):\n    b\n    a", "actual (2 values):\n    a\n    b")
        .contains("SQL: SELECT v");
    assertThat(messages.get(4)).startsWith("t.slt:16: expected 1 columns (I), got 2");
    assertThat(messages.get(5)).startsWith("t.slt:21: expected error (any), but the statement");
    assertThat(report.describe()).startsWith("t.slt on postgresql: 6 of 6 records failed");
  }

  @Test
  void conditionsAndHaltDecideWhatRuns() {
    ScriptedTarget target = new ScriptedTarget().count("A", 0).count("B", 0);
    String text = """
        onlyif ordo
        statement ok
        NOT FOR POSTGRESQL

        skipif ordo
        statement ok
        A

        skipif postgresql
        halt

        statement ok
        B

        onlyif postgresql
        halt

        statement ok
        NEVER
        """;
    SqlLogicTest.Report report = run(text, target);
    assertThat(report.passed()).isTrue();
    assertThat(target.ran).containsExactly("A", "B");
    assertThat(report.executed()).isEqualTo(2);
    assertThat(report.skipped()).isEqualTo(3);
  }

  @Test
  void letBindsAValueForLaterRecordsAndLabelsMustAgree() {
    ScriptedTarget target = new ScriptedTarget()
        .rows("SELECT now", 1, List.of(List.of("2024-01-01 00:00:00+00")))
        .rows("SELECT v AS OF '2024-01-01 00:00:00+00'", 1, List.of(List.of(1)))
        .rows("SELECT w", 1, List.of(List.of(2)));
    String text = """
        let $t
        SELECT now

        query I nosort same
        SELECT v AS OF '$t'
        ----
        1

        query I nosort same
        SELECT w
        ----
        2
        """;
    SqlLogicTest.Report report = run(text, target);
    assertThat(target.ran).contains("SELECT v AS OF '2024-01-01 00:00:00+00'");
    assertThat(report.failureCount()).isEqualTo(1);
    assertThat(report.failures().get(0).toString())
        .startsWith("t.slt:9: result differs from the earlier query labelled same");
  }

  @Test
  void commandTagsGiveTheAffectedRowCount() {
    assertThat(OrdoTarget.affected("INSERT 0 2")).isEqualTo(OptionalLong.of(2));
    assertThat(OrdoTarget.affected("UPDATE 0")).isEqualTo(OptionalLong.of(0));
    assertThat(OrdoTarget.affected("CREATE TABLE")).isEqualTo(OptionalLong.empty());
    assertThat(OrdoTarget.affected("BEGIN")).isEqualTo(OptionalLong.empty());
  }
}
