package io.cxr.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The JPEG decoder ({@code data.decoder}): libjpeg-turbo when installed ({@code auto}), or one
 * named.
 */
public enum DecoderChoice {
  /** libjpeg-turbo when its library loads, else OpenCV. */
  AUTO,
  /** libjpeg-turbo (TurboJPEG), required. */
  TURBOJPEG,
  /** OpenCV's imdecode. */
  OPENCV;

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
  public static DecoderChoice of(String key) {
    return Choices.of(DecoderChoice.class, key);
  }
}
