package io.cxr.core.tracking;

/** MLflow's run states; the numbers are the file store's {@code status} codes. */
public enum RunStatus {
  RUNNING(1),
  SCHEDULED(2),
  FINISHED(3),
  FAILED(4),
  KILLED(5);

  private final int code;

  RunStatus(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  public static RunStatus ofCode(int code) {
    for (RunStatus s : values()) {
      if (s.code == code) {
        return s;
      }
    }
    return FAILED;
  }

  public boolean terminal() {
    return this == FINISHED || this == FAILED || this == KILLED;
  }
}
