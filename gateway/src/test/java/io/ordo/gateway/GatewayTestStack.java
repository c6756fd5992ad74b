package io.ordo.gateway;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.ordo.executor.EmbeddedExecutor;
import io.ordo.executor.ExecutorConfig;
import io.ordo.kafka.embedded.EmbeddedKafkaBroker;
import io.ordo.sequencer.LogTopics;
import io.ordo.sequencer.TopicLayout;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * What a gateway IT runs against: an embedded broker with the log topics, the executor job on a
 * MiniCluster, one gateway (gRPC and REST on ephemeral ports, no PostgreSQL port unless the test
 * sets one) and a plaintext gRPC channel to it. {@link #close} stops them in reverse order.
 */
final class GatewayTestStack implements AutoCloseable {
  final EmbeddedKafkaBroker broker;
  final EmbeddedExecutor executor;
  final GatewayServer gateway;
  final ManagedChannel channel;

  private GatewayTestStack(
      EmbeddedKafkaBroker broker, EmbeddedExecutor executor, GatewayServer gateway, ManagedChannel channel) {
    this.broker = broker;
    this.executor = executor;
    this.gateway = gateway;
    this.channel = channel;
  }

  /**
   * Starts everything; the broker keeps its data under {@code kafkaDir}.
   *
   * @param executorSettings applied to {@code ExecutorConfig.defaults} for these topics
   * @param gatewaySettings applied to {@code GatewayConfig.defaults} with ephemeral ports and no
   *     PostgreSQL port
   */
  static GatewayTestStack start(
      Path kafkaDir,
      TopicLayout topics,
      UnaryOperator<ExecutorConfig> executorSettings,
      UnaryOperator<GatewayConfig> gatewaySettings)
      throws Exception {
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(kafkaDir, 0);
    EmbeddedExecutor executor = null;
    try {
      LogTopics.ensure(broker.bootstrapServers(), topics, GatewayServer.START_TIMEOUT);
      executor = EmbeddedExecutor.start(
          executorSettings.apply(ExecutorConfig.defaults(broker.bootstrapServers(), topics)));
      GatewayServer gateway = GatewayServer.start(gatewaySettings.apply(
          GatewayConfig.defaults(broker.bootstrapServers(), topics)
              .withPorts(0, 0)
              .withPgPort(GatewayConfig.NO_PG_PORT)));
      ManagedChannel channel =
          ManagedChannelBuilder.forAddress("127.0.0.1", gateway.grpcPort()).usePlaintext().build();
      return new GatewayTestStack(broker, executor, gateway, channel);
    } catch (Exception | Error e) {
      if (executor != null) {
        executor.close();
      }
      broker.close();
      throw e;
    }
  }

  @Override
  public void close() throws InterruptedException {
    try {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } finally {
      try {
        gateway.close();
      } finally {
        try {
          executor.close();
        } finally {
          broker.close();
        }
      }
    }
  }
}
