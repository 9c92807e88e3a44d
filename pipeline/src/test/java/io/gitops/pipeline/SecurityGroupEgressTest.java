package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every security group of every synthesized template (the pipeline stack and each stage's stacks) states
 * its egress: a group without inline SecurityGroupEgress gets EC2's default allow-all rule, whatever
 * separate AWS::EC2::SecurityGroupEgress resources say. No egress rule, inline or separate, opens
 * 0.0.0.0/0 or ::/0 unless listed in {@link #ALLOWED_OPEN_EGRESS} with the reason.
 */
class SecurityGroupEgressTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * "stack template file name prefix / logical id prefix" → why it may send anywhere. Empty: nothing here
   * needs the internet from inside the VPC (the functions that do, such as the storage stack's ECR Public
   * cache warm-up, run outside it and have no security group).
   */
  static final Map<String, String> ALLOWED_OPEN_EGRESS = Map.of();

  @Test
  void everySecurityGroupStatesItsEgressAndNoneIsOpenToTheInternet() throws IOException {
    List<Path> templates = templates();
    assertThat(templates).as("synthesized templates").hasSizeGreaterThan(20);
    List<String> problems = new ArrayList<>();
    int groups = 0;
    for (Path file : templates) {
      JsonNode resources = JSON.readTree(file.toFile()).path("Resources");
      for (Iterator<Map.Entry<String, JsonNode>> it = resources.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String where = file.getFileName() + " " + e.getKey();
        String type = e.getValue().path("Type").asText();
        JsonNode p = e.getValue().path("Properties");
        if ("AWS::EC2::SecurityGroup".equals(type)) {
          groups++;
          JsonNode egress = p.path("SecurityGroupEgress");
          if (!egress.isArray() || egress.isEmpty()) {
            problems.add(where + ": no inline SecurityGroupEgress, so EC2's default allow-all egress applies");
          } else {
            egress.forEach(rule -> open(where, rule).ifPresent(problems::add));
          }
        } else if ("AWS::EC2::SecurityGroupEgress".equals(type)) {
          open(where, p).ifPresent(problems::add);
        }
      }
    }
    assertThat(groups).as("security groups found").isGreaterThanOrEqualTo(15);
    assertThat(problems).isEmpty();
  }

  private static java.util.Optional<String> open(String where, JsonNode rule) {
    boolean open = "0.0.0.0/0".equals(rule.path("CidrIp").asText()) || "::/0".equals(rule.path("CidrIpv6").asText());
    if (!open || ALLOWED_OPEN_EGRESS.keySet().stream().anyMatch(k -> where.startsWith(k.replace("/", " ")))) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(where + ": egress to the internet " + rule);
  }

  private static List<Path> templates() throws IOException {
    try (Stream<Path> files = Files.walk(SynthesizedApp.get().outdir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".template.json")).sorted().toList();
    }
  }
}
