package io.ordo.executor.operators;

import static io.ordo.executor.operators.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ordo.executor.internal.ProtoSerializer;
import io.ordo.proto.state.RangeRequest;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class KeyedEventTimeSorterFunctionTest {

  private static KeyedOneInputStreamOperatorTestHarness<Integer, RangeRequest, RangeRequest> harness() throws Exception {
    var h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new KeyedEventTimeSorterFunction()), RangeRequest::getKeyRange, Types.INT);
    h.setup(new ProtoSerializer<>(RangeRequest.class));
    return h;
  }

  private static RangeRequest at(String id, long ts, int partition, long offset) {
    return request(id, ts, 0, List.of(0), get("k")).toBuilder().setPosition(pos(ts, partition, offset)).build();
  }

  private static List<String> ids(List<RangeRequest> out) {
    return out.stream().map(RangeRequest::getTxnId).toList();
  }

  @Test
  void emitsInLogOrderWhenTheWatermarkPassesNotInArrivalOrder() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement(at("c", 3, 0, 7), 3);
      h.processElement(at("b", 1, 1, 4), 1);
      h.processElement(at("a", 1, 0, 9), 1);
      h.processElement(at("d", 2, 1, 5), 2);
      assertThat(h.extractOutputValues()).isEmpty();

      h.processWatermark(new Watermark(1));
      assertThat(ids(h.extractOutputValues())).containsExactly("a", "b");

      h.processWatermark(new Watermark(3));
      assertThat(ids(h.extractOutputValues())).containsExactly("a", "b", "d", "c");
      assertThat(h.numKeyedStateEntries()).as("buffer emptied once emitted").isZero();
    }
  }

  @Test
  void requestBehindTheWatermarkFailsInsteadOfBeingReordered() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processWatermark(new Watermark(10));
      assertThatThrownBy(() -> h.processElement(at("late", 10, 0, 1), 10))
          .hasMessageContaining("behind the watermark");
    }
  }

  @Test
  void snapshotRestoreContinueEmitsTheSameAsAnUninterruptedRun() throws Exception {
    List<RangeRequest> uninterrupted;
    try (var h = harness()) {
      h.open();
      h.processElement(at("x", 5, 1, 1), 5);
      h.processElement(at("w", 5, 0, 2), 5);
      h.processWatermark(new Watermark(4));
      h.processElement(at("y", 6, 0, 3), 6);
      h.processWatermark(new Watermark(6));
      uninterrupted = h.extractOutputValues();
    }
    OperatorSubtaskState snapshot;
    try (var h = harness()) {
      h.open();
      h.processElement(at("x", 5, 1, 1), 5);
      h.processElement(at("w", 5, 0, 2), 5);
      h.processWatermark(new Watermark(4));
      snapshot = h.snapshot(1, 1);
    }
    try (var h = harness()) {
      h.initializeState(snapshot);
      h.open();
      h.processElement(at("y", 6, 0, 3), 6);
      h.processWatermark(new Watermark(6));
      assertThat(h.extractOutputValues()).isEqualTo(uninterrupted);
      assertThat(ids(uninterrupted)).containsExactly("w", "x", "y");
    }
  }
}
