package io.gitops.stacks.compute;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.stacks.PlatformStacks;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import software.amazon.awscdk.assertions.Template;

/**
 * The compute stack's outputs against the contracts in docs/contracts/*.yaml: every environment
 * exposes exactly the outputs the contracts list, with the export names they prescribe, and besides
 * them only the {@code ExportsOutput*} outputs CDK generates for strong references to later stacks of
 * the same stage (the contracts say so).
 */
class ComputeContractTest {

  static final List<String> CONTRACTS = List.of("ecs-cluster", "ecs-services", "task-definitions",
      "security-groups", "service-discovery", "cloudwatch-logs", "load-balancer");

  static Map<String, Map<String, Object>> contracts = new TreeMap<>();
  static Map<String, Map<String, Map<String, Object>>> outputsByEnv = new TreeMap<>();
  static Map<String, Map<String, Map<String, Object>>> generatedByEnv = new TreeMap<>();
  static Map<String, String> stackNames = new TreeMap<>();

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void load() throws IOException {
    Path dir = contractsDir();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        try (Reader reader = Files.newBufferedReader(file)) {
          contracts.put(file.getFileName().toString().replace(".yaml", ""), (Map<String, Object>) new Yaml().load(reader));
        }
      }
    }
    for (PlatformStacks env : List.of(ComputeFixture.dev(), ComputeFixture.test(), ComputeFixture.prod())) {
      Map<String, Map<String, Object>> outputs = new TreeMap<>();
      Map<String, Map<String, Object>> generated = new TreeMap<>();
      // CDK's own ExportsOutput* outputs carry the typed references to later stacks of the same
      // stage (monitoring); the contracts name them as outside the published contract.
      Template.fromStack(env.compute()).findOutputs("*").forEach((k, v) ->
          (k.startsWith("ExportsOutput") ? generated : outputs).put(k, (Map<String, Object>) v));
      outputsByEnv.put(env.config().name(), outputs);
      generatedByEnv.put(env.config().name(), generated);
      stackNames.put(env.config().name(), env.compute().getStackName());
    }
  }

  static Path contractsDir() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("docs/contracts"))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("docs/contracts above " + Path.of("").toAbsolutePath()).isNotNull();
    return dir.resolve("docs/contracts");
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> contractOutputs() {
    List<Map<String, Object>> all = new ArrayList<>();
    contracts.values().forEach(c -> all.addAll((List<Map<String, Object>>) c.get("outputs")));
    return all;
  }

  @Test
  void thePlansPhaseOneContractsAllExistAndDescribeTheComputeStack() {
    assertThat(contracts.keySet()).containsExactlyInAnyOrderElementsOf(CONTRACTS);
    contracts.forEach((name, c) -> assertThat(c).as(name)
        .containsEntry("contract", name)
        .containsEntry("stack", "Compute")
        .containsEntry("exportName", "{env}-compute-{name}"));
  }

  @Test
  void everyContractOutputIsDescribed() {
    assertThat(contractOutputs()).isNotEmpty().allSatisfy(o -> assertThat(o)
        .containsKeys("name", "description", "consumers"));
  }

  @Test
  void everyEnvironmentExposesExactlyTheContractOutputs() {
    List<String> names = contractOutputs().stream().map(o -> (String) o.get("name")).toList();
    assertThat(names).doesNotHaveDuplicates();
    outputsByEnv.forEach((env, outputs) ->
        assertThat(outputs.keySet()).as(env).containsExactlyInAnyOrderElementsOf(names));
  }

  @Test
  void everyOutputIsExportedUnderTheContractsName() {
    outputsByEnv.forEach((env, outputs) -> {
      for (Map<String, Object> o : contractOutputs()) {
        String name = (String) o.get("name");
        assertThat(outputs.get(name)).as(env + " " + name)
            .containsEntry("Export", Map.of("Name", env + "-compute-" + name));
      }
    });
  }

  @Test
  void everyOtherOutputIsACrossStackReferenceCdkGenerates() {
    generatedByEnv.forEach((env, outputs) -> {
      // Monitoring reads the cluster and the services through strong references: never none.
      assertThat(outputs).as(env).isNotEmpty();
      outputs.forEach((name, output) -> assertThat(output).as(env + " " + name)
          .containsEntry("Export", Map.of("Name", stackNames.get(env) + ":" + name)));
    });
  }

  @Test
  void everyContractSaysThatCdkAddsItsOwnExports() throws IOException {
    for (String name : CONTRACTS) {
      assertThat(Files.readString(contractsDir().resolve(name + ".yaml"))).as(name).contains("ExportsOutput");
    }
  }

  @Test
  void exportNamesFollowTheSchemeTheStackUses() {
    PlatformStacks dev = ComputeFixture.dev();
    assertThat(ComputeStack.exportName(dev.config(), "ClusterArn")).isEqualTo("dev-compute-ClusterArn");
  }
}
