package io.gitops.lambdas.cleanup;

import io.gitops.lambdas.core.Deployment;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.core.Ledger;
import io.gitops.lambdas.core.Log;
import io.gitops.lambdas.core.Metrics;
import io.gitops.lambdas.core.ReleaseParameters;
import io.gitops.lambdas.core.ServiceHead;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.lambdas.core.TaskDefinitions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.ecs.model.ClientException;
import software.amazon.awssdk.services.ecs.model.ListTaskDefinitionsResponse;
import software.amazon.awssdk.services.ecs.model.TaskDefinitionStatus;

/**
 * Deregisters, and on a later run deletes, the task definition revisions of the services' families that nothing
 * needs (docs/ledger.md, "Revision cleanup"). A revision is kept when any of these names it:
 *
 * <ul>
 *   <li>the service: its task definition and every deployment ECS lists for it (PRIMARY, and ACTIVE ones still
 *       draining), which are the revisions its tasks run (standalone RunTask tasks are not looked at: nothing here
 *       runs any, and ListTasks would need a grant on the cluster's container instances);
 *   <li>the release parameter: the ledger's revision of the digest it names;
 *   <li>the last {@code keepHealthy} HEALTHY deployments in the ledger, the head's current and last healthy
 *       revisions, and every deployment still ROLLING_OUT (its new and previous revisions);
 *   <li>it is newer than what the service runs (a rollout between RegisterTaskDefinition and UpdateService).
 * </ul>
 *
 * A service whose rollout holds the ledger lock is left alone this run. Deregistration waits for the next run to
 * become a deletion, so a revision is never deleted in the run that decided it was unneeded. Idempotent: a
 * second run finds nothing new to do. Every list is read page by page ({@code nextToken}).
 */
public final class RevisionCleanup {
  /** DeleteTaskDefinitions takes at most 10 revisions per call (ECS API reference). */
  static final int DELETE_BATCH = 10;

  /** What one run did (or, dry, would do) for one service. */
  public record ServiceReport(String service, String family, int active, List<String> kept,
      List<String> deregistered, List<String> deleted, String skipped, ReleaseImages.Result images) {
    ServiceReport(String service, String family, int active, List<String> kept, List<String> deregistered,
        List<String> deleted, String skipped) {
      this(service, family, active, kept, deregistered, deleted, skipped, null);
    }

    Json.Obj toJson() {
      Json.Obj o = Json.obj().put("service", service).put("family", family).put("active", active)
          .put("kept", kept.size()).put("deregistered", deregistered).put("deleted", deleted).put("skipped", skipped);
      if (images != null) {
        o.put("releaseTags", Json.obj().put("tagged", images.tagged()).put("untagged", images.untagged())
            .put("leftInPlace", images.leftInPlace()).put("skipped", images.skipped()));
      }
      return o;
    }
  }

  /** The run's report: per service, and whether anything was changed. */
  public record Report(boolean dryRun, List<ServiceReport> services) {
    public int deregistered() {
      return services.stream().mapToInt(s -> s.deregistered().size()).sum();
    }

    public int deleted() {
      return services.stream().mapToInt(s -> s.deleted().size()).sum();
    }

    public Json.Obj toJson() {
      List<Object> list = new ArrayList<>();
      services.forEach(s -> list.add(s.toJson()));
      return Json.obj().put("dryRun", dryRun).put("deregistered", deregistered()).put("deleted", deleted())
          .put("services", list);
    }
  }

  private final EcsClient ecs;
  private final Ledger ledger;
  private final ReleaseParameters releases;
  private final Log log;
  private final Metrics metrics;
  private final int keepHealthy;
  private final ReleaseImages images;

  public RevisionCleanup(EcsClient ecs, Ledger ledger, ReleaseParameters releases, Log log, Metrics metrics,
      int keepHealthy) {
    this(ecs, ledger, releases, log, metrics, keepHealthy, null);
  }

  /** With {@code images}, each run also moves the release tags of the services' own repositories. */
  RevisionCleanup(EcsClient ecs, Ledger ledger, ReleaseParameters releases, Log log, Metrics metrics,
      int keepHealthy, ReleaseImages images) {
    this.images = images;
    this.ecs = ecs;
    this.ledger = ledger;
    this.releases = releases;
    this.log = log;
    this.metrics = metrics;
    this.keepHealthy = keepHealthy;
  }

  public Report run(List<ServiceTarget> services, boolean dryRun) {
    List<ServiceReport> out = new ArrayList<>();
    for (ServiceTarget t : services) {
      ServiceReport r = clean(t, dryRun);
      log.with("service", t.service()).info(dryRun ? "cleanup (dry run)" : "cleanup", "family", r.family(),
          "active", r.active(), "kept", r.kept().size(), "deregistered", r.deregistered(), "deleted", r.deleted(),
          "skipped", r.skipped());
      out.add(r);
    }
    Report report = new Report(dryRun, out);
    if (!dryRun) {
      metrics.emit("RevisionsDeregistered", report.deregistered(), "Count", false, Map.of());
      metrics.emit("RevisionsDeleted", report.deleted(), "Count", false, Map.of());
    }
    return report;
  }

