package io.ordo.launcher.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BankDemoReportTest {
  private static final LatencySamples.Percentiles LATENCY =
      new LatencySamples.Percentiles(90, 12.5, 40.25, 80.0);

  private static BankDemoReport report(
      long committed, Map<String, Long> aborts, BankDemoReport.Verification verification) {
    return new BankDemoReport(
        100, 1_000, 4, 2_000, committed + 10, committed, new TreeMap<>(aborts), new TreeMap<>(),
        new TreeMap<>(Map.of("UNAVAILABLE", 1L)), LATENCY, verification);
  }

  private static BankDemoReport.Verification ok() {
    return new BankDemoReport.Verification(null, 100, 0, 0, 0, 100_000, 100_000);
  }

  private static Struct parse(String json) throws Exception {
    Struct.Builder struct = Struct.newBuilder();
    JsonFormat.parser().merge(json, struct);
    return struct.build();
  }

  @Test
  void passingRunIsValidOneLineJson() throws Exception {
    BankDemoReport report = report(90, Map.of("BOUND_VIOLATED", 9L), ok());
    assertThat(report.passed()).isTrue();
    String json = report.toJson();
    assertThat(json).doesNotContain("\n");
    Struct struct = parse(json);
    assertThat(struct.getFieldsOrThrow("passed").getBoolValue()).isTrue();
    assertThat(struct.getFieldsOrThrow("invariantHolds").getBoolValue()).isTrue();
    assertThat(struct.getFieldsOrThrow("committed").getNumberValue()).isEqualTo(90.0);
    assertThat(struct.getFieldsOrThrow("committedPerSecond").getNumberValue()).isEqualTo(45.0);
    assertThat(struct.getFieldsOrThrow("aborts").getStructValue()
        .getFieldsOrThrow("BOUND_VIOLATED").getNumberValue()).isEqualTo(9.0);
    assertThat(struct.getFieldsOrThrow("rpcErrors").getStructValue()
        .getFieldsOrThrow("UNAVAILABLE").getNumberValue()).isEqualTo(1.0);
    assertThat(struct.getFieldsOrThrow("latencyMs").getStructValue()
        .getFieldsOrThrow("p99").getNumberValue()).isEqualTo(40.25);
    Struct verification = struct.getFieldsOrThrow("verification").getStructValue();
    assertThat(verification.getFieldsOrThrow("totalBalance").getNumberValue())
        .isEqualTo(100_000.0);
    assertThat(report.toText()).contains("PASSED").contains("BOUND_VIOLATED=9");
  }

  @Test
  void unbalancedTotalOrNegativeBalanceFails() {
    BankDemoReport lost =
        report(90, Map.of(), new BankDemoReport.Verification(null, 100, 0, 0, 0, 99_990, 100_000));
    assertThat(lost.passed()).isFalse();
    assertThat(lost.verification().invariantHolds()).isFalse();
    assertThat(lost.failures()).containsExactly("the total balance is 99990 but must be 100000");
    assertThat(lost.toText()).contains("FAILED");

    BankDemoReport negative =
        report(90, Map.of(), new BankDemoReport.Verification(null, 100, 0, 0, 2, 100_000, 100_000));
    assertThat(negative.failures()).containsExactly("2 accounts have a negative balance");
  }

  @Test
  void nothingCommittedOrUnexpectedAbortsFail() {
    assertThat(report(0, Map.of(), ok()).failures()).containsExactly("no transfer committed");
    BankDemoReport typeMismatch = report(5, Map.of("TYPE_MISMATCH", 3L), ok());
    assertThat(typeMismatch.unexpectedOutcomes()).isEqualTo(3);
    assertThat(typeMismatch.passed()).isFalse();
    assertThat(typeMismatch.verification().invariantHolds()).isTrue();
  }

  @Test
  void failedReadIsReportedAndEscapedInJson() throws Exception {
    BankDemoReport report =
        report(5, Map.of(), BankDemoReport.Verification.failed("RPC \"DEADLINE\"\n", 100_000));
    assertThat(report.passed()).isFalse();
    Struct struct = parse(report.toJson());
    assertThat(struct.getFieldsOrThrow("verification").getStructValue()
        .getFieldsOrThrow("readError").getStringValue()).isEqualTo("RPC \"DEADLINE\"\n");
  }
}
