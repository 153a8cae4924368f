/**
 * Measuring models: confusion matrix, ROC and precision-recall curves (one threshold scan), binary
 * metrics, threshold choice, the quality gate and the per-epoch record. Pure computation; imports
 * model, data, config and io at most.
 */
package io.cxr.core.eval;
