package io.gitops.stacks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Template;

/**
 * Pins the logical IDs of the stateful resources. A changed logical ID makes CloudFormation create a
 * new resource and delete the old one: a new VPC, an empty bucket, a new database, or (for a release
 * parameter) a deleted live release. If this test fails, do not update the list until you have
 * checked that the change is intended and planned the data migration.
 *
 * <p>The Aurora secret's ID carries a hash of its construct path, which includes the scope the
 * environment is built in (here a bare App; in the pipeline, the GitOpsPipeline/&lt;stage&gt;
 * stage), so renaming the pipeline stack or a stage changes it too.
 */
class LogicalIdsTest {

  private static final Set<String> STATEFUL = Set.of(
      "AWS::EC2::VPC", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Cognito::UserPool",
      "AWS::SecretsManager::Secret", "AWS::ECR::Repository", "AWS::RDS::DBCluster",
      "AWS::RDS::DBInstance", "AWS::OpenSearchService::Domain", "Custom::ReleaseParameter",
      "AWS::ElasticLoadBalancingV2::LoadBalancer");

  private static final Map<String, Set<String>> PINNED = Map.of(
      "Network", Set.of("Vpc8378EB38", "NetworkLogsBucketC6486755", "Alb16C2F182"),
      "Security", Set.of("DataKey17AFBB84", "UserPool6BA7E5F2", "ApplicationSecret25AD4F13"),
      "Storage", Set.of("bffRepositoryE51DB751", "graphqlRepositoryB0722059", "agentcoreRepository9AA38078",
          "AccessLogsBucket83982689", "DocumentsBucket9EC9DEB9",
          "bffRelease6DD5449D", "graphqlRelease2124B427", "agentcoreReleaseA2DE6FAB"),
      "Database", Set.of("Aurora2CBAB212", "AurorawriterDC5BC759", "DatabaseAuroraSecret9D5469713fdaad7efa858a3daf9490cf0a702aeb",
          "Search14E54FC3"));

  private static final Map<String, Set<String>> PINNED_PROD_EXTRA = Map.of(
      "Database", Set.of("Aurorareader1C7647A85"));

  private static PlatformStacks devStacks;
  private static PlatformStacks prodStacks;
  private static Map<String, Set<String>> dev;
  private static Map<String, Set<String>> prod;

  @BeforeAll
  static void synth() {
    devStacks = TestEnvironments.dev();
    prodStacks = TestEnvironments.prod();
    dev = statefulIds(devStacks);
    prod = statefulIds(prodStacks);
  }

  @Test
  void devStatefulLogicalIdsAreUnchanged() {
    assertThat(dev).isEqualTo(new TreeMap<>(PINNED));
  }

  @Test
  void prodStatefulLogicalIdsAreUnchanged() {
    Map<String, Set<String>> expected = new TreeMap<>();
    PINNED.forEach((stack, ids) -> {
      Set<String> all = new TreeSet<>(ids);
      all.addAll(PINNED_PROD_EXTRA.getOrDefault(stack, Set.of()));
      expected.put(stack, all);
    });
    assertThat(prod).isEqualTo(expected);
  }

  /**
   * The deployment ledger: a new logical ID would replace the table and lose every claim and outcome, so
   * a redelivered push would be deployed again. Every stage has the same one.
   */
  @Test
  void theLedgerTablesLogicalIdIsUnchanged() {
    for (PlatformStacks env : List.of(devStacks, prodStacks)) {
      Set<String> tables = new TreeSet<>();
      TestEnvironments.resources(Template.fromStack(env.deployment())).forEach((id, resource) -> {
        if (((String) resource.get("Type")).startsWith("AWS::DynamoDB::")) {
          tables.add(id);
        }
      });
      assertThat(tables).as(env.config().name()).containsExactly("LedgerB7379752");
    }
  }

  private static Map<String, Set<String>> statefulIds(PlatformStacks env) {
    Map<String, Set<String>> ids = new TreeMap<>();
    for (Stack stack : TestEnvironments.stacks(env)) {
      Set<String> stateful = new TreeSet<>();
      TestEnvironments.resources(Template.fromStack(stack)).forEach((id, resource) -> {
        if (STATEFUL.contains((String) resource.get("Type"))) {
          stateful.add(id);
        }
      });
      ids.put(stack.getNode().getId(), stateful);
    }
    return ids;
  }
}
