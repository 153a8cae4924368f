package io.cxr.core.train;

import io.cxr.core.CxrException;

/**
 * Training produced no usable model: the loss went non-finite, the network outputs one constant, or
 * it calls every validation image the same class. The command stops with this one line (exit code
 * 4), its run ends FAILED, and no model is written.
 */
public final class TrainingCollapsed extends CxrException {
  private static final long serialVersionUID = 1L;

  public TrainingCollapsed(String message) {
    super(message);
  }
}
