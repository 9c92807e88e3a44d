package io.gitops.sandbox.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.gitops.sandbox.SandboxException;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resolves the CloudFormation intrinsic functions CDK emits: Ref, Fn::GetAtt, Fn::Join, Fn::Sub,
 * Fn::Select, Fn::Split, Fn::ImportValue, Fn::GetStackOutput, Fn::If (with the stack's Conditions:
 * Fn::Equals, Fn::Not, Fn::And, Fn::Or) and the pseudo parameters AWS::Region, AWS::AccountId,
 * AWS::Partition, AWS::URLSuffix, AWS::StackName and AWS::NoValue. Anything else fails with a message
 * naming the function and where it was found.
 */
public final class Intrinsics {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final Pattern SUB_VAR = Pattern.compile("\\$\\{([^}!][^}]*)}");

  /** Where names point to: resources, parameters and exports of the stage's stacks. */
  public interface Scope {
    /** Ref to a resource or parameter of {@code stack}. */
    JsonNode ref(String stack, String logicalId);

    /** Fn::GetAtt on a resource of {@code stack}. */
    JsonNode getAtt(String stack, String logicalId, String attribute);

    /** Fn::ImportValue: an export of any stack of the stage. */
    JsonNode importValue(String exportName);

    /** Fn::GetStackOutput: an output of a stack of the stage, by stack name (no export needed). */
    JsonNode stackOutput(String stackName, String outputName);

    /** The expression of the condition {@code name} in {@code stack}'s Conditions section (for Fn::If). */
    default JsonNode condition(String stack, String name) {
      throw new SandboxException(stack + ": no condition " + name);
    }
  }

  private final Scope scope;
  private final String region;
  private final String account;

  public Intrinsics(Scope scope, String region, String account) {
    this.scope = scope;
    this.region = region;
    this.account = account;
  }

