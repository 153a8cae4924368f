/**
 * Experiment tracking: the Tracker interface and the run lifecycle ({@code Tracker.within}), the
 * local MLflow file store, the MLflow server client, their mirror, run sync and provenance. Imports
 * report, eval, model, data, config and io at most.
 */
package io.cxr.core.tracking;
