package io.ordo.gateway.sql;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.ordo.proto.SqlGrpc;
import io.ordo.proto.SqlPushResponse;
import io.ordo.proto.SqlRequest;
import io.ordo.sql.Column;
import io.ordo.sql.PushSink;
import io.ordo.sql.SqlEngine;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlSession;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlStatement;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import io.ordo.sql.TxnState;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Sql/Push's flow control and cancellation, over an engine whose push query produces rows without
 * end as fast as the service takes them: the service takes a row only when the call can send it.
 */
@org.junit.jupiter.api.Timeout(value = 60, unit = TimeUnit.SECONDS)
class SqlServicePushTest {
  /** Rows the engine has handed to the service. */
  private final AtomicInteger produced = new AtomicInteger();
  /** The thread running the push query, once it runs. */
  private final AtomicReference<Thread> pushThread = new AtomicReference<>();
  private final CountDownLatch ended = new CountDownLatch(1);

  private SqlService service;
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    service = new SqlService(new EndlessEngine(), 2, 1);
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(service).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    service.close();
  }

  /** Waits until the push thread is parked (waiting for the call to be ready). */
  private void awaitParked() throws InterruptedException {
    while (true) {
      Thread t = pushThread.get();
      if (t != null && (t.getState() == Thread.State.TIMED_WAITING || t.getState() == Thread.State.WAITING)) {
        return;
      }
      Thread.sleep(5);
    }
  }

  @Test
  void aClientThatReadsNothingHoldsTheQueryAndACancelFreesIt() throws Exception {
    BlockingQueue<SqlPushResponse> received = new LinkedBlockingQueue<>();
    AtomicReference<ClientCallStreamObserver<SqlRequest>> callRef = new AtomicReference<>();
    SqlGrpc.newStub(channel)
        .push(
            SqlRequest.newBuilder().setSql("SELECT n FROM endless EMIT CHANGES").build(),
            new ClientResponseObserver<SqlRequest, SqlPushResponse>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<SqlRequest> call) {
                callRef.set(call);
                call.disableAutoRequestWithInitial(3);
              }

              @Override
              public void onNext(SqlPushResponse value) {
                received.add(value);
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            });
    awaitParked();
    int held = produced.get();
    // The columns and at most a few rows the transport took: nothing piles up in the gateway.
    assertThat(held).isLessThanOrEqualTo(8);
    callRef.get().request(100);
    while (received.size() < 3 + 100) {
      Thread.sleep(5);
    }
    awaitParked();
    assertThat(produced.get()).isBetween(100, 100 + 8 + held);
    assertThat(service.runningPushQueries()).isEqualTo(1);

    callRef.get().cancel("the client leaves", null);
    assertThat(ended.await(30, TimeUnit.SECONDS)).as("the query ended").isTrue();
    while (service.runningPushQueries() != 0) {
      Thread.sleep(5);
    }
  }

  /** An engine whose one statement is a push query producing rows until cancelled. */
  private final class EndlessEngine implements SqlEngine {
    @Override
    public SqlSession openSession(String user, String database) {
      AtomicReference<Boolean> cancelled = new AtomicReference<>(false);
      return new SqlSession() {
        @Override
        public List<SqlStatement> prepare(String sql, List<SqlType> declared) {
          return List.of(new EndlessQuery(sql, cancelled));
        }

        @Override
        public TxnState txnState() {
          return TxnState.IDLE;
        }

        @Override
        public void cancel() {
          cancelled.set(true);
        }

        @Override
        public void close() {}
      };
    }
  }

  private final class EndlessQuery implements SqlStatement {
    private final String sql;
    private final AtomicReference<Boolean> cancelled;

    EndlessQuery(String sql, AtomicReference<Boolean> cancelled) {
      this.sql = sql;
      this.cancelled = cancelled;
    }

    @Override
    public String sql() {
      return sql;
    }

    @Override
    public List<SqlType> parameterTypes() {
      return List.of();
    }

    @Override
    public Optional<List<Column>> resultColumns() {
      return Optional.empty();
    }

    @Override
    public StatementResult execute(List<Object> params) throws SqlException {
      throw new SqlException(SqlState.FEATURE_NOT_SUPPORTED, "push only");
    }

    @Override
    public boolean isPush() {
      return true;
    }

    @Override
    public void push(List<Object> params, PushSink sink) throws SqlException {
      pushThread.set(Thread.currentThread());
      try {
        sink.start(List.of(Column.of("n", SqlType.BIGINT)));
        for (long n = 0; !cancelled.get(); n++) {
          sink.row(List.of(n));
          produced.incrementAndGet();
        }
        throw new SqlException(SqlState.QUERY_CANCELED, "cancelled");
      } catch (InterruptedException e) {
        throw new SqlException(SqlState.QUERY_CANCELED, "interrupted");
      } finally {
        ended.countDown();
      }
    }
  }
}
