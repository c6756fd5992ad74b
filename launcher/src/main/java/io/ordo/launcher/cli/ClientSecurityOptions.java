package io.ordo.launcher.cli;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How the client commands ({@code ordo sql}, {@code ordo stream ...}, {@code ordo sub ...})
 * authenticate to a gateway and check its certificate: {@code --token} (or {@code ORDO_TOKEN})
 * is sent as {@code authorization: Bearer <token>}; {@code --tls-ca} (a PEM file of trusted
 * certificates) or {@code --tls} (the JVM's trusted certificates) turn TLS on.
 */
public final class ClientSecurityOptions {
  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description = "Bearer token for a gateway with authentication on (or ORDO_TOKEN).")
  String token;

  @Option(
      names = "--tls-ca",
      paramLabel = "PEM",
      description = "Connect with TLS, trusting the certificates in this PEM file.")
  Path tlsCa;

  @Option(
      names = "--tls",
      description = "Connect with TLS, trusting the JVM's default certificate authorities.")
  boolean tls;

  /** A channel to {@code target} with these settings; the caller shuts it down. */
  ManagedChannel open(String target, int inboundBytesMax) {
    ChannelCredentials credentials;
    try {
      credentials =
          tlsCa != null
              ? TlsChannelCredentials.newBuilder().trustManager(tlsCa.toFile()).build()
              : tls ? TlsChannelCredentials.create() : InsecureChannelCredentials.create();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read --tls-ca " + tlsCa + ": " + e.getMessage(), e);
    }
    var builder = Grpc.newChannelBuilder(target, credentials).maxInboundMessageSize(inboundBytesMax);
    if (token != null && !token.isEmpty()) {
      Metadata headers = new Metadata();
      headers.put(
          Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      builder.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    return builder.build();
  }
}
