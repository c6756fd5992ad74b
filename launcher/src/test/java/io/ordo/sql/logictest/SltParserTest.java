package io.ordo.sql.logictest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.sql.logictest.SltRecord.Condition;
import io.ordo.sql.logictest.SltRecord.SortMode;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SltParserTest {

  @Test
  void parsesStatementsQueriesConditionsAndHalt() {
    String text =
        """
        # a comment
        hash-threshold 8

        statement ok
        CREATE TABLE t (k INT PRIMARY KEY,
          v TEXT)

        statement error 23505
        INSERT INTO t VALUES (1, 'a')

        statement error relation "\\w+" does not exist
        SELECT * FROM nope

        statement count 0
        UPDATE t SET v = 'b' WHERE k = 9

        skipif postgresql
        onlyif ordo
        query IT rowsort lbl
        SELECT k, v
        FROM t
        ----
        1
        (empty)

        query I
        SELECT 1 WHERE false

        let $t
        SELECT 'x'

        halt
        """;
    List<SltRecord> records = SltParser.parse("f.slt", text);
    assertThat(records).hasSize(8);

    SltRecord.Statement create = (SltRecord.Statement) records.get(0);
    assertThat(create.line()).isEqualTo(4);
    assertThat(create.expect()).isEqualTo(new SltRecord.Ok());
    assertThat(create.sql()).isEqualTo("CREATE TABLE t (k INT PRIMARY KEY,\n  v TEXT)");

    assertThat(((SltRecord.Statement) records.get(1)).expect())
        .isEqualTo(new SltRecord.Error(Optional.of("23505"), Optional.empty()));
    assertThat(((SltRecord.Statement) records.get(2)).expect())
        .isEqualTo(
            new SltRecord.Error(Optional.empty(), Optional.of("relation \"\\w+\" does not exist")));
    assertThat(((SltRecord.Statement) records.get(3)).expect()).isEqualTo(new SltRecord.Count(0));

    SltRecord.Query q = (SltRecord.Query) records.get(4);
    assertThat(q.line()).isEqualTo(19);
    assertThat(q.conditions())
        .containsExactly(new Condition(false, "postgresql"), new Condition(true, "ordo"));
    assertThat(q.types()).isEqualTo("IT");
    assertThat(q.sort()).isEqualTo(SortMode.ROWSORT);
    assertThat(q.label()).contains("lbl");
    assertThat(q.sql()).isEqualTo("SELECT k, v\nFROM t");
    assertThat(q.expected()).containsExactly("1", "(empty)");
    assertThat(q.appliesTo("ordo")).isTrue();
    assertThat(q.appliesTo("postgresql")).isFalse();
    assertThat(q.appliesTo("other")).isFalse();

    SltRecord.Query empty = (SltRecord.Query) records.get(5);
    assertThat(empty.sort()).isEqualTo(SortMode.NOSORT);
    assertThat(empty.expected()).isEmpty();
    assertThat(empty.appliesTo("postgresql")).isTrue();

    assertThat(records.get(6)).isEqualTo(new SltRecord.Let(29, List.of(), "$t", "SELECT 'x'"));
    assertThat(records.get(7)).isInstanceOf(SltRecord.Halt.class);
  }

  @Test
  void parsesHashedResultsAndCrLfLines() {
    String text = "query I valuesort\r\nSELECT 1\r\n----\r\n3 values hashing to "
        + "0123456789abcdef0123456789abcdef\r\n";
    SltRecord.Query q = (SltRecord.Query) SltParser.parse("f.slt", text).get(0);
    assertThat(q.sort()).isEqualTo(SortMode.VALUESORT);
    assertThat(q.expected()).isEmpty();
    assertThat(q.hashed())
        .contains(new SltRecord.Hashed(3, "0123456789abcdef0123456789abcdef"));
  }

  @Test
  void rejectsMalformedRecordsWithFileAndLine() {
    assertThatThrownBy(() -> SltParser.parse("f.slt", "\nquery X\nSELECT 1\n"))
        .isInstanceOf(SltParser.SltFormatException.class)
        .hasMessageStartingWith("f.slt:2:");
    assertThatThrownBy(() -> SltParser.parse("f.slt", "select 1\n"))
        .hasMessageContaining("f.slt:1: unknown record type 'select'");
    assertThatThrownBy(() -> SltParser.parse("f.slt", "statement ok\n\n"))
        .hasMessageContaining("f.slt:1: record without SQL");
    assertThatThrownBy(() -> SltParser.parse("f.slt", "statement maybe\nSELECT 1\n"))
        .hasMessageContaining("statement needs ok, count or error");
    assertThatThrownBy(() -> SltParser.parse("f.slt", "query I sideways\nSELECT 1\n"))
        .hasMessageContaining("unknown sort mode sideways");
    assertThatThrownBy(() -> SltParser.parse("f.slt", "statement error ([\nSELECT 1\n"))
        .hasMessageContaining("bad error pattern");
    assertThatThrownBy(() -> SltParser.parse("f.slt", "statement ok\nSELECT 1\n\nonlyif ordo\n"))
        .hasMessageContaining("skipif/onlyif without a record");
    assertThatThrownBy(() -> SltParser.parse("f.slt", "let t\nSELECT 1\n"))
        .hasMessageContaining("let needs a $name");
  }

  @Test
  void boundsRecordsPerFile() {
    String many = "statement ok\nSELECT 1\n\n".repeat(SltParser.MAX_RECORDS);
    assertThat(SltParser.parse("f.slt", many)).hasSize(SltParser.MAX_RECORDS);
    assertThatThrownBy(() -> SltParser.parse("f.slt", many + "halt\n"))
        .hasMessageContaining("more than " + SltParser.MAX_RECORDS + " records");
  }
}
