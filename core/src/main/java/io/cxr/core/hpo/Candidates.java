package io.cxr.core.hpo;

import io.cxr.core.config.CxrConfig;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.commons.math3.random.MersenneTwister;
import org.deeplearning4j.arbiter.optimize.api.CandidateGenerator;
import org.deeplearning4j.arbiter.optimize.api.data.DataProvider;
import org.deeplearning4j.arbiter.optimize.api.data.DataSource;
import org.deeplearning4j.arbiter.optimize.api.score.ScoreFunction;
import org.deeplearning4j.arbiter.optimize.generator.GeneticSearchCandidateGenerator;
import org.deeplearning4j.arbiter.optimize.generator.GridSearchCandidateGenerator;
import org.deeplearning4j.arbiter.optimize.generator.RandomSearchGenerator;
import org.deeplearning4j.arbiter.optimize.generator.genetic.crossover.SinglePointCrossover;
import org.deeplearning4j.arbiter.optimize.generator.genetic.crossover.parentselection.RandomTwoParentSelection;
import org.deeplearning4j.arbiter.optimize.generator.genetic.mutation.RandomMutationOperator;
import org.deeplearning4j.arbiter.optimize.generator.genetic.selection.GeneticSelectionOperator;

/** Arbiter's candidate generators for {@code hpo.strategy}, seeded: same seed, same candidates. */
public final class Candidates {
  private Candidates() {}

  /** The candidates a strategy proposes, seeded (same seed, same sequence). */
  public static CandidateGenerator generator(CxrConfig cfg, SearchSpace space) {
    CandidateGenerator g =
        switch (cfg.hpo().strategy()) {
          case GRID ->
              new GridSearchCandidateGenerator(
                  space,
                  cfg.hpo().gridPoints(),
                  GridSearchCandidateGenerator.Mode.Sequential,
                  null);
          case GENETIC ->
              new GeneticSearchCandidateGenerator.Builder(space, new MaximizeScore())
                  .selectionOperator(seededSelection(cfg.seed()))
                  .build();
          case RANDOM -> new RandomSearchGenerator(space, null);
        };
    g.setRngSeed(cfg.seed());
    return g;
  }

  /** Arbiter's genetic operators draw from unseeded generators unless given seeded ones. */
  private static GeneticSelectionOperator seededSelection(long seed) {
    return new GeneticSelectionOperator.Builder()
        .randomGenerator(new MersenneTwister((int) seed))
        .crossoverOperator(
            new SinglePointCrossover.Builder()
                .randomGenerator(new MersenneTwister((int) seed + 1))
                .parentSelection(new RandomTwoParentSelection(new MersenneTwister((int) seed + 2)))
                .build())
        .mutationOperator(
            new RandomMutationOperator.Builder()
                .randomGenerator(new MersenneTwister((int) seed + 3))
                .build())
        .build();
  }

  /** Arbiter's genetic generator wants a score function; cxr scores trials itself. */
  static final class MaximizeScore implements ScoreFunction {
    private static final long serialVersionUID = 1L;

    @Override
    public double score(Object model, DataProvider data, Map<String, Object> params) {
      throw new UnsupportedOperationException("cxr scores trials itself");
    }

    @Override
    public double score(Object model, Class<? extends DataSource> data, Properties props) {
      throw new UnsupportedOperationException("cxr scores trials itself");
    }

    @Override
    public boolean minimize() {
      return false;
    }

    @Override
    public List<Class<?>> getSupportedModelTypes() {
      return List.of(Object.class);
    }

    @Override
    public List<Class<?>> getSupportedDataTypes() {
      return List.of(Object.class);
    }
  }
}
