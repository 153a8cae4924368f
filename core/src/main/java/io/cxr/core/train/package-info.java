/**
 * The training loop and its listeners: batches and augmentation, early stopping, per-epoch metric
 * logging. Imports registry, tracking, report, eval, model, data, config and io at most.
 */
package io.cxr.core.train;
