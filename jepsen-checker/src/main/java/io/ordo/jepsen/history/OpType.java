package io.ordo.jepsen.history;

/**
 * The type of a history operation (Jepsen's {@code :type}): an {@code invoke} is followed by exactly
 * one completion of the same process, {@code ok} (it happened), {@code fail} (it certainly did not
 * happen) or {@code info} (indeterminate: it may or may not have happened, and it may take effect
 * at any later time).
 */
public enum OpType {
  INVOKE,
  OK,
  FAIL,
  INFO;

  /** The Jepsen keyword name: "invoke", "ok", "fail", "info". */
  public String keywordName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** @throws IllegalArgumentException for a name that is not one of the four */
  public static OpType fromKeywordName(String name) {
    return switch (name) {
      case "invoke" -> INVOKE;
      case "ok" -> OK;
      case "fail" -> FAIL;
      case "info" -> INFO;
      default -> throw new IllegalArgumentException("unknown op type '" + name + "' (invoke, ok, fail, info)");
    };
  }

  public boolean isCompletion() {
    return this != INVOKE;
  }
}
