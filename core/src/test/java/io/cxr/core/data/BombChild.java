package io.cxr.core.data;

import io.cxr.core.CxrException;
import io.cxr.core.config.ConfigLoader;
import io.cxr.core.download.SafeZip;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One hostile input read in a process of its own, for {@link BombMemoryTest}: {@code BombChild
 * <png|npz|zip|yaml> <file>}. Exit 2 with the one-line refusal, 0 if the input was taken.
 */
public final class BombChild {
  private BombChild() {}

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[1]);
    try {
      switch (args[0]) {
        case "png" -> ImageDecoder.decode(Files.readAllBytes(file), 64, file.toString());
        case "npz" -> Sources.open(file, true);
        case "zip" -> {
          SafeZip.verify(file);
          SafeZip.extract(file, file.resolveSibling("extracted"));
        }
        case "yaml" -> ConfigLoader.load(file, List.of());
        default -> throw new IllegalArgumentException(args[0]);
      }
    } catch (CxrException e) {
      System.out.println(e.getMessage());
      System.exit(2);
    }
    System.exit(0);
  }
}
