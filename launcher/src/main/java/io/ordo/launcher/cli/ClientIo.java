package io.ordo.launcher.cli;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.InputStream;
import java.util.Objects;

/**
 * What the gateway client commands ({@code ordo stream ...}, {@code ordo sub ...}) take from
 * outside the command line: how a channel to the gateway is opened and where {@code -} reads
 * from. The command groups hold one; tests replace it with an in-process channel and a byte
 * array as stdin.
 *
 * @param channels opens a channel to a {@code host:port} target; the caller shuts it down
 * @param stdin the standard input of {@code ordo stream append NAME -}
 */
record ClientIo(ChannelFactory channels, InputStream stdin) {
  /**
   * Largest message the commands accept from the gateway, in bytes: a read response may carry
   * many records of up to 1 MiB each, more than gRPC's default of 4 MiB.
   */
  static final int INBOUND_MESSAGE_BYTES_MAX = 64 << 20;

  /** Opens a channel to a gateway. */
  @FunctionalInterface
  interface ChannelFactory {
    /**
     * A new channel to {@code target}.
     *
     * @param target {@code host:port}, already checked for its form
     */
    ManagedChannel open(String target);

    /**
     * A new channel to {@code target} with a token and TLS settings; factories that do not
     * reach the network (tests' in-process channels) ignore them.
     */
    default ManagedChannel open(String target, ClientSecurityOptions security) {
      return open(target);
    }
  }

  ClientIo {
    Objects.requireNonNull(channels, "channels");
    Objects.requireNonNull(stdin, "stdin");
  }

  /**
   * gRPC over the network (plain text, or TLS and a bearer token as {@link
   * ClientSecurityOptions} say) and this process's standard input.
   */
  static ClientIo system() {
    return new ClientIo(
        new ChannelFactory() {
          @Override
          public ManagedChannel open(String target) {
            return ManagedChannelBuilder.forTarget(target)
                .usePlaintext()
                .maxInboundMessageSize(INBOUND_MESSAGE_BYTES_MAX)
                .build();
          }

          @Override
          public ManagedChannel open(String target, ClientSecurityOptions security) {
            return security.open(target, INBOUND_MESSAGE_BYTES_MAX);
          }
        },
        System.in);
  }

  /** A command group ({@code stream}, {@code sub}) whose subcommands talk to the gateway. */
  interface Holder {
    /** The channel factory and stdin its subcommands use. */
    ClientIo clientIo();
  }
}