  private ServiceReport clean(ServiceTarget t, boolean dryRun) {
    var found = ecs.describeServices(b -> b.cluster(t.cluster()).services(t.service())).services().stream()
        .filter(s -> "ACTIVE".equals(s.status())).findFirst();
    if (found.isEmpty()) {
      return new ServiceReport(t.service(), null, 0, List.of(), List.of(), List.of(), "service not ACTIVE");
    }
    var service = found.get();
    String family = familyOf(service.taskDefinition());
    Optional<ServiceHead> head = ledger.head(t.service());
    if (head.isPresent() && head.get().lockedAt(java.time.Instant.now())) {
      return new ServiceReport(t.service(), family, 0, List.of(), List.of(), List.of(),
          "a rollout holds the ledger lock; next run");
    }
    Set<String> keep = new LinkedHashSet<>();
    keep.add(service.taskDefinition());
    service.deployments().forEach(d -> keep.add(d.taskDefinition()));
    head.ifPresent(h -> {
      addIf(keep, h.currentTaskDefinitionArn());
      addIf(keep, h.lastHealthyTaskDefinitionArn());
    });
    List<Deployment> history = new ArrayList<>(ledger.history(t.service()));
    Optional<String> releaseImage = releases.get(t.releaseParameter());
    Optional<String> releaseDigest = releaseImage.flatMap(ReleaseParameters::digestOf);
    history.stream().filter(d -> releaseDigest.filter(d.digest()::equals).isPresent())
        .forEach(d -> addIf(keep, d.newTaskDefinitionArn()));
    history.stream().filter(d -> d.status() == DeploymentStatus.ROLLING_OUT).forEach(d -> {
      addIf(keep, d.newTaskDefinitionArn());
      addIf(keep, d.previousTaskDefinitionArn());
    });
    history.stream().filter(d -> d.status() == DeploymentStatus.HEALTHY)
        .sorted(Comparator.comparing(Deployment::pushTime).reversed()).limit(keepHealthy)
        .forEach(d -> addIf(keep, d.newTaskDefinitionArn()));
    int running = TaskDefinitions.revisionOf(service.taskDefinition());
    ReleaseImages.Result tags = images == null ? null
        : images.protect(t, releaseImage.orElse(null), keptDigests(releaseDigest, history), dryRun);

    List<String> active = revisions(family, TaskDefinitionStatus.ACTIVE);
    List<String> deregister = new ArrayList<>();
    for (String arn : active) {
      if (!keep.contains(arn) && TaskDefinitions.revisionOf(arn) < running) deregister.add(arn);
    }
    // Only what an earlier run deregistered: INACTIVE before this run started.
    List<String> delete = new ArrayList<>();
    for (String arn : revisions(family, TaskDefinitionStatus.INACTIVE)) {
      if (!keep.contains(arn)) delete.add(arn);
    }
    List<String> deregistered = new ArrayList<>();
    List<String> deleted = new ArrayList<>();
    if (dryRun) {
      deregistered.addAll(deregister);
      deleted.addAll(delete);
    } else {
      for (String arn : deregister) {
        try {
          ecs.deregisterTaskDefinition(b -> b.taskDefinition(arn));
          deregistered.add(arn);
        } catch (ClientException gone) {
          // Deregistered (or deleted) by someone else since the list: nothing to do.
          log.with("service", t.service()).warn("revision already gone", "revision", arn, "error", gone.getMessage());
        }
      }
      for (int i = 0; i < delete.size(); i += DELETE_BATCH) {
        List<String> batch = delete.subList(i, Math.min(delete.size(), i + DELETE_BATCH));
        var r = ecs.deleteTaskDefinitions(b -> b.taskDefinitions(batch));
        r.taskDefinitions().forEach(d -> deleted.add(d.taskDefinitionArn()));
        r.failures().forEach(f -> log.with("service", t.service()).warn("revision not deleted", "revision", f.arn(),
            "reason", f.reason()));
      }
    }
    return new ServiceReport(t.service(), family, active.size(), List.copyOf(keep), deregistered, deleted, null,
        tags);
  }

  /**
   * The digests whose images must outlive the lifecycle rules: the release, every rollout in flight (about to be
   * the release), and the last {@code keepHealthy} HEALTHY ones (what the guard and {@code release rollback} return
   * to).
   */
  private Set<String> keptDigests(Optional<String> releaseDigest, List<Deployment> history) {
    Set<String> digests = new LinkedHashSet<>();
    releaseDigest.ifPresent(digests::add);
    history.stream().filter(d -> d.status() == DeploymentStatus.ROLLING_OUT).forEach(d -> digests.add(d.digest()));
    history.stream().filter(d -> d.status() == DeploymentStatus.HEALTHY)
        .sorted(Comparator.comparing(Deployment::pushTime).reversed()).limit(keepHealthy)
        .forEach(d -> digests.add(d.digest()));
    return digests;
  }

  /** Every revision of exactly {@code family} in {@code status}, oldest first, page by page. */
  List<String> revisions(String family, TaskDefinitionStatus status) {
    List<String> out = new ArrayList<>();
    String token = null;
    do {
      String from = token;
      ListTaskDefinitionsResponse page = ecs.listTaskDefinitions(b -> b.familyPrefix(family).status(status)
          .nextToken(from));
      for (String arn : page.taskDefinitionArns()) {
        // familyPrefix is a prefix: "bff" also lists "bff-worker".
        if (family.equals(familyOf(arn))) out.add(arn);
      }
      token = page.nextToken();
    } while (token != null && !token.isEmpty());
    out.sort(Comparator.comparingInt(TaskDefinitions::revisionOf));
    return out;
  }

  static String familyOf(String arn) {
    String name = arn.substring(arn.lastIndexOf('/') + 1);
    int colon = name.lastIndexOf(':');
    return colon < 0 ? name : name.substring(0, colon);
  }

  private static void addIf(Set<String> keep, String arn) {
    if (arn != null && !arn.isEmpty()) keep.add(arn);
  }
}
