package io.cxr.core.registry;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PromotionTest {
  @Test
  void theAliasMovesOnlyToAStrictlyBetterModelOrToTheFirst() {
    assertTrue(Promotion.promotes(0.90, null), "no champion yet: the first model takes it");
    assertTrue(Promotion.promotes(0.91, 0.90), "better");
    assertFalse(Promotion.promotes(0.90, 0.90), "equal is not better");
    assertFalse(Promotion.promotes(0.89, 0.90), "worse");
    assertTrue(Promotion.promotes(0.9000001, 0.9), "any strict improvement counts");
  }
}
