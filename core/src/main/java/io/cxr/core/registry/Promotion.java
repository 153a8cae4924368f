package io.cxr.core.registry;

/**
 * The promotion rule of the registry's alias (champion): a new version takes it only when its
 * metric is strictly better (higher) than the champion's; with no champion, the first model takes
 * it. Equal is not better: a re-registered model never moves the alias.
 */
public final class Promotion {
  private Promotion() {}

  /**
   * @param championValue the champion's metric, or null when there is no champion
   */
  public static boolean promotes(double value, Double championValue) {
    return championValue == null || value > championValue;
  }
}
