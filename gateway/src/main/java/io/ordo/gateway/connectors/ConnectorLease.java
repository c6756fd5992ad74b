package io.ordo.gateway.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.ordo.proto.Value;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * The value of a connector's lease key ({@code \u0000ordo/connector/<id>/lease}): which gateway
 * runs the connector, until when, and what it last reported. {@code Value{bytes}} of the UTF-8
 * JSON {@code {"gateway":...,"address":...,"expires_ms":...,"state":...,"error":...}}.
 *
 * <p>The lease makes one gateway at a time run a connector (a PostgreSQL slot takes one reader
 * anyway); it is NOT what makes the connector exactly once: that is the offset assert of every
 * batch ({@link ConnectorWorker}), which holds even while two gateways believe they hold the
 * lease. Expiry is wall-clock time of the writing gateway (as a subscription's delivery lease):
 * it decides nothing the executor outputs; a clock skew between gateways only lets another
 * gateway try to take over early, and its batches then fail their assert or its slot is busy.
 *
 * @param gateway the holder's instance id
 * @param address the holder's advertised gRPC address ({@code host:port}), empty when it knew none
 *     (another gateway probes it to take over early from a dead holder, {@link
 *     io.ordo.gateway.core.LeaseTakeover})
 * @param expiresMs epoch milliseconds after which another gateway may take the lease
 * @param state the holder's worker state ({@link ConnectorWorker.State#label()})
 * @param error the worker's last error, or empty
 */
record ConnectorLease(String gateway, String address, long expiresMs, String state, String error) {
  private static final ObjectMapper JSON = new ObjectMapper();

  ConnectorLease {
    Objects.requireNonNull(gateway, "gateway");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(error, "error");
  }

  /** "{@code <instance id> (<address>)}", or the id alone when the address is unknown: SHOW CONNECTORS' owner. */
  String describe() {
    return describe(gateway, address);
  }

  static String describe(String gateway, String address) {
    return address.isEmpty() ? gateway : gateway + " (" + address + ")";
  }

  Value encode() {
    ObjectNode n = JSON.createObjectNode();
    n.put("gateway", gateway);
    if (!address.isEmpty()) {
      n.put("address", address);
    }
    n.put("expires_ms", expiresMs);
    n.put("state", state);
    n.put("error", error.length() > 1_000 ? error.substring(0, 1_000) : error);
    return Value.newBuilder().setBytes(ByteString.copyFromUtf8(n.toString())).build();
  }

  /** The lease in {@code value}, or empty when it is not one. */
  static Optional<ConnectorLease> decode(Value value) {
    try {
      JsonNode n = JSON.readTree(value.getBytes().toStringUtf8());
      return Optional.of(new ConnectorLease(
          n.path("gateway").asText(""), n.path("address").asText(""), n.path("expires_ms").asLong(0),
          n.path("state").asText(""), n.path("error").asText("")));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
