package io.ordo.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SqlStatementSplitterTest {
  private static SqlStatementSplitter.Split split(String text) {
    return SqlStatementSplitter.split(text);
  }

  @Test
  void splitsAtSemicolonsAndKeepsTheUnfinishedRest() {
    SqlStatementSplitter.Split s = split("SELECT 1;  select 2 ;\nINSERT INTO t\nVALUES (1)");
    assertThat(s.statements()).containsExactly("SELECT 1", "select 2");
    assertThat(s.rest()).isEqualTo("\nINSERT INTO t\nVALUES (1)");
    assertThat(s.restIsBlank()).isFalse();
  }

  @Test
  void semicolonsInsideStringsIdentifiersAndDollarQuotesDoNotEndAStatement() {
    SqlStatementSplitter.Split s =
        split("INSERT INTO t VALUES ('a;b', 'it''s;', \"we;ird\", $$x;y$$, $tag$ $$; $tag$); SELECT 2;");
    assertThat(s.statements())
        .containsExactly(
            "INSERT INTO t VALUES ('a;b', 'it''s;', \"we;ird\", $$x;y$$, $tag$ $$; $tag$)", "SELECT 2");
    assertThat(s.restIsBlank()).isTrue();
  }

  @Test
  void backslashEscapesCountOnlyInEStrings() {
    // In a standard string a backslash is a character, so the quote after it ends the string.
    assertThat(split("SELECT 'a\\'; SELECT 2;").statements()).containsExactly("SELECT 'a\\'", "SELECT 2");
    // In an E string it escapes the quote.
    assertThat(split("SELECT E'a\\'; b'; SELECT 2;").statements())
        .containsExactly("SELECT E'a\\'; b'", "SELECT 2");
  }

  @Test
  void commentsHideSemicolonsAndBlockCommentsNest() {
    SqlStatementSplitter.Split s =
        split("SELECT 1 -- a comment; not the end\n; /* outer /* inner; */ still; */ SELECT 2;");
    assertThat(s.statements())
        .containsExactly("SELECT 1 -- a comment; not the end", "/* outer /* inner; */ still; */ SELECT 2");
  }

  @Test
  void anUnterminatedStringKeepsTheRestPending() {
    SqlStatementSplitter.Split s = split("INSERT INTO t VALUES ('multi;\nline");
    assertThat(s.statements()).isEmpty();
    assertThat(s.rest()).isEqualTo("INSERT INTO t VALUES ('multi;\nline");
    assertThat(split("INSERT INTO t VALUES ('multi;\nline');").statements())
        .containsExactly("INSERT INTO t VALUES ('multi;\nline')");
  }

  @Test
  void parametersAreNotDollarQuotes() {
    assertThat(split("SELECT $1; SELECT $2;").statements()).containsExactly("SELECT $1", "SELECT $2");
  }

  @Test
  void emptyStatementsAndCommentOnlyTextAreBlank() {
    assertThat(split(";;  ; -- nothing\n").statements()).isEmpty();
    assertThat(SqlStatementSplitter.isBlank("  -- c\n /* d */ ")).isTrue();
    assertThat(SqlStatementSplitter.isBlank(" /* open comment ")).isTrue();
    assertThat(SqlStatementSplitter.isBlank(" x ")).isFalse();
  }
}
