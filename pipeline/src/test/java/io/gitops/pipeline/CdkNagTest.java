package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.Validations;
import software.constructs.IConstruct;
import software.constructs.MetadataEntry;

/** cdk-nag's AwsSolutions pack over the pipeline and every stage. */
class CdkNagTest {

  private static SynthesizedApp synthesized;
  private static List<Map.Entry<String, String>> acknowledgements;

  @BeforeAll
  static void synth() {
    synthesized = SynthesizedApp.get();
    acknowledgements = new ArrayList<>();
    for (IConstruct c : synthesized.app.getNode().findAll()) {
      for (MetadataEntry entry : c.getNode().getMetadata()) {
        if (Validations.ACKNOWLEDGED_RULES_METADATA_KEY.equals(entry.getType())) {
          ((Map<?, ?>) entry.getData()).forEach((id, reason) ->
              acknowledgements.add(Map.entry(c.getNode().getPath() + " " + id, String.valueOf(reason))));
        }
      }
    }
    System.out.printf("cdk-nag: %d acknowledgements across the app%n", acknowledgements.size());
  }

  @Test
  void leavesNoFindingUnacknowledged() {
    assertThat(synthesized.validationFailure)
        .as("cdk-nag findings; see validation-report.json in %s", synthesized.outdir)
        .isNull();
  }

  @Test
  void everyAcknowledgementIsScopedToItsConstruct() {
    // "AwsSolutions::..." ids are matched app-wide by CDK core; see io.gitops.stacks.nag.Nag.
    assertThat(acknowledgements).allSatisfy(a -> assertThat(a.getKey()).doesNotContain(" AwsSolutions::"));
  }

  @Test
  void everyIamWildcardIsAcknowledgedOnItsOwnPolicy() {
    // CDK core matches IAM5 acknowledgements app-wide (see io.gitops.stacks.nag.Nag), so an
    // acknowledgement on one policy would hide the same wildcard on another. Check each one here.
    List<String> unacknowledged = new ArrayList<>();
    int checked = 0;
    for (IConstruct c : synthesized.app.getNode().findAll()) {
      if (c instanceof software.amazon.awscdk.services.iam.CfnPolicy policy) {
        for (String finding : GeneratedPolicyAcknowledgements.wildcardFindings(policy)) {
          checked++;
          if (!acknowledgedOnOrAbove(policy, "AwsSolutions-IAM5[" + finding + "]")) {
            unacknowledged.add(policy.getNode().getPath() + " " + finding);
          }
        }
      }
    }
    assertThat(checked).isGreaterThan(10);
    assertThat(unacknowledged).isEmpty();
  }

  private static boolean acknowledgedOnOrAbove(IConstruct construct, String id) {
    for (IConstruct c = construct; c != null; c = c.getNode().getScope()) {
      for (MetadataEntry entry : c.getNode().getMetadata()) {
        if (Validations.ACKNOWLEDGED_RULES_METADATA_KEY.equals(entry.getType())
            && ((Map<?, ?>) entry.getData()).containsKey(id)) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void everyAcknowledgementGivesAReason() {
    assertThat(acknowledgements).allSatisfy(a -> assertThat(a.getValue()).hasSizeGreaterThan(40));
  }
}
