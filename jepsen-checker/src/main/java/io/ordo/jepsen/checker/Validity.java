package io.ordo.jepsen.checker;

/**
 * A checker's verdict. {@code UNKNOWN} means the checker could not decide (e.g. its search hit the
 * time bound); it is never reported as valid. JSON: {@code true}, {@code false}, {@code "unknown"}.
 */
public enum Validity {
  TRUE,
  FALSE,
  UNKNOWN;

  /** Combines verdicts: false wins over unknown, unknown over true. */
  public Validity and(Validity other) {
    if (this == FALSE || other == FALSE) {
      return FALSE;
    }
    if (this == UNKNOWN || other == UNKNOWN) {
      return UNKNOWN;
    }
    return TRUE;
  }

  /** The JSON value: Boolean.TRUE, Boolean.FALSE or "unknown". */
  public Object toJsonValue() {
    return switch (this) {
      case TRUE -> Boolean.TRUE;
      case FALSE -> Boolean.FALSE;
      case UNKNOWN -> "unknown";
    };
  }
}
