package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How the search proposes candidates ({@code hpo.strategy}). */
public enum SearchStrategy {
  /** Random sampling. */
  RANDOM,
  /** A grid of {@code hpo.grid_points} per range. */
  GRID,
  /** A genetic algorithm. */
  GENETIC;

  /** The YAML name. */
  @JsonValue
  public String key() {
    return Choices.key(this);
  }

  /** The YAML name, so that messages and tags show what the config says. */
  @Override
  public String toString() {
    return key();
  }

  /** The constant of a YAML name (one line naming the choices when it is none of them). */
  @JsonCreator
  public static SearchStrategy of(String key) {
    return Choices.of(SearchStrategy.class, key);
  }
}
