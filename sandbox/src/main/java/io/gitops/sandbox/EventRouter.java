package io.gitops.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.event.ruler.Machine;

/**
 * Decides which functions receive an event, by matching it against the EventBridge rules' patterns with
 * event-ruler, AWS's open-source pattern engine. A rule names its target function.
 */
public final class EventRouter {
  /** One EventBridge rule: its name, the function it targets, and its event pattern. */
  public record Rule(String name, String function, JsonNode pattern) {}

  private final Machine machine = new Machine();
  private final Map<String, Rule> rules = new LinkedHashMap<>();

  public EventRouter(List<Rule> rules) {
    for (Rule r : rules) {
      try {
        machine.addRule(r.name(), r.pattern().toString());
      } catch (IOException | RuntimeException e) {
        throw new SandboxException("rule " + r.name() + ": event-ruler rejects its pattern: " + e.getMessage());
      }
      this.rules.put(r.name(), r);
    }
  }

  public List<Rule> rules() {
    return List.copyOf(rules.values());
  }

  /** The rules that match, in the order they were given. */
  public List<Rule> match(JsonNode event) {
    List<String> names = machine.rulesForJSONEvent(event);
    List<Rule> out = new ArrayList<>();
    for (Rule r : rules.values()) if (names.contains(r.name())) out.add(r);
    return out;
  }

  /** The distinct functions that receive the event. */
  public List<String> functionsFor(JsonNode event) {
    List<String> out = new ArrayList<>();
    for (Rule r : match(event)) if (!out.contains(r.function())) out.add(r.function());
    return out;
  }
}
