package io.cxr.core;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layers of core, bottom to top: config and io (with the root's Reporter and CxrException);
 * data and download; model; eval; report; tracking; registry; train; hpo; stage and serve (the two
 * tops, side by side). A package may use only the layers below it, and no two packages depend on
 * each other.
 */
class ArchitectureTest {
  private static JavaClasses core;

  @BeforeAll
  static void load() {
    core =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.cxr.core");
  }

  @Test
  void eachLayerUsesOnlyTheLayersBelowIt() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .layer("base")
        .definedBy("io.cxr.core", "io.cxr.core.config..", "io.cxr.core.io..")
        .layer("data")
        .definedBy("io.cxr.core.data..", "io.cxr.core.download..")
        .layer("model")
        .definedBy("io.cxr.core.model..")
        .layer("eval")
        .definedBy("io.cxr.core.eval..")
        .layer("report")
        .definedBy("io.cxr.core.report..")
        .layer("tracking")
        .definedBy("io.cxr.core.tracking..")
        .layer("registry")
        .definedBy("io.cxr.core.registry..")
        .layer("train")
        .definedBy("io.cxr.core.train..")
        .layer("hpo")
        .definedBy("io.cxr.core.hpo..")
        .layer("stage")
        .definedBy("io.cxr.core.stage..")
        .layer("serve")
        .definedBy("io.cxr.core.serve..")
        .whereLayer("stage")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("serve")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("hpo")
        .mayOnlyBeAccessedByLayers("stage")
        .whereLayer("train")
        .mayOnlyBeAccessedByLayers("hpo", "stage")
        .whereLayer("registry")
        .mayOnlyBeAccessedByLayers("train", "hpo", "stage", "serve")
        .whereLayer("tracking")
        .mayOnlyBeAccessedByLayers("registry", "train", "hpo", "stage", "serve")
        .whereLayer("report")
        .mayOnlyBeAccessedByLayers("tracking", "registry", "train", "hpo", "stage")
        .whereLayer("eval")
        .mayOnlyBeAccessedByLayers("report", "tracking", "registry", "train", "hpo", "stage")
        .whereLayer("model")
        .mayOnlyBeAccessedByLayers(
            "eval", "report", "tracking", "registry", "train", "hpo", "stage", "serve")
        .whereLayer("data")
        .mayOnlyBeAccessedByLayers(
            "model", "eval", "report", "tracking", "registry", "train", "hpo", "stage", "serve")
        .check(core);
  }

  @Test
  void noCyclesBetweenPackages() {
    slices().matching("io.cxr.core.(*)..").should().beFreeOfCycles().check(core);
  }
}
