package io.ordo.launcher.embedded;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * The knobs that trade CPU for latency in an embedded Ordo (issue 4 "latency knobs"); empty =
 * the component's default.
 *
 * @param heartbeatIntervalMs how often the gateway appends a heartbeat to each idle log partition
 *     (ms, >= 1); bounds how long the sorter waits for a quiet partition's watermark. Default
 *     {@link io.ordo.gateway.GatewayConfig#DEFAULT_HEARTBEAT_INTERVAL_MS}.
 * @param watermarkIntervalMs how often the executor's log source emits watermarks (ms, >= 0;
 *     0 emits them with the records, without a timer).
 *     Default {@link io.ordo.executor.ExecutorConfig#DEFAULT_WATERMARK_INTERVAL_MS}.
 * @param bufferTimeoutMs how long a Flink network buffer waits to fill before it is sent (ms,
 *     >= 0; 0 flushes every record). Default {@link
 *     io.ordo.executor.ExecutorConfig#DEFAULT_BUFFER_TIMEOUT_MS}.
 * @throws IllegalArgumentException naming the first value out of range
 */
public record LatencyKnobs(
    OptionalLong heartbeatIntervalMs, OptionalLong watermarkIntervalMs, OptionalLong bufferTimeoutMs) {

  /** Every knob at its component's default. */
  public static final LatencyKnobs DEFAULTS =
      new LatencyKnobs(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty());

  /** Validates the values; see the class comment. */
  public LatencyKnobs {
    Objects.requireNonNull(heartbeatIntervalMs, "heartbeatIntervalMs");
    Objects.requireNonNull(watermarkIntervalMs, "watermarkIntervalMs");
    Objects.requireNonNull(bufferTimeoutMs, "bufferTimeoutMs");
    atLeast("heartbeat interval", heartbeatIntervalMs, 1);
    atLeast("watermark interval", watermarkIntervalMs, 0);
    atLeast("buffer timeout", bufferTimeoutMs, 0);
  }

  private static void atLeast(String name, OptionalLong value, long min) {
    if (value.isPresent() && value.getAsLong() < min) {
      throw new IllegalArgumentException(name + " must be >= " + min + " ms, got " + value.getAsLong());
    }
  }
}
