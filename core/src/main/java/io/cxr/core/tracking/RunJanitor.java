package io.cxr.core.tracking;

import io.cxr.core.Reporter;
import io.cxr.core.io.Owner;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mlflow.api.proto.Service;

/**
 * Ends the runs whose owner died: a run records its owning process (host, pid, start time) in tags
 * when it starts; a RUNNING run whose owner is gone from this host (a {@code kill -9}, an
 * out-of-memory kill, a power cut) is marked FAILED (MLflow's meaning: it did not finish), here and
 * on the server that mirrors it, with a tag saying why. Runs of live processes and of other hosts
 * are left alone.
 */
public final class RunJanitor {
  public static final String HOST = "cxr.owner_host";
  public static final String PID = "cxr.owner_pid";
  public static final String STARTED = "cxr.owner_started";
  public static final String RECOVERED = "cxr.recovered";

  /**
   * Set on a run left RUNNING on purpose when its process ends (a fanned-out search's parent, which
   * a later {@code cxr optimize --select} ends): the janitor leaves it alone.
   */
  public static final String DETACHED = "cxr.detached";

  private RunJanitor() {}

  /**
   * The pid of a run's owner when it is gone from this host; -1 when alive, elsewhere, detached.
   */
  private static long deadOwner(Map<String, String> tags) {
    if (tags.containsKey(DETACHED)) {
      return -1;
    }
    long pid;
    try {
      pid = Long.parseLong(tags.getOrDefault(PID, "-1"));
    } catch (NumberFormatException e) {
      return -1;
    }
    return pid >= 0 && Owner.gone(tags.get(HOST), pid, tags.get(STARTED)) ? pid : -1;
  }

  /** The owner tags of a run started by this process. */
  public static Map<String, String> ownerTags() {
    Map<String, String> t = new LinkedHashMap<>();
    t.put(HOST, Owner.host());
    t.put(PID, Long.toString(Owner.pid()));
    t.put(STARTED, Owner.started());
    return t;
  }

  /**
   * Marks FAILED every RUNNING run of {@code local} whose owner is gone.
   *
   * @param remote the server the runs are mirrored to, or null
   * @return the ids of the runs ended
   */
  public static List<String> recover(FileStore local, MlflowRemote remote, Reporter reporter) {
    List<String> ended = new ArrayList<>();
    for (String[] r : local.runningRuns()) {
      FileStore.StoredRun run = local.read(r[0], r[1]);
      Map<String, String> tags = run.tags();
      long pid = deadOwner(tags);
      if (pid < 0) {
        continue;
      }
      long end = System.currentTimeMillis();
      String why =
          "owner process "
              + pid
              + " on "
              + tags.get(HOST)
              + " ended without finishing the run; marked FAILED by process "
              + Owner.pid()
              + " at "
              + Instant.ofEpochMilli(end);
      local.setTag(r[0], r[1], RECOVERED, why);
      local.writeRunMeta(r[0], r[1], run.runName(), RunStatus.FAILED, run.startTime(), end);
      String remoteId = tags.get("cxr.remote_run_id");
      if (remote != null
          && remoteId != null
          && remote.display().equals(tags.get("cxr.remote_uri"))) {
        try {
          remote.logBatch(
              remoteId,
              List.of(),
              List.of(),
              List.of(Service.RunTag.newBuilder().setKey(RECOVERED).setValue(why).build()));
          remote.client().setTerminated(remoteId, Service.RunStatus.FAILED, end);
        } catch (RuntimeException e) {
          reporter.warn(
              "run "
                  + r[1]
                  + " marked FAILED here but not on "
                  + remote.display()
                  + " ("
                  + MlflowRemote.firstLine(e.getMessage())
                  + ")");
        }
      }
      reporter.warn(
          "run "
              + r[1]
              + " ("
              + run.runName()
              + ") was left RUNNING by process "
              + pid
              + ", which is gone: marked FAILED");
      ended.add(r[1]);
    }
    return ended;
  }
}