  /** A copy of {@code node} with every intrinsic resolved; {@code where} names it in error messages. */
  public JsonNode resolve(String stack, JsonNode node, String where) {
    if (node == null || node.isMissingNode()) return node;
    if (node.isArray()) {
      ArrayNode out = F.arrayNode();
      for (JsonNode n : node) {
        JsonNode r = resolve(stack, n, where);
        if (r != null) out.add(r);
      }
      return out;
    }
    if (!node.isObject()) return node;
    if (node.size() == 1) {
      String key = node.fieldNames().next();
      if (key.equals("Ref") || key.startsWith("Fn::")) return function(stack, key, node.get(key), where);
    }
    ObjectNode out = F.objectNode();
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode r = resolve(stack, e.getValue(), where + "." + e.getKey());
      if (r != null) out.set(e.getKey(), r);
    }
    return out;
  }

  /** Resolves and requires a string. */
  public String string(String stack, JsonNode node, String where) {
    JsonNode r = resolve(stack, node, where);
    if (r == null || !r.isValueNode()) throw new SandboxException(where + ": expected a string, got " + r);
    return r.asText();
  }

  private JsonNode function(String stack, String name, JsonNode arg, String where) {
    String at = where + " (" + name + ")";
    switch (name) {
      case "Ref" -> {
        return ref(stack, text(arg, at));
      }
      case "Fn::GetAtt" -> {
        String logicalId;
        String attribute;
        if (arg.isArray() && arg.size() == 2) {
          logicalId = text(arg.get(0), at);
          attribute = text(resolve(stack, arg.get(1), at), at);
        } else if (arg.isTextual() && arg.asText().contains(".")) {
          logicalId = arg.asText().substring(0, arg.asText().indexOf('.'));
          attribute = arg.asText().substring(arg.asText().indexOf('.') + 1);
        } else {
          throw new SandboxException(at + ": malformed Fn::GetAtt " + arg);
        }
        return scope.getAtt(stack, logicalId, attribute);
      }
      case "Fn::Join" -> {
        if (!arg.isArray() || arg.size() != 2) throw new SandboxException(at + ": malformed Fn::Join " + arg);
        String sep = text(arg.get(0), at);
        JsonNode list = resolve(stack, arg.get(1), at);
        if (!list.isArray()) throw new SandboxException(at + ": Fn::Join needs a list, got " + list);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < list.size(); i++) {
          if (i > 0) sb.append(sep);
          sb.append(scalar(list.get(i), at));
        }
        return TextNode.valueOf(sb.toString());
      }
      case "Fn::Sub" -> {
        String template;
        JsonNode vars = null;
        if (arg.isTextual()) {
          template = arg.asText();
        } else if (arg.isArray() && arg.size() == 2) {
          template = text(arg.get(0), at);
          vars = resolve(stack, arg.get(1), at);
        } else {
          throw new SandboxException(at + ": malformed Fn::Sub " + arg);
        }
        Matcher m = SUB_VAR.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
          String var = m.group(1);
          String value;
          if (vars != null && vars.has(var)) {
            value = scalar(vars.get(var), at);
          } else if (var.contains(".")) {
            value = scalar(scope.getAtt(stack, var.substring(0, var.indexOf('.')), var.substring(var.indexOf('.') + 1)), at);
          } else {
            value = scalar(ref(stack, var), at);
          }
          m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return TextNode.valueOf(sb.toString().replace("${!", "${"));
      }
      case "Fn::Select" -> {
        if (!arg.isArray() || arg.size() != 2) throw new SandboxException(at + ": malformed Fn::Select " + arg);
        int index = Integer.parseInt(scalar(resolve(stack, arg.get(0), at), at));
        JsonNode list = resolve(stack, arg.get(1), at);
        if (!list.isArray() || index < 0 || index >= list.size()) {
          throw new SandboxException(at + ": Fn::Select index " + index + " out of range of " + list);
        }
        return list.get(index);
      }
      case "Fn::Split" -> {
        if (!arg.isArray() || arg.size() != 2) throw new SandboxException(at + ": malformed Fn::Split " + arg);
        String sep = text(arg.get(0), at);
        String value = scalar(resolve(stack, arg.get(1), at), at);
        ArrayNode out = F.arrayNode();
        for (String part : value.split(Pattern.quote(sep), -1)) out.add(part);
        return out;
      }
      case "Fn::GetStackOutput" -> {
        JsonNode a = resolve(stack, arg, at);
        if (!a.isObject() || !a.has("StackName") || !a.has("OutputName")) {
          throw new SandboxException(at + ": malformed Fn::GetStackOutput " + arg);
        }
        if (a.has("Region") && !region.equals(a.get("Region").asText())) {
          throw new SandboxException(at + ": Fn::GetStackOutput from another region (" + a.get("Region").asText() + ")");
        }
        return scope.stackOutput(a.get("StackName").asText(), a.get("OutputName").asText());
      }
      case "Fn::ImportValue" -> {
        return scope.importValue(scalar(resolve(stack, arg, at), at));
      }
      case "Fn::If" -> {
        if (!arg.isArray() || arg.size() != 3) throw new SandboxException(at + ": malformed Fn::If " + arg);
        return resolve(stack, holds(stack, text(arg.get(0), at), at) ? arg.get(1) : arg.get(2), at);
      }
      default -> throw new SandboxException(at + ": the sandbox does not support " + name);
    }
  }

  /** Evaluates the named condition of {@code stack}: Fn::Equals, Fn::Not, Fn::And, Fn::Or and Condition. */
  private boolean holds(String stack, String condition, String where) {
    return evaluate(stack, scope.condition(stack, condition), where + " [condition " + condition + "]");
  }

  private boolean evaluate(String stack, JsonNode expression, String at) {
    if (expression == null || !expression.isObject() || expression.size() != 1) {
      throw new SandboxException(at + ": malformed condition " + expression);
    }
    String fn = expression.fieldNames().next();
    JsonNode arg = expression.get(fn);
    switch (fn) {
      case "Condition" -> {
        return holds(stack, text(arg, at), at);
      }
      case "Fn::Equals" -> {
        if (!arg.isArray() || arg.size() != 2) throw new SandboxException(at + ": malformed Fn::Equals " + arg);
        return scalar(resolve(stack, arg.get(0), at), at).equals(scalar(resolve(stack, arg.get(1), at), at));
      }
      case "Fn::Not" -> {
        if (!arg.isArray() || arg.size() != 1) throw new SandboxException(at + ": malformed Fn::Not " + arg);
        return !evaluate(stack, arg.get(0), at);
      }
      case "Fn::And", "Fn::Or" -> {
        if (!arg.isArray() || arg.isEmpty()) throw new SandboxException(at + ": malformed " + fn + " " + arg);
        boolean and = fn.equals("Fn::And");
        for (JsonNode c : arg) {
          if (evaluate(stack, c, at) != and) return !and;
        }
        return and;
      }
      default -> throw new SandboxException(at + ": the sandbox does not support the condition function " + fn);
    }
  }

  private JsonNode ref(String stack, String name) {
    return switch (name) {
      case "AWS::Region" -> TextNode.valueOf(region);
      case "AWS::AccountId" -> TextNode.valueOf(account);
      case "AWS::Partition" -> TextNode.valueOf("aws");
      case "AWS::URLSuffix" -> TextNode.valueOf("amazonaws.com");
      case "AWS::StackName" -> TextNode.valueOf(stack);
      case "AWS::NoValue" -> null;
      default -> {
        if (name.startsWith("AWS::")) throw new SandboxException("the sandbox does not support the pseudo parameter " + name);
        yield scope.ref(stack, name);
      }
    };
  }

  private static String text(JsonNode n, String at) {
    if (n == null || !n.isTextual()) throw new SandboxException(at + ": expected a literal string, got " + n);
    return n.asText();
  }

  private static String scalar(JsonNode n, String at) {
    if (n == null || !n.isValueNode()) throw new SandboxException(at + ": expected a scalar, got " + n);
    return n.asText();
  }
}
