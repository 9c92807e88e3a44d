package io.gitops.lambdas.guard;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * Decides whether a task state change counts as a failure of the revision being judged. A pure function
 * over one ordered table: the first matching rule wins. Relevance rules come first (other clusters,
 * RunTask one-offs, tasks not stopped, other revisions), then failure causes from the most specific
 * (out of memory, which also reports an essential container exit) to the least, then the stops that are
 * not failures. A stop that no rule recognises is not counted (and is logged as UNCLASSIFIED).
 */
public final class StopClassifier {
  /** What a task state change was. */
  public enum Kind {
    // not about a judged task
    OTHER_CLUSTER(false),
    NOT_A_SERVICE_TASK(false),
    NOT_STOPPED(false),
    OTHER_REVISION(false),
    // failures
    CANNOT_PULL_IMAGE(true),
    RESOURCE_INITIALIZATION(true),
    FAILED_TO_START(true),
    OUT_OF_MEMORY(true),
    ELB_HEALTH_CHECK(true),
    CONTAINER_HEALTH_CHECK(true),
    ESSENTIAL_CONTAINER_EXITED(true),
    // stops that are not failures
    CLEAN_EXIT(false),
    SPOT_INTERRUPTION(false),
    TERMINATION_NOTICE(false),
    USER_STOP(false),
    SCHEDULER_SCALE_IN_OR_REPLACEMENT(false),
    UNCLASSIFIED(false);

    public final boolean failure;

    Kind(boolean failure) {
      this.failure = failure;
    }
  }

  /**
   * What the classifier needs to know besides the event.
   *
   * @param clusterName this environment's cluster (name; ARNs are compared by their last segment)
   * @param judgedRevisions the task definition ARNs whose stops count (the rolling-out revision, or the
   *     restored one after a rollback)
   */
  public record Scope(String clusterName, Set<String> judgedRevisions) {}

  /** The result: the kind, and a one-line human reason (for the ledger and the notification). */
  public record Verdict(Kind kind, String reason) {
    public boolean failure() {
      return kind.failure;
    }

    /** The reason without its leading kind (for outcomes, whose code already names the kind). */
    public String detail() {
      return reason.substring(kind.name().length() + 2);
    }
  }

  private record Rule(Kind kind, BiPredicate<TaskStateChange, Scope> matches) {}

  private static final List<Rule> RULES = List.of(
      new Rule(Kind.OTHER_CLUSTER, (e, s) -> !e.clusterName().equals(s.clusterName())),
      new Rule(Kind.NOT_A_SERVICE_TASK, (e, s) -> e.service().isEmpty()),
      new Rule(Kind.NOT_STOPPED, (e, s) -> !e.stopped()),
      new Rule(Kind.OTHER_REVISION, (e, s) -> !s.judgedRevisions().contains(e.taskDefinitionArn())),
      new Rule(Kind.CANNOT_PULL_IMAGE, (e, s) -> mentions(e, "CannotPullContainerError")),
      new Rule(Kind.RESOURCE_INITIALIZATION, (e, s) -> mentions(e, "ResourceInitializationError")),
      new Rule(Kind.FAILED_TO_START, (e, s) -> code(e, "TaskFailedToStart")
          || mentions(e, "CannotStartContainerError") || mentions(e, "CannotCreateContainerError")),
      new Rule(Kind.OUT_OF_MEMORY, (e, s) -> mentions(e, "OutOfMemoryError")
          || mentions(e, "killed due to memory usage")),
      new Rule(Kind.ELB_HEALTH_CHECK, (e, s) -> mentions(e, "failed ELB health checks")
          || mentions(e, "failed load balancer health checks")),
      new Rule(Kind.CONTAINER_HEALTH_CHECK, (e, s) -> mentions(e, "failed container health checks")
          || e.containers().stream().anyMatch(c -> c.healthStatus().filter("UNHEALTHY"::equals).isPresent())),
      new Rule(Kind.ESSENTIAL_CONTAINER_EXITED, (e, s) -> essentialExit(e) && nonZeroExit(e)),
      new Rule(Kind.CLEAN_EXIT, (e, s) -> essentialExit(e)),
      new Rule(Kind.SPOT_INTERRUPTION, (e, s) -> code(e, "SpotInterruption")),
      new Rule(Kind.TERMINATION_NOTICE, (e, s) -> code(e, "TerminationNotice")),
      new Rule(Kind.USER_STOP, (e, s) -> code(e, "UserInitiated")),
      new Rule(Kind.SCHEDULER_SCALE_IN_OR_REPLACEMENT, (e, s) -> code(e, "ServiceSchedulerInitiated")
          || reason(e).startsWith("Scaling activity initiated by")),
      new Rule(Kind.UNCLASSIFIED, (e, s) -> true));

  private StopClassifier() {}

  public static Verdict classify(TaskStateChange e, Scope scope) {
    for (Rule r : RULES) {
      if (r.matches().test(e, scope)) return new Verdict(r.kind(), describe(r.kind(), e));
    }
    throw new IllegalStateException("unreachable: the last rule matches everything");
  }

  /** The rule order, for documentation and tests. */
  public static List<Kind> ruleOrder() {
    return RULES.stream().map(Rule::kind).toList();
  }

  private static String describe(Kind kind, TaskStateChange e) {
    StringBuilder b = new StringBuilder(kind.name()).append(": task ").append(shortId(e.taskArn()));
    e.stopCode().ifPresent(c -> b.append(" stopCode=").append(c));
    e.stoppedReason().ifPresent(r -> b.append(" \"").append(clip(r)).append('"'));
    e.containers().stream().filter(c -> c.exitCode().isPresent() && c.exitCode().get() != 0).findFirst()
        .ifPresent(c -> b.append(" container ").append(c.name()).append(" exit ").append(c.exitCode().get())
            .append(c.reason().map(r -> " (" + clip(r) + ")").orElse("")));
    return b.toString();
  }

  private static boolean code(TaskStateChange e, String code) {
    return e.stopCode().filter(code::equals).isPresent();
  }

  private static String reason(TaskStateChange e) {
    return e.stoppedReason().orElse("");
  }

  /** The stop reason or any container reason mentions the text (case-insensitive). */
  private static boolean mentions(TaskStateChange e, String text) {
    String t = text.toLowerCase(Locale.ROOT);
    if (reason(e).toLowerCase(Locale.ROOT).contains(t)) return true;
    return e.containers().stream().anyMatch(c -> c.reason().orElse("").toLowerCase(Locale.ROOT).contains(t));
  }

  private static boolean essentialExit(TaskStateChange e) {
    return code(e, "EssentialContainerExited") || reason(e).startsWith("Essential container in task exited");
  }

  private static boolean nonZeroExit(TaskStateChange e) {
    return e.containers().stream().anyMatch(c -> c.exitCode().filter(x -> x != 0).isPresent());
  }

  private static String shortId(String taskArn) {
    return taskArn.substring(taskArn.lastIndexOf('/') + 1);
  }

  private static String clip(String s) {
    String one = s.replaceAll("[\\r\\n\\t]", " ");
    return one.length() > 120 ? one.substring(0, 117) + "..." : one;
  }
}
