package io.ordo.jepsen.history;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Reads and writes history files, choosing the format by extension: {@code .edn} or {@code .json}. */
public final class HistoryFiles {
  private HistoryFiles() {}

  /**
   * Reads {@code file} as EDN ({@code .edn}) or JSON ({@code .json}).
   *
   * @throws IllegalArgumentException for another extension, or content that is not a valid history
   * @throws IOException on read or syntax errors
   */
  public static History read(Path file) throws IOException {
    return switch (format(file)) {
      case "edn" -> EdnHistory.read(file);
      case "json" -> JsonHistory.read(file);
      default -> throw new AssertionError();
    };
  }

  /**
   * Writes {@code h} to {@code file} (created or replaced) as EDN or JSON by its extension.
   *
   * @throws IllegalArgumentException for another extension
   */
  public static void write(History h, Path file) throws IOException {
    String format = format(file);
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      if (format.equals("edn")) {
        EdnHistory.write(h, w);
      } else {
        JsonHistory.write(h, w);
      }
    }
  }

  private static String format(Path file) {
    String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".edn")) {
      return "edn";
    }
    if (name.endsWith(".json")) {
      return "json";
    }
    throw new IllegalArgumentException(file + ": unknown history format (expected a .edn or .json file)");
  }
}
