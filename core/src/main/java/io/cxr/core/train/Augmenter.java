package io.cxr.core.train;

import io.cxr.core.config.CxrConfig;
import java.util.Random;

/**
 * Random training-time changes of one image: rotation, zoom, aspect ratio and shift in one affine
 * warp (bilinear, edges replicated), an optional horizontal flip, a gamma change of intensity, then
 * the changes a different scanner or exposure makes: contrast about the image's mean, blur or
 * sharpening (3x3 unsharp mask), a lower resolution (shrunk and enlarged back) and Gaussian noise,
 * each off at 0 (and then drawing nothing from the generator, so seeded runs without them are
 * unchanged).
 */
public final class Augmenter {
  private final CxrConfig.Augment cfg;

  public Augmenter(CxrConfig.Augment cfg) {
    this.cfg = cfg;
  }

  /** A new augmented copy of a {@code size x size} image with values in [0, 1]. */
  public float[] apply(float[] img, int size, Random rnd) {
    double angle = Math.toRadians(uniform(rnd, cfg.maxRotation()));
    double zoom = 1 + uniform(rnd, cfg.maxZoom());
    double tx = uniform(rnd, cfg.maxShift()) * size;
    double ty = uniform(rnd, cfg.maxShift()) * size;
    boolean flip = cfg.hflip() && rnd.nextBoolean();
    double gamma = 1 + uniform(rnd, cfg.gamma());
    // aspect: width x sqrt(a), height / sqrt(a), a log-uniform in [1/(1+r), 1+r] (drawn only when
    // on, so seeded runs without it draw what they drew before)
    double ax =
        cfg.maxAspect() > 0 ? Math.sqrt(Math.exp(uniform(rnd, Math.log(1 + cfg.maxAspect())))) : 1;
    double cos = Math.cos(angle) / zoom;
    double sin = Math.sin(angle) / zoom;
    double c = (size - 1) / 2.0;
    float[] out = new float[img.length];
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        // inverse map: output pixel -> source coordinates
        double dx = ((flip ? size - 1 - x : x) - c - tx) / ax;
        double dy = (y - c - ty) * ax;
        double sx = cos * dx + sin * dy + c;
        double sy = -sin * dx + cos * dy + c;
        float v = bilinear(img, size, sx, sy);
        out[y * size + x] = gamma == 1 ? v : (float) Math.pow(Math.max(v, 0), gamma);
      }
    }
    if (cfg.contrast() > 0) {
      contrast(out, 1 + uniform(rnd, cfg.contrast()));
    }
    if (cfg.sharpness() > 0) {
      // below -1 the mask would blur past the 3x3 mean
      sharpen(out, size, Math.max(-1, uniform(rnd, cfg.sharpness())));
    }
    if (cfg.downscale() > 0) {
      int small = (int) Math.round(size * (1 - rnd.nextDouble() * cfg.downscale()));
      if (small >= 2 && small < size) {
        out = resample(resample(out, size, small), small, size);
      }
    }
    if (cfg.noise() > 0) {
      double sigma = rnd.nextDouble() * cfg.noise();
      for (int i = 0; i < out.length; i++) {
        out[i] = clamp(out[i] + sigma * rnd.nextGaussian());
      }
    }
    return out;
  }

  /** Scales every pixel's distance from the image's mean by {@code factor}. */
  static void contrast(float[] img, double factor) {
    double mean = 0;
    for (float v : img) {
      mean += v;
    }
    mean /= img.length;
    for (int i = 0; i < img.length; i++) {
      img[i] = clamp(mean + factor * (img[i] - mean));
    }
  }

  /**
   * Unsharp mask: {@code img + amount * (img - mean3x3(img))}; amount -1 is the 3x3 mean (a blur),
   * 0 the image, above 0 sharper. Edges replicated.
   */
  static void sharpen(float[] img, int size, double amount) {
    float[] src = img.clone();
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        double sum = 0;
        for (int dy = -1; dy <= 1; dy++) {
          int yy = Math.max(0, Math.min(size - 1, y + dy)) * size;
          for (int dx = -1; dx <= 1; dx++) {
            sum += src[yy + Math.max(0, Math.min(size - 1, x + dx))];
          }
        }
        float v = src[y * size + x];
        img[y * size + x] = clamp(v + amount * (v - sum / 9));
      }
    }
  }

  /** A {@code from x from} image resampled (bilinear, pixel centres aligned) to {@code to x to}. */
  static float[] resample(float[] img, int from, int to) {
    float[] out = new float[to * to];
    double scale = (double) from / to;
    for (int y = 0; y < to; y++) {
      double sy = (y + 0.5) * scale - 0.5;
      for (int x = 0; x < to; x++) {
        out[y * to + x] = bilinear(img, from, (x + 0.5) * scale - 0.5, sy);
      }
    }
    return out;
  }

  private static float clamp(double v) {
    return (float) Math.max(0, Math.min(1, v));
  }

  private static float bilinear(float[] img, int size, double x, double y) {
    x = Math.max(0, Math.min(size - 1, x));
    y = Math.max(0, Math.min(size - 1, y));
    int x0 = (int) x;
    int y0 = (int) y;
    int x1 = Math.min(x0 + 1, size - 1);
    int y1 = Math.min(y0 + 1, size - 1);
    double fx = x - x0;
    double fy = y - y0;
    double top = img[y0 * size + x0] * (1 - fx) + img[y0 * size + x1] * fx;
    double bottom = img[y1 * size + x0] * (1 - fx) + img[y1 * size + x1] * fx;
    return (float) (top * (1 - fy) + bottom * fy);
  }

  private static double uniform(Random rnd, double max) {
    return max == 0 ? 0 : (rnd.nextDouble() * 2 - 1) * max;
  }
}
