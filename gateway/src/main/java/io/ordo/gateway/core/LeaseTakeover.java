package io.ordo.gateway.core;

import java.util.Objects;

/**
 * What a gateway does about an unexpired lease held by another gateway instance, when it wants
 * what the lease guards (a subscription's delivery, a connector's worker). A lease names its
 * holder's instance id (new at every start) and, when known, the gRPC address it serves at.
 *
 * <p>Waiting out the lease (15 s by default) is always safe; taking over early is safe only
 * where whatever the lease guards tolerates two holders for a moment (at-least-once delivery
 * whose progress moves by durable acks; connectors whose batches assert the offset they start
 * from). Both users are such; the early takeover only saves the wait after a holder died.
 */
public enum LeaseTakeover {
  /** The holder's address is unknown: wait for the lease to expire. */
  REFUSE,
  /** The holder advertised this gateway's own address: an earlier instance of it, gone. */
  TAKE,
  /**
   * Ask whether something answers at the holder's address ({@link OwnerProbe}): take the lease
   * if nothing does (killed, host down), else wait.
   */
  PROBE;

  /**
   * The rule.
   *
   * @param holderAddress the address in the lease, empty when the holder advertised none
   * @param myAddress this gateway's advertised address, empty when it knows none yet
   */
  public static LeaseTakeover decide(String holderAddress, String myAddress) {
    Objects.requireNonNull(holderAddress, "holderAddress");
    Objects.requireNonNull(myAddress, "myAddress");
    if (holderAddress.isEmpty()) {
      return REFUSE;
    }
    if (holderAddress.equals(myAddress)) {
      return TAKE;
    }
    return PROBE;
  }
}
