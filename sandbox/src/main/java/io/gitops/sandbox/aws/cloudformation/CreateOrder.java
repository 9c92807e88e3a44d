package io.gitops.sandbox.aws.cloudformation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.sandbox.SandboxException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The order CloudFormation creates a template's resources in: a resource only after every resource it names
 * through DependsOn, Ref, Fn::GetAtt or a {@code ${...}} of Fn::Sub. CloudFormation creates independent
 * resources in parallel; this model serialises them in template order, which changes no outcome the model
 * checks (a failure rolls back the whole stack either way; which failure surfaces first is decided by time,
 * see {@link CloudFormation}).
 */
public final class CreateOrder {
  private CreateOrder() {}

  /** Every resource's direct dependencies within the template. */
  public static Map<String, Set<String>> dependencies(ObjectNode resources) {
    Map<String, Set<String>> deps = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = resources.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      Set<String> d = new LinkedHashSet<>();
      JsonNode dependsOn = e.getValue().get("DependsOn");
      if (dependsOn != null) {
        if (dependsOn.isArray()) dependsOn.forEach(x -> d.add(x.asText()));
        else d.add(dependsOn.asText());
      }
      collect(e.getValue().get("Properties"), d);
      d.retainAll(keys(resources));
      d.remove(e.getKey());
      deps.put(e.getKey(), d);
    }
    return deps;
  }

  /** The logical ids in creation order; a cycle is a template CloudFormation refuses (one line). */
  public static List<String> of(ObjectNode resources) {
    Map<String, Set<String>> deps = dependencies(resources);
    List<String> out = new ArrayList<>();
    Set<String> done = new LinkedHashSet<>();
    Set<String> visiting = new LinkedHashSet<>();
    for (String id : deps.keySet()) visit(id, deps, done, visiting, out);
    return out;
  }

  private static void visit(String id, Map<String, Set<String>> deps, Set<String> done, Set<String> visiting, List<String> out) {
    if (done.contains(id)) return;
    if (!visiting.add(id)) throw new SandboxException("Circular dependency between resources: " + visiting);
    for (String d : deps.get(id)) visit(d, deps, done, visiting, out);
    visiting.remove(id);
    done.add(id);
    out.add(id);
  }

  private static Set<String> keys(ObjectNode o) {
    Set<String> s = new LinkedHashSet<>();
    o.fieldNames().forEachRemaining(s::add);
    return s;
  }

  private static void collect(JsonNode n, Set<String> into) {
    if (n == null) return;
    if (n.isArray()) {
      n.forEach(x -> collect(x, into));
      return;
    }
    if (!n.isObject()) return;
    if (n.size() == 1 && n.has("Ref") && n.get("Ref").isTextual()) {
      into.add(n.get("Ref").asText());
      return;
    }
    if (n.size() == 1 && n.has("Fn::GetAtt")) {
      JsonNode a = n.get("Fn::GetAtt");
      into.add(a.isArray() ? a.get(0).asText() : a.asText().split("\\.")[0]);
      return;
    }
    if (n.size() == 1 && n.has("Fn::Sub")) {
      JsonNode a = n.get("Fn::Sub");
      String text = a.isArray() ? a.get(0).asText() : a.asText();
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\$\\{([^}!.][^}.]*)[^}]*}").matcher(text);
      while (m.find()) into.add(m.group(1));
      if (a.isArray() && a.size() > 1) collect(a.get(1), into);
      return;
    }
    n.forEach(x -> collect(x, into));
  }
}
