package io.cxr.cli;

import io.cxr.core.tracking.Provenance;
import picocli.CommandLine;

/** Prints cxr's and its main libraries' versions. */
public final class VersionProvider implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {
      "cxr " + Provenance.version(),
      "Deeplearning4j/ND4J/DataVec " + Provenance.DL4J_VERSION,
      "Java " + System.getProperty("java.version")
    };
  }
}
