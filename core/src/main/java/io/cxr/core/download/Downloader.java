package io.cxr.core.download;

import com.fasterxml.jackson.databind.JsonNode;
import io.cxr.core.CxrException;
import io.cxr.core.Reporter;
import io.cxr.core.config.CxrConfig;
import io.cxr.core.io.Hashing;
import io.cxr.core.io.Json;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Fetches PneumoniaMNIST from Zenodo (checksum from the record's metadata) or the Kermany chest
 * X-rays from Kaggle (credentials required), into {@code download.target}.
 */
public final class Downloader {
  private Downloader() {}

  /** What was fetched and where the data now is. */
  public record Result(Path data, boolean alreadyPresent, long bytes) {}

  /** Fetches {@code download.dataset} into {@code download.target} (or finds it there). */
  public static Result fetch(
      CxrConfig cfg, Map<String, String> env, Path kaggleJson, Reporter reporter) {
    CxrConfig.Download d = cfg.download();
    HttpFetcher http = new HttpFetcher(d.timeoutSeconds(), d.retries());
    Path target = Path.of(d.target());
    return d.dataset() == io.cxr.core.config.DownloadDataset.KERMANY
        ? kaggle(d, http, target, KaggleCredentials.resolve(env, kaggleJson), reporter)
        : zenodo(d, http, target, reporter);
  }

  static Result zenodo(CxrConfig.Download d, HttpFetcher http, Path target, Reporter reporter) {
    String key =
        d.medmnistSize() == 28
            ? "pneumoniamnist.npz"
            : "pneumoniamnist_" + d.medmnistSize() + ".npz";
    URI api = uri(d.zenodoApi() + "/records/" + d.zenodoRecord(), "download.zenodo_api");
    JsonNode file = recordFile(d, http, api, key);
    String checksum = file.path("checksum").asText("");
    if (!checksum.startsWith("md5:")) {
      throw new CxrException(
          "Zenodo record "
              + d.zenodoRecord()
              + ": file '"
              + key
              + "' has no md5 checksum to verify against");
    }
    String md5 = checksum.substring(4);
    // the record API links the bytes as "content" (InvenioRDM) or "self" (legacy)
    String link =
        file.path("links").path("content").asText(file.path("links").path("self").asText(""));
    if (link.isEmpty()) {
      throw new CxrException(
          "Zenodo record " + d.zenodoRecord() + ": file '" + key + "' has no download link");
    }
    Path out = target.resolve("pneumoniamnist").resolve(key);
    if (Files.isRegularFile(out) && Hashing.file(out, "MD5").equalsIgnoreCase(md5)) {
      reporter.info(out + " is present and its MD5 matches; nothing to download");
      return new Result(out, true, size(out));
    }
    if (Files.exists(out)) {
      // cxr verifies a download before it takes this name: a file here that fails the check is
      // not one cxr wrote
      throw new CxrException(
          out
              + ": exists and is not the record's file (MD5 differs from "
              + md5
              + "); refusing to replace it: move it away, or set download.target");
    }
    http.download(api.resolve(link), Map.of(), out, HttpFetcher.md5(md5), reporter);
    reporter.info("downloaded " + key + " (MD5 " + md5 + " verified) to " + out);
    return new Result(out, false, size(out));
  }

  /** The record's entry of file {@code key}, from Zenodo's record API. */
  private static JsonNode recordFile(CxrConfig.Download d, HttpFetcher http, URI api, String key) {
    JsonNode record;
    try {
      record = Json.JSON.readTree(http.getString(api, Map.of("Accept", "application/json")));
    } catch (IOException e) {
      throw new CxrException("Zenodo record " + d.zenodoRecord() + ": answer is not JSON");
    }
    JsonNode file = null;
    for (JsonNode f : record.path("files")) {
      file = key.equals(f.path("key").asText()) ? f : file;
    }
    if (file == null) {
      throw new CxrException(
          "Zenodo record "
              + d.zenodoRecord()
              + ": has no file '"
              + key
              + "' (expected download.medmnist_size 28, 64, 128 or 224)");
    }
    return file;
  }

  static Result kaggle(
      CxrConfig.Download d,
      HttpFetcher http,
      Path target,
      KaggleCredentials creds,
      Reporter reporter) {
    String dataset = d.kaggleDataset();
    if (!dataset.matches("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")) {
      throw new CxrException(
          "config key 'download.kaggle_dataset': expected owner/name, got '" + dataset + "'");
    }
    Path folder = target.resolve("kermany");
    Path done = folder.resolve(".complete");
    if (Files.isRegularFile(done)) {
      reporter.info(folder + " is already extracted; nothing to download");
      return new Result(folder, true, 0);
    }
    if (Files.exists(folder)) {
      throw new CxrException(
          folder
              + ": exists without the "
              + done.getFileName()
              + " marker of a finished cxr download; refusing to replace it: move it away, or"
              + " set download.target");
    }
    String name = dataset.substring(dataset.indexOf('/') + 1) + ".zip";
    Path zip = target.resolve(name);
    boolean fetched = !Files.isRegularFile(zip);
    if (fetched) {
      URI uri = uri(d.kaggleApi() + "/datasets/download/" + dataset, "download.kaggle_api");
      http.download(
          uri, Map.of("Authorization", creds.authorization()), zip, SafeZip::verify, reporter);
    }
    reporter.info("extracting " + zip + " to " + folder);
    try {
      if (!fetched) {
        SafeZip.verify(zip);
      }
      SafeZip.extract(zip, folder);
    } catch (CxrException e) {
      // a refused archive is not kept to be refused again: this run's download is removed, an
      // earlier one (cxr cannot tell who put it there) is named
      throw new CxrException(e.getMessage() + refusedZip(zip, fetched));
    }
    try {
      Files.writeString(done, Hashing.sha256(zip) + "\n");
    } catch (IOException e) {
      throw new CxrException("cannot write " + done + ": " + e.getMessage());
    }
    return new Result(folder, false, size(zip));
  }

  private static String refusedZip(Path zip, boolean fetched) {
    if (!fetched) {
      return "; " + zip + " was there before this run: remove it to download it again";
    }
    try {
      Files.deleteIfExists(zip);
      return "; the download was removed";
    } catch (IOException e) {
      return "; remove " + zip + " (" + e.getMessage() + ")";
    }
  }

  private static URI uri(String s, String key) {
    try {
      URI u = URI.create(s);
      if (u.getScheme() == null
          || !(u.getScheme().equals("http") || u.getScheme().equals("https"))
          || u.getHost() == null) {
        throw new IllegalArgumentException();
      }
      return u;
    } catch (IllegalArgumentException e) {
      throw new CxrException("config key '" + key + "': expected an http(s) URL, got '" + s + "'");
    }
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return -1;
    }
  }
}
