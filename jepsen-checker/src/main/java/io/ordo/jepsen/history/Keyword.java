package io.ordo.jepsen.history;

import java.util.Objects;

/**
 * A keyword, as in EDN/Clojure ({@code :append}, {@code :ok}). Values in histories use it where
 * Jepsen uses keywords, so EDN round-trips exactly; JSON writes it as its name (elle-cli style).
 */
public record Keyword(String name) implements Comparable<Keyword> {
  public Keyword {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("keyword name must not be empty");
    }
  }

  public static Keyword of(String name) {
    return new Keyword(name);
  }

  @Override
  public int compareTo(Keyword other) {
    return name.compareTo(other.name);
  }

  @Override
  public String toString() {
    return ":" + name;
  }
}
