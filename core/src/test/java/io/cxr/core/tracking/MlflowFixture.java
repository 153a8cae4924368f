package io.cxr.core.tracking;

import io.cxr.core.Reporter;
import io.cxr.core.TestData;
import io.cxr.core.stage.PrepareStage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the MLflow test classes share: a small real PneumoniaMNIST preparation (150 images per class
 * and split) and one pinned MLflow server on loopback, started once per class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class MlflowFixture {
  Path tmp;
  Path prepared;
  MlflowServer server;

  @BeforeAll
  void startServer(@TempDir Path dir) throws Exception {
    tmp = dir;
    prepared = tmp.resolve("prepared");
    PrepareStage.run(
        TestData.config(tmp, "data.max_per_class=150"), TestData.npz(), prepared, Reporter.SILENT);
    server = new MlflowServer(Files.createDirectories(tmp.resolve("server")));
  }

  @AfterAll
  void stopServer() {
    if (server != null) {
      server.close();
    }
  }
}
