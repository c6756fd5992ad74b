package io.ordo.sql.logictest;

import io.ordo.launcher.embedded.EmbeddedOrdo;
import io.ordo.sql.SqlEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * Where {@link SqlLogicTestIT} gets the Ordo SQL engine its Ordo runs use: one embedded
 * deployment (broker, executor, gateway) started on first use for the test JVM on a temporary
 * data directory, closed and deleted by a shutdown hook. Every file creates and drops its own
 * tables, so one deployment serves all files.
 */
final class SltOrdoEngine {
  private SltOrdoEngine() {}

  private static EmbeddedOrdo ordo;

  static synchronized SqlEngine ordoEngine() {
    if (ordo == null) {
      try {
        Path dir = Files.createTempDirectory("ordo-slt");
        ordo = EmbeddedOrdo.start(EmbeddedOrdo.Options.defaults(dir).withFreePorts()
            .withExecutor(OptionalInt.empty(), OptionalInt.empty(), OptionalLong.of(1_000)));
        ordo.awaitServing(Duration.ofSeconds(90));
        EmbeddedOrdo started = ordo;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          started.close();
          delete(dir);
        }, "ordo-slt-shutdown"));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting Ordo", e);
      } catch (Exception e) {
        throw new IllegalStateException("cannot start an embedded Ordo: " + e.getMessage(), e);
      }
    }
    return ordo.sqlEngine();
  }

  private static void delete(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
