package io.ordo.launcher.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ordo.proto.Operation;
import io.ordo.proto.TxnRequest;
import io.ordo.sequencer.KeyRanges;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TransferWorkloadTest {
  private static final int ACCOUNTS = 10_000;
  private static final int RANGES = 16;
  private static final int DRAWS = 200_000;

  @ParameterizedTest
  @ValueSource(ints = {0, 25, 50, 100})
  void crossRangeShareIsExactInExpectationAndEveryTransferIsLabelledByItsRanges(int pct) {
    TransferWorkload w = new TransferWorkload(ACCOUNTS, 0.99, 100, RANGES, OptionalInt.of(pct));
    Random random = new Random(7);
    long cross = 0;
    for (int i = 0; i < DRAWS; i++) {
      TransferWorkload.Transfer t = w.next(random);
      boolean spans = KeyRanges.rangeOf(TransferWorkload.accountKey(t.debtor()), RANGES)
          != KeyRanges.rangeOf(TransferWorkload.accountKey(t.creditor()), RANGES);
      assertThat(t.crossRange()).isEqualTo(spans);
      if (spans) {
        cross++;
      }
    }
    // Binomial(DRAWS, pct/100): 5 standard deviations is < 0.6 percentage points here.
    assertThat(100.0 * cross / DRAWS).isCloseTo(pct, within(0.6));
    if (pct == 0 || pct == 100) {
      assertThat(cross).isEqualTo(pct == 0 ? 0 : DRAWS);
    }
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.0, 0.99, 0.999})
  void debtorNeverEqualsCreditorAndAmountsStayInRange(double theta) {
    for (OptionalInt pct : List.of(OptionalInt.empty(), OptionalInt.of(0), OptionalInt.of(100))) {
      TransferWorkload w = new TransferWorkload(ACCOUNTS, theta, 7, RANGES, pct);
      Random random = new Random(11);
      for (int i = 0; i < 30_000; i++) {
        TransferWorkload.Transfer t = w.next(random);
        assertThat(t.creditor()).isNotEqualTo(t.debtor());
        assertThat(t.amount()).isBetween(1L, 7L);
        assertThat(t.debtor()).isBetween(0, ACCOUNTS - 1);
        assertThat(t.creditor()).isBetween(0, ACCOUNTS - 1);
      }
    }
  }

  @Test
  void tinyBankStillNeverPicksTheDebtor() {
    TransferWorkload w = new TransferWorkload(2, 0.99, 10, 1, OptionalInt.of(0));
    Random random = new Random(3);
    for (int i = 0; i < 1_000; i++) {
      TransferWorkload.Transfer t = w.next(random);
      assertThat(t.creditor()).isEqualTo(1 - t.debtor());
    }
  }

  /**
   * The creditor follows the Zipfian conditioned on the chosen class: the empirical frequency of
   * hot and lukewarm accounts matches the exact expectation summed over all debtors.
   */
  @ParameterizedTest
  @ValueSource(ints = {-1, 0, 30, 100})
  void creditorIsZipfianWithinItsClass(int pctOrNatural) {
    OptionalInt pct = pctOrNatural < 0 ? OptionalInt.empty() : OptionalInt.of(pctOrNatural);
    double theta = 0.99;
    TransferWorkload w = new TransferWorkload(ACCOUNTS, theta, 100, RANGES, pct);
    Random random = new Random(5);
    long[] hits = new long[ACCOUNTS];
    long[] debtorHits = new long[ACCOUNTS];
    for (int i = 0; i < DRAWS; i++) {
      TransferWorkload.Transfer t = w.next(random);
      hits[t.creditor()]++;
      debtorHits[t.debtor()]++;
    }
    double[] expected = expectedCreditorFrequencies(theta, pct);
    for (int c : new int[] {0, 1, 2, 5, 10}) {
      double sd = Math.sqrt(DRAWS * expected[c] * (1 - expected[c]));
      assertThat((double) hits[c]).as("hits of account %d", c)
          .isCloseTo(DRAWS * expected[c], within(5 * sd + 1));
    }
    // Skew: the hottest creditor is drawn far more often than a typical one.
    assertThat(hits[0]).isGreaterThan(100 * Math.max(1, hits[ACCOUNTS / 2]));
    // Debtors are uniform: every bucket of 1,000 accounts gets 10% +- 1 point.
    for (int b = 0; b < 10; b++) {
      long n = 0;
      for (int i = b * 1_000; i < (b + 1) * 1_000; i++) {
        n += debtorHits[i];
      }
      assertThat(100.0 * n / DRAWS).isCloseTo(10.0, within(1.0));
    }
  }

  /** P(creditor = c), by exact enumeration over the uniform debtor. */
  private static double[] expectedCreditorFrequencies(double theta, OptionalInt pct) {
    ZipfianGenerator zipf = new ZipfianGenerator(ACCOUNTS, theta);
    double[] weight = new double[ACCOUNTS];
    int[] range = new int[ACCOUNTS];
    double[] rangeMass = new double[RANGES];
    for (int i = 0; i < ACCOUNTS; i++) {
      weight[i] = zipf.probabilityOf(i);
      range[i] = KeyRanges.rangeOf(TransferWorkload.accountKey(i), RANGES);
      rangeMass[range[i]] += weight[i];
    }
    double[] expected = new double[ACCOUNTS];
    for (int c : new int[] {0, 1, 2, 5, 10}) {
      double sum = 0;
      for (int d = 0; d < ACCOUNTS; d++) {
        if (d == c) {
          continue;
        }
        double p;
        if (pct.isEmpty()) {
          p = weight[c] / (1 - weight[d]);
        } else {
          double share = pct.getAsInt() / 100.0;
          boolean same = range[c] == range[d];
          p = same
              ? (1 - share) * weight[c] / (rangeMass[range[d]] - weight[d])
              : share * weight[c] / (1 - rangeMass[range[d]]);
        }
        sum += p / ACCOUNTS;
      }
      expected[c] = sum;
    }
    return expected;
  }

  @Test
  void sameSeedReplaysTheSameTransfersAndAnotherSeedDoesNot() {
    TransferWorkload w = new TransferWorkload(ACCOUNTS, 0.99, 100, RANGES, OptionalInt.of(40));
    assertThat(draw(w, 42)).isEqualTo(draw(w, 42));
    assertThat(draw(w, 42)).isNotEqualTo(draw(w, 43));
    // A second generator with the same settings draws the same sequence too.
    TransferWorkload other =
        new TransferWorkload(ACCOUNTS, 0.99, 100, RANGES, OptionalInt.of(40));
    assertThat(draw(other, 42)).isEqualTo(draw(w, 42));
  }

  private static List<TransferWorkload.Transfer> draw(TransferWorkload w, long seed) {
    Random random = new Random(seed);
    List<TransferWorkload.Transfer> out = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      out.add(w.next(random));
    }
    return out;
  }

  @Test
  void requestIsADebitWithTheFundsBoundAndACredit() {
    TxnRequest r = TransferWorkload.toRequest(new TransferWorkload.Transfer(3, 12, 50, true));
    assertThat(r.getId()).isEmpty();
    assertThat(r.getOpsCount()).isEqualTo(2);
    Operation debit = r.getOps(0);
    assertThat(debit.getKey()).isEqualTo("acct-00003");
    assertThat(debit.getIncrement().getDelta()).isEqualTo(-50);
    assertThat(debit.getIncrement().hasMin()).isTrue();
    assertThat(debit.getIncrement().getMin()).isZero();
    Operation credit = r.getOps(1);
    assertThat(credit.getKey()).isEqualTo("acct-00012");
    assertThat(credit.getIncrement().getDelta()).isEqualTo(50);
    assertThat(credit.getIncrement().hasMin()).isFalse();
  }

  @Test
  void impossibleSharesAndBadValuesAreRejectedWithTheReason() {
    // One key range: no transfer can span two.
    assertThatThrownBy(() -> new TransferWorkload(100, 0.99, 10, 1, OptionalInt.of(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("one key range");
    // Three accounts over 16 ranges: some range holds a single account.
    assertThatThrownBy(() -> new TransferWorkload(3, 0.99, 10, 16, OptionalInt.of(50)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("holds only one account");
    assertThatThrownBy(() -> new TransferWorkload(100, 0.99, 10, 16, OptionalInt.of(101)))
        .hasMessageContaining("[0, 100]");
    assertThatThrownBy(() -> new TransferWorkload(1, 0.99, 10, 16, OptionalInt.empty()))
        .hasMessageContaining("accounts");
    assertThatThrownBy(() -> new TransferWorkload(100, 1.0, 10, 16, OptionalInt.empty()))
        .hasMessageContaining("theta");
    assertThatThrownBy(() -> new TransferWorkload(100, 0.5, 0, 16, OptionalInt.empty()))
        .hasMessageContaining("max amount");
  }
}
