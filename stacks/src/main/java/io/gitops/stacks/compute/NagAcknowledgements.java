package io.gitops.stacks.compute;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import software.constructs.IValidation;
import software.amazon.awscdk.Stack;
import software.constructs.IConstruct;

/**
 * Acknowledging cdk-nag findings under CDK 2.263 and cdk-nag 3.0.2, scoped to one construct.
 *
 * <p>Observed in these versions (read from their code, confirmed in cdk.out/validation-report.json):
 * <ul>
 *   <li>cdk-nag itself skips a finding when the resource or an ancestor carries the metadata entry
 *       {@value #METADATA_KEY} with the <em>bare</em> rule ID (e.g. {@code AwsSolutions-ECS2},
 *       {@code AwsSolutions-IAM5[Resource::*]}). That is scoped to the construct.</li>
 *   <li>CDK core then suppresses, <em>across the whole app</em>, every remaining violation whose ID
 *       matches any acknowledgement anywhere: {@code AwsSolutions::<rule>} for plain rules, the bare
 *       ID for IDs containing {@code ::} (all IAM5 findings). So {@code Validations.acknowledge}
 *       ("AwsSolutions::AwsSolutions-ECS2") would silence ECS2 in every stack, and it rejects
 *       IAM5 IDs outright (a second {@code ::}).</li>
 * </ul>
 * Hence: always write the bare ID (scoped by cdk-nag, and not matched by core for plain rules).
 * For IAM5 IDs the bare ID is also what core matches, so an identical finding elsewhere in the
 * app (today: {@code IAM5[Resource::*]} on two CDK Pipelines roles) is silenced too; that is a
 * limitation of CDK 2.263, reported rather than worked around.
 *
 * <p>A finding on a cross-stack resource names CDK's generated export (e.g.
 * {@code Resource::dev-Storage:ExportsOutput...Arn.../*}), which exists only after references are
 * resolved; those IDs are rendered in a tree validation, which runs after that.
 */
final class NagAcknowledgements {

  static final String METADATA_KEY = "aws:cdk:acknowledged-rules";

  private NagAcknowledgements() {}

  /** A finding whose ID is a literal, e.g. {@code "AwsSolutions-IAM5[Resource::*]"}. */
  static void acknowledge(IConstruct construct, String ruleId, String reason) {
    String bare = ruleId.startsWith("AwsSolutions::") ? ruleId.substring("AwsSolutions::".length()) : ruleId;
    construct.getNode().addMetadata(METADATA_KEY, Map.of(bare, reason));
  }

  /**
   * An IAM5 wildcard finding on {@code resource} (a string that may hold tokens), rendered the way
   * cdk-nag names it once references are resolved.
   */
  static void acknowledgeWildcardResource(IConstruct construct, String resource, String reason) {
    Supplier<String> id = () -> "AwsSolutions-IAM5[Resource::" + render(Stack.of(construct).resolve(resource)) + "]";
    construct.getNode().addValidation(new IValidation() {
      @Override
      public List<String> validate() {
        construct.getNode().addMetadata(METADATA_KEY, Map.of(id.get(), reason));
        return List.of();
      }
    });
  }

  /** cdk-nag's rendering of an intrinsic: {@code <Logical.Attr>}, {@code <Ref>}, import names. */
  @SuppressWarnings("unchecked")
  static String render(Object value) {
    if (value instanceof String s) {
      return s;
    }
    if (value instanceof Map<?, ?> map && map.size() == 1) {
      Map.Entry<?, ?> e = map.entrySet().iterator().next();
      Object arg = e.getValue();
      switch (String.valueOf(e.getKey())) {
        case "Fn::Join" -> {
          List<Object> join = (List<Object>) arg;
          StringBuilder out = new StringBuilder();
          for (Object part : (List<Object>) join.get(1)) {
            out.append(render(part));
          }
          return out.toString();
        }
        case "Fn::ImportValue" -> {
          return render(arg);
        }
        case "Ref" -> {
          return "<" + arg + ">";
        }
        case "Fn::GetAtt" -> {
          List<Object> att = (List<Object>) arg;
          return "<" + att.get(0) + "." + att.get(1) + ">";
        }
        default -> { }
      }
    }
    throw new IllegalStateException("cannot render " + value + " as a cdk-nag resource name");
  }
}
