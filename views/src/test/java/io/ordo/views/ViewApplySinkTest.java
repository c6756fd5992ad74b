package io.ordo.views;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Value;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.ordo.proto.SqlGrpc;
import io.ordo.proto.SqlRow;
import io.ordo.proto.SqlViewApplyRequest;
import io.ordo.proto.SqlViewApplyResponse;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.StreamSink;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The view sink in Flink's operator harness, against a gRPC server on loopback that records the
 * ApplyView calls: one batch per checkpoint with a marker, sent when that checkpoint completes,
 * holding the latest image per key; nothing before the first marker; the first batch of a job
 * without state replaces the view; a batch pending at a checkpoint is sent by the job restored
 * from it, and the restored job goes on.
 */
class ViewApplySinkTest {
  private final List<SqlViewApplyRequest> applied = new CopyOnWriteArrayList<>();
  private Server server;
  private ViewSpec spec;

  @BeforeEach
  void startServer() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new SqlGrpc.SqlImplBase() {
          @Override
          public void applyView(SqlViewApplyRequest request,
              StreamObserver<SqlViewApplyResponse> observer) {
            applied.add(request);
            observer.onNext(SqlViewApplyResponse.newBuilder().setApplied(true)
                .setPosition(request.getPosition()).build());
            observer.onCompleted();
          }
        })
        .build().start();
    spec = new ViewSpec("127.0.0.1:" + server.getPort(), "totals", "00000000000000aa",
        new ViewSpec.SourceSpec("orders", false, List.of(new ViewSpec.ColumnSpec("region", "TEXT"),
            new ViewSpec.ColumnSpec("amount", "INTEGER")), List.of("region")), "SELECT 1",
        List.of(new ViewSpec.ColumnSpec("region", "TEXT"), new ViewSpec.ColumnSpec("n", "BIGINT")),
        List.of(0), 1_000);
  }

  @AfterEach
  void stopServer() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private OneInputStreamOperatorTestHarness<Row, Object> harness() throws Exception {
    return new OneInputStreamOperatorTestHarness<>(new StreamSink<>(new ViewApplySink(spec)));
  }

  private static StreamRecord<Row> upsert(String region, long n) {
    return new StreamRecord<>(Row.of(null, false, Row.of(region, n)));
  }

  private static StreamRecord<Row> delete(String region, long n) {
    return new StreamRecord<>(Row.of(null, true, Row.of(region, n)));
  }

  private static StreamRecord<Row> marker(String position) {
    return new StreamRecord<>(Row.of(position, false, null));
  }

  private static StreamRecord<Row> idleMarker(String position) {
    return new StreamRecord<>(Row.of(position, true, null));
  }

  private static SqlRow row(String region, long n) {
    return SqlRow.newBuilder()
        .addValues(Value.newBuilder().setStringValue(region))
        .addValues(Value.newBuilder().setStringValue(Long.toString(n)))
        .build();
  }

  @Test
  void oneBatchPerCompletedCheckpointWithTheLatestImagePerKey() throws Exception {
    try (OneInputStreamOperatorTestHarness<Row, Object> h = harness()) {
      h.open();
      h.processElement(upsert("eu", 1));
      h.snapshot(1, 1);
      h.notifyOfCompletedCheckpoint(1);
      assertThat(applied).as("no marker yet: no position to write at").isEmpty();

      h.processElement(upsert("us", 1));
      h.processElement(upsert("eu", 2));
      h.processElement(marker("100:0:5"));
      h.processElement(delete("us", 1));
      h.processElement(marker("100:1:7"));
      h.snapshot(2, 2);
      assertThat(applied).as("sent when the checkpoint completes").isEmpty();
      h.notifyOfCompletedCheckpoint(2);
      assertThat(applied).containsExactly(SqlViewApplyRequest.newBuilder()
          .setView("totals").setViewId("00000000000000aa").setPosition("100:1:7")
          .setReplace(true)
          .addUpserts(row("eu", 2))
          .addDeletes(row("us", 1))
          .build());

      // A marker alone moves the progress; nothing new is no batch.
      h.processElement(marker("101:0:0"));
      h.snapshot(3, 3);
      h.snapshot(4, 4);
      h.notifyOfCompletedCheckpoint(4);
      assertThat(applied).hasSize(2);
      assertThat(applied.get(1).getPosition()).isEqualTo("101:0:0");
      assertThat(applied.get(1).getReplace()).isFalse();
      assertThat(applied.get(1).getUpsertsCount() + applied.get(1).getDeletesCount()).isZero();
    }
  }

  @Test
  void anIdleMarkerMakesABatchOnlyWhenRowsChanged() throws Exception {
    try (OneInputStreamOperatorTestHarness<Row, Object> h = harness()) {
      h.open();
      h.processElement(marker("100:0:5"));
      h.snapshot(1, 1);
      h.notifyOfCompletedCheckpoint(1);
      assertThat(applied).extracting(SqlViewApplyRequest::getPosition).containsExactly("100:0:5");

      // Idle marks that closed no window: no write (else the view's own writes, reported back
      // as marks, would keep an idle Ordo writing).
      h.processElement(idleMarker("101:0:0"));
      h.snapshot(2, 2);
      h.notifyOfCompletedCheckpoint(2);
      assertThat(applied).hasSize(1);

      // An idle mark whose watermark closed a window: its rows are written at that mark.
      h.processElement(upsert("eu", 7));
      h.processElement(idleMarker("102:0:0"));
      h.snapshot(3, 3);
      h.notifyOfCompletedCheckpoint(3);
      assertThat(applied).hasSize(2);
      assertThat(applied.get(1).getPosition()).isEqualTo("102:0:0");
      assertThat(applied.get(1).getUpsertsList()).containsExactly(row("eu", 7));
    }
  }

  @Test
  void aBatchPendingAtACheckpointIsSentByTheJobRestoredFromIt() throws Exception {
    OperatorSubtaskState state;
    try (OneInputStreamOperatorTestHarness<Row, Object> h = harness()) {
      h.open();
      h.processElement(upsert("eu", 1));
      h.processElement(marker("100:0:5"));
      h.snapshot(1, 1);
      h.notifyOfCompletedCheckpoint(1);
      h.processElement(upsert("eu", 3));
      h.processElement(upsert("ap", 1));
      h.processElement(marker("100:0:9"));
      state = h.snapshot(2, 2);
      // The job dies before checkpoint 2's completion reaches the sink.
    }
    assertThat(applied).extracting(SqlViewApplyRequest::getPosition).containsExactly("100:0:5");

    try (OneInputStreamOperatorTestHarness<Row, Object> h = harness()) {
      h.initializeState(state);
      h.open();
      assertThat(applied).extracting(SqlViewApplyRequest::getPosition)
          .containsExactly("100:0:5", "100:0:9");
      assertThat(applied.get(1).getReplace()).isFalse();
      assertThat(applied.get(1).getUpsertsList()).containsExactly(row("ap", 1), row("eu", 3));

      h.processElement(upsert("eu", 4));
      h.processElement(marker("100:0:12"));
      h.snapshot(3, 3);
      h.notifyOfCompletedCheckpoint(3);
      assertThat(applied).hasSize(3);
      assertThat(applied.get(2).getPosition()).isEqualTo("100:0:12");
      assertThat(applied.get(2).getUpsertsList()).containsExactly(row("eu", 4));
    }
  }
}
