package io.ordo.jepsen.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;

/** Free loopback ports for the test cluster's processes. */
final class Ports {
  private Ports() {}

  /**
   * A port free on 127.0.0.1 now and not in {@code taken}, which it is added to.
   *
   * @throws IllegalStateException if 100 attempts find no new one
   */
  static int free(Set<Integer> taken) {
    for (int i = 0; i < 100; i++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
        if (taken.add(s.getLocalPort())) {
          return s.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot find a free port on 127.0.0.1", e);
      }
    }
    throw new IllegalStateException("no new free port in 100 attempts");
  }
}
