package io.ordo.gateway.connectors;

import io.ordo.gateway.GatewayConfig;
import io.ordo.gateway.GatewayServer;
import io.ordo.sequencer.TopicLayout;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A gateway in a process of its own, for tests that kill it ({@link ChildGateway}): {@code
 * GatewayChildMain <bootstrap servers> <topic prefix> <data dir> <key ranges>} starts a gateway
 * configured as {@link ConnectorTestCluster}'s (ephemeral ports, no PostgreSQL port), prints
 * {@value #READY} followed by its gRPC and HTTP ports, and runs until its standard input ends
 * (its parent is gone) or it is killed.
 */
public final class GatewayChildMain {
  static final String READY = "ORDO-GATEWAY-CHILD-READY";

  private GatewayChildMain() {}

  public static void main(String[] args) throws IOException {
    GatewayServer gateway = GatewayServer.start(
        ConnectorTestCluster.gatewayConfig(
            args[0], TopicLayout.withPrefix(args[1]), Path.of(args[2]), Integer.parseInt(args[3])));
    System.out.println(READY + " " + gateway.grpcPort() + " " + gateway.httpPort());
    System.out.flush();
    // The parent holds our standard input open; its end means the test JVM ended without
    // killing us: halt rather than linger as an orphan holding ports and a replication slot.
    while (System.in.read() >= 0) {
      // discard
    }
    Runtime.getRuntime().halt(0);
  }
}
