package io.gitops.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The estimator's arithmetic on a small hand-written template with round test prices (100 h/month). */
class CostEstimatorTest {
  static Estimate estimate;
  static Map<String, Double> byId;

  @BeforeAll
  static void estimate() throws Exception {
    var json = new ObjectMapper().readTree(Path.of("src/test/resources/cost/small-stack.template.json").toFile());
    var prices = PriceTable.load(Path.of("src/test/resources/cost/prices.json"));
    estimate = new CostEstimator(prices).estimate("dev", List.of(new CostEstimator.Template("Small", json)));
    byId = estimate.lines().stream()
        .collect(Collectors.toMap(CostLine::logicalId, CostLine::monthlyUsd, Double::sum));
  }

  @Test
  void natGatewayIsHourlyPlusAssumedDataProcessed() {
    assertThat(byId).containsEntry("Nat1", 100.0).containsEntry("NatDataProcessed", 10.0);
  }

  @Test
  void interfaceEndpointsArePricedPerAzAndGatewayEndpointsAreFree() {
    assertThat(byId).containsEntry("EcrApi", 200.0).doesNotContainKey("S3");
    assertThat(estimate.lines()).filteredOn(l -> l.logicalId().equals("EcrApi"))
        .singleElement().extracting(CostLine::basis).asString().contains("ecr.api in 2 AZ");
  }

  @Test
  void applicationLoadBalancerOnlyAndNetworkIsReportedUnpriced() {
    assertThat(byId).containsEntry("Alb", 200.0); // (1 + 1 LCU x 1) x 100 h
    assertThat(estimate.unpricedTypes()).containsKey("AWS::ElasticLoadBalancingV2::LoadBalancer (network)");
  }

  @Test
  void fargateSplitsTasksAboveTheBaseByWeight() {
    // 4 tasks: base 1 on demand, then 3 split 7:3 -> 0.9 Spot; 0.5 vCPU + 1 GB arm = $1.5/task-hour.
    assertThat(CostEstimator.spotTasks(
        new ObjectMapper().valueToTree(List.of(
            Map.of("CapacityProvider", "FARGATE", "Base", 1, "Weight", 7),
            Map.of("CapacityProvider", "FARGATE_SPOT", "Weight", 3))), 4)).isCloseTo(0.9, within(1e-9));
    assertThat(byId.get("Svc")).isCloseTo(100 * 1.5 * (3.1 + 0.9 * 0.5), within(1e-9));
  }

  @Test
  void auroraServerlessAtMinimumCapacityWithStorageAndManagedSecret() {
    assertThat(byId).containsEntry("DbWriter", 50.0).containsEntry("Db", 10.0)
        .containsEntry("Db/MasterUserSecret", 1.0);
  }

  @Test
  void openSearchInstancesAndStoragePerNode() {
    assertThat(byId).containsEntry("Search", 200.0).containsEntry("Search/Storage", 20.0);
  }

  @Test
  void flatMonthlyItems() {
    assertThat(byId).containsEntry("Key", 1.0).containsEntry("Alarm", 1.0).containsEntry("Dash", 1.0)
        .containsEntry("Secret", 1.0);
    assertThat(byId.get("Logs")).isCloseTo(2.0, within(1e-9)); // 1 GB ingested + 1 GB x 1 month kept
  }

  @Test
  void usageBasedItemsStateTheirAssumptions() {
    assertThat(byId).containsEntry("Ledger", 20.0); // 10 deployments x (1 write + 1 read) at $1 each
    assertThat(byId).containsEntry("Deployer", 10.0); // 10 invocations x 1 s x 1 GB
    assertThat(byId).containsEntry("Helper", 0.0);
    assertThat(estimate.lines()).filteredOn(l -> l.logicalId().equals("Deployer"))
        .singleElement().extracting(CostLine::basis).asString().contains("assumed 10 invocations");
  }

  @Test
  void unknownTypesAreCountedNotIgnored() {
    assertThat(estimate.unpricedTypes()).containsEntry("AWS::Kinesis::Stream", 1);
  }

  @Test
  void theCommittedPriceTableHasEveryPriceTheEstimatorUses() throws Exception {
    var json = new ObjectMapper().readTree(Path.of("src/test/resources/cost/small-stack.template.json").toFile());
    var committed = PriceTable.load(SynthesizedAppPaths.PRICES);
    for (String env : List.of("dev", "test", "prod")) {
      Estimate e = new CostEstimator(committed).estimate(env, List.of(new CostEstimator.Template("Small", json)));
      assertThat(e.total()).isPositive();
    }
  }
}
