package io.ordo.views;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How the supervisor reads the tables a view reads from SHOW VIEWS' {@code source} column. */
class ViewSupervisorTest {
  @Test
  void plainAndQuotedNamesParseBack() {
    assertThat(ViewSupervisor.sourceNames("orders")).containsExactly("orders");
    assertThat(ViewSupervisor.sourceNames("checking, savings, branches"))
        .containsExactly("checking", "savings", "branches");
    assertThat(ViewSupervisor.sourceNames("a, \"We, ird\"\"x\", \"B\""))
        .containsExactly("a", "We, ird\"x", "B");
  }
}
