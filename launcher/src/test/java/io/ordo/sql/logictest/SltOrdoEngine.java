package io.ordo.sql.logictest;

import io.ordo.sql.SqlEngine;

/** Where {@link SqlLogicTestSuite} gets the Ordo SQL engine its Ordo runs use. */
final class SltOrdoEngine {
  private SltOrdoEngine() {}

  /**
   * The engine the Ordo runs of the sqllogictest files use, or null while none can be built here
   * (the suite then skips the Ordo runs, saying why).
   *
   * <p>To wire: return the {@link io.ordo.sql.engine.OrdoSqlEngine} of an embedded deployment
   * (EmbeddedOrdo started once for the test JVM on a temporary data directory and closed by a
   * shutdown hook or a JUnit extension). Every file creates and drops its own tables, so one
   * deployment serves all files; {@code ordo_only.slt}'s {@code SHOW TABLES} expects the other
   * files to have dropped theirs.
   */
  static SqlEngine ordoEngine() {
    return null;
  }
}
