package io.ordo.gateway;

import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.ordo.proto.HealthRequest;
import io.ordo.proto.HealthResponse;
import io.ordo.proto.OrdoGrpc;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Waits until a gateway answers its Health RPC with {@value #SERVING}: its log producer and its
 * results listener are up. Health runs no transaction, so it says nothing about the executor; an
 * executor that is still starting or replaying simply makes the first transactions wait (within
 * their deadline).
 */
public final class HealthProbe {
  /** The status a ready gateway reports. */
  public static final String SERVING = "SERVING";

  /** Pause between two Health calls. */
  static final long POLL_INTERVAL_MS = 200;

  /** Upper bound on the deadline of one Health call. */
  static final long CALL_DEADLINE_MS_MAX = 5_000;

  private HealthProbe() {}

  /**
   * Polls Health every {@value #POLL_INTERVAL_MS} ms until the gateway reports {@value #SERVING}.
   *
   * @param channel a channel to the gateway
   * @param timeout the longest this waits in total, positive
   * @return the first SERVING response
   * @throws IllegalStateException if the gateway is not SERVING within {@code timeout}; the message
   *     carries the last status or RPC error seen
   * @throws IllegalArgumentException if timeout is not positive
   * @throws InterruptedException if the calling thread is interrupted
   */
  public static HealthResponse awaitServing(Channel channel, Duration timeout)
      throws InterruptedException {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
    long deadlineNs = System.nanoTime() + timeout.toNanos();
    String last = "no answer yet";
    while (true) {
      long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
      if (remainingMs <= 0) {
        throw new IllegalStateException(
            "the gateway did not report " + SERVING + " within " + timeout.toMillis()
                + " ms; last: " + last);
      }
      try {
        HealthResponse response =
            OrdoGrpc.newBlockingStub(channel)
                .withDeadlineAfter(Math.min(remainingMs, CALL_DEADLINE_MS_MAX),
                    TimeUnit.MILLISECONDS)
                .health(HealthRequest.getDefaultInstance());
        if (SERVING.equals(response.getStatus())) {
          return response;
        }
        last = response.getStatus() + " (" + response.getDetail() + ")";
      } catch (StatusRuntimeException e) {
        last = "RPC error " + e.getStatus();
      }
      Thread.sleep(POLL_INTERVAL_MS);
    }
  }
}
