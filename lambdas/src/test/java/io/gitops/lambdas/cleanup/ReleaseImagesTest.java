package io.gitops.lambdas.cleanup;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.contract.EnvVar;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Ledger;
import io.gitops.lambdas.deployer.ImageDeployerHandler;
import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.testing.Events;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.ecr.model.ImageTagMutability;

/**
 * The release tags on moto over HTTP, in an IMMUTABLE repository as the stacks create it: bff has four pushed
 * images (tags 1.0.1..1.0.4), 1..3 HEALTHY, 4 ROLLING_OUT and the release; with the last 2 HEALTHY kept, the cleanup
 * keeps {@code released-test-<hex>} on 2, 3 and 4. The lifecycle rule that never expires those tags is checked
 * against ECR's documented evaluation in the stacks module (LifecyclePolicyEvaluationTest).
 */
@ExtendWith(MotoExtension.class)
class ReleaseImagesTest {
  private static final Instant T0 = Instant.parse("2026-11-16T01:54:34Z");
  private AwsFixture fx;
  private final List<String> digests = new ArrayList<>();
  private final PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());

  @BeforeEach
  void provision(MotoServer moto) {
    fx = AwsFixture.builder(moto.endpoint()).service("bff").provision();
    fx.ecr().putImageTagMutability(b -> b.repositoryName("bff").imageTagMutability(ImageTagMutability.IMMUTABLE));
    var deployer = new ImageDeployerHandler(fx.config(), AwsFixture.functionClients(fx.endpoint(), AwsFixture.FAST_SDK),
        quiet, Clock.systemUTC());
    Ledger ledger = deployer.deployer().ledger();
    for (int i = 1; i <= 4; i++) {
      String digest = push("1.0." + i);
      digests.add(digest);
      deployer.handle(Events.bytes(Events.ecrPush("bff", digest, "1.0." + i, T0.plusSeconds(60L * i))));
      if (i < 4) {
        ledger.transition("bff", digest, DeploymentStatus.ROLLING_OUT, DeploymentStatus.HEALTHY, "checks passed",
            ledger.find("bff", digest).orElseThrow().newTaskDefinitionArn());
      }
    }
  }

  /**
   * An image with its own manifest and layer, pushed with {@code tag}; answers its digest (moto derives a digest from
   * the layers' digests, ECR from the manifest: either way distinct per image).
   */
  private String push(String tag) {
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
        + "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":1,"
        + "\"digest\":\"" + Events.digest("config-" + tag) + "\"},\"layers\":[{\"mediaType\":"
        + "\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":1,\"digest\":\""
        + Events.digest("layer-" + tag) + "\"}]}";
    return fx.ecr().putImage(b -> b.repositoryName("bff").imageManifest(manifest).imageTag(tag)).image().imageId()
        .imageDigest();
  }

  private RevisionCleanup.Report run(boolean dryRun) {
    return new RevisionCleanupHandler(fx.config(), Map.of(EnvVar.CLEANUP_DRY_RUN, "false",
        EnvVar.CLEANUP_KEEP_HEALTHY, "2"), fx.clients(), fx.ecr(), quiet, Clock.systemUTC())
        .handle(("{\"dryRun\":" + dryRun + "}").getBytes(StandardCharsets.UTF_8));
  }

  private List<String> tags(String digest) {
    return fx.ecr().describeImages(b -> b.repositoryName("bff").imageIds(i -> i.imageDigest(digest)))
        .imageDetails().get(0).imageTags();
  }

  private static String released(String digest) {
    return "released-test-" + digest.substring("sha256:".length());
  }

  @Test
  void theReleaseTheRolloutAndTheLastHealthyCarryTheReleaseTag() {
    run(false);

    assertThat(tags(digests.get(0))).containsExactly("1.0.1");
    for (int i = 1; i < 4; i++) {
      assertThat(tags(digests.get(i))).containsExactlyInAnyOrder("1.0." + (i + 1), released(digests.get(i)));
    }
  }

  @Test
  void aDryRunReportsTheTagsAndAddsNone() {
    RevisionCleanup.Report r = run(true);

    assertThat(r.services().get(0).images().tagged()).hasSize(3);
    assertThat(tags(digests.get(3))).containsExactly("1.0.4");
  }

  @Test
  void aDigestNoLongerKeptLosesItsReleaseTagButKeepsItsPushTagAndAnotherRunChangesNothing() {
    run(false);
    var ledger = new Ledger(fx.clients().dynamo(), fx.ledgerTable(), Clock.systemUTC(), fx.config().lockLease());
    // A fifth HEALTHY release pushes 2 out of the last two HEALTHY (3 and 5) and 4 is now superseded.
    String fifth = push("1.0.5");
    new ImageDeployerHandler(fx.config(), fx.clients(), quiet, Clock.systemUTC())
        .handle(Events.bytes(Events.ecrPush("bff", fifth, "1.0.5", T0.plusSeconds(600))));
    ledger.transition("bff", fifth, DeploymentStatus.ROLLING_OUT, DeploymentStatus.HEALTHY, "checks passed",
        ledger.find("bff", fifth).orElseThrow().newTaskDefinitionArn());

    RevisionCleanup.Report second = run(false);
    RevisionCleanup.Report third = run(false);

    assertThat(tags(digests.get(1))).containsExactly("1.0.2");
    assertThat(tags(fifth)).containsExactlyInAnyOrder("1.0.5", released(fifth));
    assertThat(second.services().get(0).images().untagged()).contains(released(digests.get(1)));
    assertThat(third.services().get(0).images().tagged()).isEmpty();
    assertThat(third.services().get(0).images().untagged()).isEmpty();
  }

  @Test
  void aReleaseTagThatIsAnImagesOnlyTagStaysBecauseRemovingItWouldDeleteTheImage() {
    String digest = push("released-test-0000");

    RevisionCleanup.Report r = run(false);

    assertThat(tags(digest)).containsExactly("released-test-0000");
    assertThat(r.services().get(0).images().leftInPlace()).containsExactly("released-test-0000");
  }

  @Test
  void aReleaseFromAnotherRegistryIsLeftToItsPromotedTag() {
    fx.clients().ssm().putParameter(b -> b.name(fx.target("bff").releaseParameter()).overwrite(true)
        .value("111111111111.dkr.ecr.us-east-1.amazonaws.com/bff@" + digests.get(3)));

    RevisionCleanup.Report r = run(false);

    assertThat(r.services().get(0).images().skipped()).contains("promoted-");
    assertThat(tags(digests.get(3))).containsExactly("1.0.4");
  }
}
