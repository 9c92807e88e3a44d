package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Template;

/** Properties every environment stage must have, whatever its stacks hold. */
class StagesTest {

  private static SynthesizedApp synthesized;

  @BeforeAll
  static void synth() {
    synthesized = SynthesizedApp.get();
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "test", "prod"})
  @SuppressWarnings("unchecked")
  void everyTaggableResourceCarriesTheFourEnvironmentTags(String stage) {
    Map<String, String> expected = synthesized.stage(stage).config().tags();
    assertThat(expected).containsOnlyKeys("Project", "Environment", "Owner", "CostCenter");
    int tagged = 0;
    for (Stack stack : synthesized.stacks(stage)) {
      Map<String, Map<String, Object>> resources =
          (Map<String, Map<String, Object>>) SynthesizedApp.template(stack).toJSON().get("Resources");
      for (var entry : resources.entrySet()) {
        Map<String, Object> properties = (Map<String, Object>) entry.getValue().get("Properties");
        if (properties != null && properties.get("Tags") instanceof List<?> tags) {
          Map<String, String> actual = new java.util.HashMap<>();
          for (Object tag : tags) {
            Map<String, Object> t = (Map<String, Object>) tag;
            actual.put(String.valueOf(t.get("Key")), String.valueOf(t.get("Value")));
          }
          assertThat(actual).as("%s/%s", stack.getStackName(), entry.getKey()).containsAllEntriesOf(expected);
          tagged++;
        }
      }
    }
    // Guards against a vacuous pass: the VPC, its subnets and gateways alone are over ten.
    assertThat(tagged).isGreaterThan(10);
  }

  @Test
  void prodRunsANatGatewayPerAzWhileDevSharesOne() {
    assertThat(natGateways("dev")).isEqualTo(1);
    assertThat(natGateways("prod")).isEqualTo(2);
  }

  @Test
  void noTemplateNamesAnAccountOtherThanTheConfiguredOnes() throws IOException {
    Set<String> configured = new TreeSet<>();
    configured.add(PipelineSettings.PLACEHOLDER_TOOLCHAIN_ACCOUNT);
    synthesized.pipeline.stages().forEach(s -> configured.add(s.config().target().account()));
    // Not inside a longer token: asset hashes are hex and may hold twelve digits in a row.
    Pattern twelveDigits = Pattern.compile("(?<![0-9A-Za-z])[0-9]{12}(?![0-9A-Za-z])");
    List<String> foreign = new ArrayList<>();
    List<Path> files = synthesized.templateFiles();
    assertThat(files).hasSizeGreaterThan(3);
    for (Path file : files) {
      Matcher m = twelveDigits.matcher(Files.readString(file));
      while (m.find()) {
        if (!configured.contains(m.group())) {
          foreign.add(file.getFileName() + ": " + m.group());
        }
      }
    }
    assertThat(foreign).isEmpty();
  }

  @Test
  void twoSynthesesProduceByteIdenticalTemplates() throws IOException {
    SynthesizedApp second = SynthesizedApp.synthesize();
    List<Path> first = synthesized.templateFiles();
    List<Path> again = second.templateFiles();
    assertThat(again.stream().map(p -> second.outdir.relativize(p).toString()))
        .containsExactlyElementsOf(first.stream().map(p -> synthesized.outdir.relativize(p).toString()).toList());
    for (int i = 0; i < first.size(); i++) {
      assertThat(Files.readAllBytes(again.get(i)))
          .as(first.get(i).getFileName().toString())
          .isEqualTo(Files.readAllBytes(first.get(i)));
    }
  }

  private static int natGateways(String stage) {
    Stack network = synthesized.stage(stage).stacks().network();
    Template template = SynthesizedApp.template(network);
    return template.findResources("AWS::EC2::NatGateway").size();
  }
}
