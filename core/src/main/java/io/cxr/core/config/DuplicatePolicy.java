package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * What prepare does with an image found in two splits ({@code
 * data.validation.cross_split_duplicates}).
 */
public enum DuplicatePolicy {
  /** Keep it in the first split only. */
  DROP,
  /** Keep it and warn. */
  WARN,
  /** Refuse the data. */
  ERROR;

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
  public static DuplicatePolicy of(String key) {
    return Choices.of(DuplicatePolicy.class, key);
  }
}
