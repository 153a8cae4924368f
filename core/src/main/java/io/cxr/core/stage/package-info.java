/**
 * One class per command ({@code PrepareStage}, {@code TrainStage}, {@code EvaluateStage}, {@code
 * PredictStage}, {@code RegisterStage}, {@code OptimizeStage}, {@code DownloadStage}, {@code
 * SyncStage}), each with a {@code run} that orchestrates the packages below. The top layer: nothing
 * imports a stage but the CLI, the tests and the benchmarks.
 */
package io.cxr.core.stage;
