package io.ordo.launcher.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import io.ordo.launcher.cli.OrdoCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Runs {@code ordo demo} in-process on an embedded Ordo (real KRaft broker, executor job on a
 * Flink MiniCluster, gateway) with a small, contended bank: 200 accounts holding 100 each and
 * transfers of up to 100, so that many transfers hit the min-0 bound while others commit.
 */
class BankDemoIT {
  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void demoConservesMoneyUnderContention(@TempDir Path dir) throws Exception {
    Path summary = dir.resolve("summary.json");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = OrdoCli.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));

    int exitCode = cli.execute(
        "demo",
        "--data-dir", dir.resolve("data").toString(),
        "--accounts", "200",
        "--initial-balance", "100",
        "--max-amount", "100",
        "--clients", "4",
        "--duration", "6s",
        "--load-batch-size", "64",
        "--no-progress",
        "--json-summary", summary.toString());

    // The report, for whoever reads the test output.
    System.out.print(out);

    assertThat(exitCode).as("exit code; stdout:%n%s%nstderr:%n%s", out, err).isZero();
    String json = Files.readString(summary, StandardCharsets.UTF_8).trim();
    // The same line ends the report on stdout.
    assertThat(out.toString().trim()).endsWith(json).contains("PASSED");

    Struct.Builder builder = Struct.newBuilder();
    JsonFormat.parser().merge(json, builder);
    Struct report = builder.build();
    assertThat(report.getFieldsOrThrow("passed").getBoolValue()).isTrue();
    assertThat(report.getFieldsOrThrow("invariantHolds").getBoolValue()).isTrue();
    assertThat(report.getFieldsOrThrow("committed").getNumberValue()).isGreaterThan(0);
    Struct aborts = report.getFieldsOrThrow("aborts").getStructValue();
    assertThat(aborts.getFieldsMap().keySet()).containsOnly("BOUND_VIOLATED");
    assertThat(aborts.getFieldsOrThrow("BOUND_VIOLATED").getNumberValue()).isGreaterThan(0);
    Struct verification = report.getFieldsOrThrow("verification").getStructValue();
    assertThat(verification.getFieldsOrThrow("accountsFound").getNumberValue()).isEqualTo(200);
    assertThat(verification.getFieldsOrThrow("totalBalance").getNumberValue())
        .isEqualTo(200 * 100);
    assertThat(verification.getFieldsOrThrow("negativeBalances").getNumberValue()).isZero();
    assertThat(report.getFieldsOrThrow("latencyMs").getStructValue()
        .getFieldsOrThrow("max").getNumberValue()).isGreaterThan(0);
  }
}
