package io.gitops.stacks.nag;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.Validations;
import software.constructs.IConstruct;
import software.constructs.IValidation;

/**
 * Acknowledges a cdk-nag finding on one construct and its children.
 *
 * <p>Observed in CDK 2.263 and cdk-nag 3.0.2 (read from their code, confirmed in
 * cdk.out/validation-report.json):
 * <ul>
 *   <li>cdk-nag skips a finding when the resource or an ancestor carries the metadata entry
 *       {@code aws:cdk:acknowledged-rules} with the <em>bare</em> rule id ({@code AwsSolutions-ECS2},
 *       {@code AwsSolutions-IAM5[Resource::*]}): scoped to that construct.</li>
 *   <li>CDK core then suppresses, across the whole app, every remaining violation whose id matches
 *       an acknowledgement anywhere: {@code AwsSolutions::<rule>} for plain rules, and the bare id
 *       for ids containing {@code ::} (every IAM5 finding). So {@code Validations.acknowledge} with
 *       {@code AwsSolutions::AwsSolutions-ECS2}, the form cdk-nag's messages suggest, silences ECS2 in
 *       every stack; and it rejects bare ids with a second {@code ::} (such as
 *       {@code <AWS::Partition>}) outright.</li>
 * </ul>
 * Hence this class writes the bare id as metadata directly. For IAM5 ids, core's app-wide match
 * remains (an identical finding elsewhere is silenced too); {@code CdkNagTest} closes that gap by
 * checking that every IAM5 wildcard of every policy is acknowledged on that policy itself.
 */
public final class Nag {

  public static final String METADATA_KEY = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;

  private Nag() {}

  /**
   * @param scope  the construct the finding is on (or an ancestor that owns it)
   * @param ruleId the bare cdk-nag rule id, e.g. {@code AwsSolutions-ECS2} or
   *               {@code AwsSolutions-IAM5[Resource::*]}
   * @param reason why this is acceptable, for a security reviewer
   */
  public static void acknowledge(IConstruct scope, String ruleId, String reason) {
    Objects.requireNonNull(scope, "scope");
    if (ruleId == null || !ruleId.startsWith("AwsSolutions-")) {
      throw new IllegalArgumentException("use the bare cdk-nag rule id (AwsSolutions-XXX), got: " + ruleId);
    }
    checkReason(ruleId, reason);
    scope.getNode().addMetadata(METADATA_KEY, Map.of(ruleId, reason));
  }

  /**
   * Acknowledges the IAM5 wildcard finding on {@code resource}, a string that may hold tokens.
   * A finding on a cross-stack value names CDK's generated export, which exists only once
   * references are resolved, so the id is rendered in a construct validation, which runs after that.
   */
  public static void acknowledgeWildcardResource(IConstruct scope, String resource, String reason) {
    checkReason("AwsSolutions-IAM5 on " + resource, reason);
    Supplier<String> id = () -> "AwsSolutions-IAM5[Resource::" + render(Stack.of(scope).resolve(resource)) + "]";
    scope.getNode().addValidation(new IValidation() {
      @Override
      public List<String> validate() {
        scope.getNode().addMetadata(METADATA_KEY, Map.of(id.get(), reason));
        return List.of();
      }
    });
  }

  private static void checkReason(String what, String reason) {
    if (reason == null || reason.length() < 40) {
      throw new IllegalArgumentException(what + ": an acknowledgement needs a reason a reviewer can check");
    }
  }

  /**
   * Renders a resolved CloudFormation value the way cdk-nag 3.0.2 names it in an IAM5 finding id
   * (its {@code flattenCfnReference}): {@code ${X}} in strings as {@code <X>}, {@code Fn::GetAtt} as
   * {@code <Logical.Attr>}, {@code Ref} as {@code <Ref>}, {@code Fn::ImportValue} and {@code Fn::Sub}
   * by their argument, {@code Fn::Join} by joining the rendered parts, anything else as compact JSON.
   */
  @SuppressWarnings("unchecked")
  public static String render(Object value) {
    if (value == null) {
      return "";
    }
    if (value instanceof String s) {
      return s.replace("${", "<").replace("}", ">");
    }
    if (value instanceof Map<?, ?> map) {
      if (map.get("Fn::Join") instanceof List<?> join) {
        return ((List<Object>) join.get(1)).stream()
            .map(Nag::render)
            .collect(java.util.stream.Collectors.joining(String.valueOf(join.get(0))));
      }
      if (map.containsKey("Fn::Sub")) {
        return render(map.get("Fn::Sub"));
      }
      if (map.get("Fn::GetAtt") instanceof List<?> att) {
        return "<" + render(att.get(0)) + "." + render(att.get(1)) + ">";
      }
      if (map.containsKey("Fn::ImportValue")) {
        return render(map.get("Fn::ImportValue"));
      }
      if (map.containsKey("Ref")) {
        return "<" + render(map.get("Ref")) + ">";
      }
    }
    return compactJson(value);
  }

  /** JSON without whitespace, keys in their order: what JavaScript's JSON.stringify writes. */
  private static String compactJson(Object value) {
    if (value instanceof Map<?, ?> map) {
      return map.entrySet().stream()
          .map(e -> compactJson(String.valueOf(e.getKey())) + ":" + compactJson(e.getValue()))
          .collect(java.util.stream.Collectors.joining(",", "{", "}"));
    }
    if (value instanceof List<?> list) {
      return list.stream().map(Nag::compactJson).collect(java.util.stream.Collectors.joining(",", "[", "]"));
    }
    if (value instanceof String s) {
      return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
    return String.valueOf(value);
  }
}
