package io.gitops.stacks.compute;

import io.gitops.stacks.PlatformStacks;
import io.gitops.stacks.config.DeployTarget;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.config.Environments;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import software.amazon.awscdk.App;
import software.amazon.awscdk.CfnElement;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Template;
import software.constructs.IConstruct;

/** Builds environments the way the pipeline does, and renders template values readably. */
public final class ComputeFixture {

  public static final DeployTarget TARGET = new DeployTarget("111111111111", "us-east-1");

  private ComputeFixture() {}

  public static PlatformStacks dev() {
    return PlatformStacks.create(new App(), Environments.dev(TARGET, Optional.empty()));
  }

  public static PlatformStacks test() {
    return PlatformStacks.create(new App(), Environments.test(TARGET, Optional.empty()));
  }

  public static PlatformStacks prod() {
    return PlatformStacks.create(new App(), Environments.prod(TARGET, Optional.of("arn:aws:acm:us-east-1:333333333333:certificate/c0ffee00-0000-4000-8000-00000000c0de")));
  }

  public static PlatformStacks of(EnvironmentConfig config) {
    return PlatformStacks.create(new App(), config);
  }

  public static Template template(Stack stack) {
    return Template.fromStack(stack);
  }

  /** Logical ID of a construct's CloudFormation resource (or of the CfnElement itself). */
  public static String logicalId(IConstruct construct) {
    CfnElement element = construct instanceof CfnElement e ? e : (CfnElement) construct.getNode().getDefaultChild();
    return (String) Stack.of(construct).resolve(element.getLogicalId());
  }

  /** The statements of the IAM policy attached to a role, rendered as "actions on resources". */
  @SuppressWarnings("unchecked")
  public static List<String> statementsOfRole(Template template, String roleLogicalId) {
    List<String> out = new ArrayList<>();
    for (Object policy : template.findResources("AWS::IAM::Policy").values()) {
      Map<String, Object> props = (Map<String, Object>) ((Map<String, Object>) policy).get("Properties");
      List<Object> roles = (List<Object>) props.get("Roles");
      if (!roles.contains(Map.of("Ref", roleLogicalId))) {
        continue;
      }
      Map<String, Object> doc = (Map<String, Object>) props.get("PolicyDocument");
      for (Object s : (List<Object>) doc.get("Statement")) {
        out.add(renderStatement((Map<String, Object>) s));
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static String renderStatement(Map<String, Object> statement) {
    Object action = statement.get("Action");
    List<String> actions = action instanceof List<?> l ? (List<String>) l : List.of((String) action);
    Object resource = statement.get("Resource");
    List<Object> resources = resource instanceof List<?> l ? (List<Object>) l : List.of(resource);
    String rendered = actions.stream().sorted().collect(Collectors.joining(","))
        + " on " + resources.stream().map(ComputeFixture::render).collect(Collectors.joining(","));
    if (statement.containsKey("Condition")) {
      rendered += " if " + new TreeMap<>((Map<String, Object>) statement.get("Condition"));
    }
    if (!"Allow".equals(statement.get("Effect"))) {
      rendered = statement.get("Effect") + " " + rendered;
    }
    return rendered;
  }

  /** Intrinsics as short text; CDK's 8-hex-digit hashes are dropped so tests do not pin them. */
  @SuppressWarnings("unchecked")
  public static String render(Object value) {
    if (value instanceof String s) {
      return s;
    }
    Map<String, Object> map = (Map<String, Object>) value;
    Map.Entry<String, Object> e = map.entrySet().iterator().next();
    return switch (e.getKey()) {
      case "Ref" -> "<" + unhash((String) e.getValue()) + ">";
      case "Fn::GetAtt" -> "<" + unhash((String) ((List<Object>) e.getValue()).get(0)) + "."
          + ((List<Object>) e.getValue()).get(1) + ">";
      case "Fn::ImportValue" -> "import(" + unhash((String) e.getValue()) + ")";
      case "Fn::Join" -> ((List<Object>) ((List<Object>) e.getValue()).get(1)).stream()
          .map(ComputeFixture::render).collect(Collectors.joining());
      default -> value.toString();
    };
  }

  static String unhash(String id) {
    return id.replaceAll("[0-9A-F]{8}", "");
  }
}
