package io.cxr.core.registry;

import io.cxr.core.tracking.MirroredTracker;

/**
 * The registry that goes with a tracker: the server's when there is one, else the local store's.
 */
public final class Registries {
  private Registries() {}

  public static ModelRegistry of(MirroredTracker tracker) {
    return tracker.remote() != null
        ? new MlflowRegistry(tracker.remote())
        : new FileStoreRegistry(tracker.local());
  }
}
