package io.ordo.sql.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.DeleteStreamRequest;
import io.ordo.proto.DeleteStreamResponse;
import io.ordo.proto.ListStreamsResponse;
import io.ordo.proto.ReadResponse;
import io.ordo.proto.ReadStreamRequest;
import io.ordo.proto.Stream;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.sql.Column;
import io.ordo.sql.PushSink;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlStatement;
import io.ordo.storage.ChangelogMaterializer;
import io.ordo.storage.MultiVersionStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What push queries refuse before they read anything (0A000 naming the construct, at its
 * position), and that they run only through {@link SqlStatement#push}. The reading itself is
 * covered on a real gateway (the gateway's PushQueryIT).
 */
class PushQueryShapeTest {
  /** A backend no test here reaches: every refusal comes before the first read. */
  private static final SqlBackend UNREACHED =
      new SqlBackend() {
        @Override
        public CompletableFuture<TxnResult> execute(Transaction txn, long waitMs) {
          throw new AssertionError("the log was used");
        }

        @Override
        public MultiVersionStore store() {
          return null;
        }

        @Override
        public ChangelogMaterializer materializer() {
          throw new AssertionError("the store was used");
        }

        @Override
        public int keyRangeCount() {
          return 4;
        }

        @Override
        public Stream createStream(CreateStreamRequest request) {
          throw new AssertionError();
        }

        @Override
        public DeleteStreamResponse deleteStream(DeleteStreamRequest request) {
          throw new AssertionError();
        }

        @Override
        public ListStreamsResponse listStreams() {
          throw new AssertionError();
        }

        @Override
        public List<ReadResponse> readStream(ReadStreamRequest request) {
          throw new AssertionError();
        }
      };

  private static final PushSink NOWHERE =
      new PushSink() {
        @Override
        public void start(List<Column> columns) {
          throw new AssertionError("started");
        }

        @Override
        public void row(List<Object> row) {
          throw new AssertionError("a row");
        }

        @Override
        public void progress(String position) {
          throw new AssertionError("a mark");
        }
      };

  private static SqlStatement prepare(SqlSession session, String sql) throws SqlException {
    List<SqlStatement> statements = session.prepare(sql, List.of());
    assertThat(statements).hasSize(1);
    return statements.get(0);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "SELECT * FROM a JOIN b ON a.x = b.x EMIT CHANGES | joins | 17",
        "SELECT COUNT(*) FROM a EMIT CHANGES | aggregate function COUNT | 8",
        "SELECT x, SUM(y) FROM a GROUP BY x EMIT CHANGES | GROUP BY | 25",
        "SELECT DISTINCT x FROM a EMIT CHANGES | SELECT DISTINCT | 26",
        "SELECT x FROM a ORDER BY x EMIT CHANGES | ORDER BY | 28",
        "SELECT x FROM a LIMIT 3 EMIT CHANGES | ORDER BY, LIMIT and OFFSET | 25",
        "SELECT x FROM (SELECT x FROM a) EMIT CHANGES | subqueries | 16",
        "SELECT x FROM a WHERE x IN (SELECT y FROM b) EMIT CHANGES | subqueries | 29",
        "SELECT ROW_NUMBER() OVER () FROM a EMIT CHANGES | window functions | 8",
        "SELECT x FROM a UNION SELECT y FROM b EMIT CHANGES | set operations | 39",
        "SELECT 1 EMIT CHANGES | SELECT without FROM | 10",
      })
  void unsupportedConstructsAreRefusedWith0A000NamingThem(String sql, String construct, int position)
      throws SqlException {
    try (SqlSession session = new OrdoSqlEngine(UNREACHED, SqlConfig.DEFAULTS).openSession("u", "d")) {
      SqlStatement statement = prepare(session, sql);
      assertThat(statement.isPush()).isTrue();
      assertThatThrownBy(() -> statement.push(List.of(), NOWHERE))
          .isInstanceOfSatisfying(
              SqlException.class,
              e -> {
                assertThat(e.sqlState()).isEqualTo("0A000");
                assertThat(e.getMessage()).contains("do not support " + construct);
                assertThat(e.position()).isEqualTo(position);
              });
    }
  }

  @Test
  void aPushQueryDoesNotRunAsAStatementAndOtherStatementsDoNotPush() throws SqlException {
    try (SqlSession session = new OrdoSqlEngine(UNREACHED, SqlConfig.DEFAULTS).openSession("u", "d")) {
      SqlStatement push = prepare(session, "SELECT x FROM a EMIT CHANGES");
      assertThatThrownBy(() -> push.execute(List.of()))
          .isInstanceOfSatisfying(
              SqlException.class,
              e -> {
                assertThat(e.sqlState()).isEqualTo("0A000");
                assertThat(e.getMessage()).startsWith("push queries are served over gRPC/REST");
              });
      SqlStatement plain = prepare(session, "SELECT x FROM a");
      assertThat(plain.isPush()).isFalse();
      assertThatThrownBy(() -> plain.push(List.of(), NOWHERE))
          .isInstanceOfSatisfying(
              SqlException.class, e -> assertThat(e.sqlState()).isEqualTo("0A000"));
    }
  }
}
