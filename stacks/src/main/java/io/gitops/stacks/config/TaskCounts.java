package io.gitops.stacks.config;

/**
 * Task counts of one service: the service's desired count, and the bounds auto scaling keeps it in.
 * The plan sizes every service between 2 and 10 tasks, so that each AZ always runs one.
 */
public record TaskCounts(int min, int desired, int max) {

  public static final int FLOOR = 2;
  public static final int CEILING = 10;

  public TaskCounts {
    if (min < FLOOR || max > CEILING || min > desired || desired > max) {
      throw new IllegalArgumentException(String.format(
          "task counts must satisfy %d <= min <= desired <= max <= %d, got min=%d desired=%d max=%d",
          FLOOR, CEILING, min, desired, max));
    }
  }

  public static TaskCounts of(int min, int desired, int max) {
    return new TaskCounts(min, desired, max);
  }
}
