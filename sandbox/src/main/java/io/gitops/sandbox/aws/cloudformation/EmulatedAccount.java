package io.gitops.sandbox.aws.cloudformation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One environment's account as the first run finds and leaves it: the stacks CloudFormation created in it,
 * their exports, every resource with its physical id and attributes, and what exists there without a stack
 * (the CDK bootstrap's roles). What moto keeps for the account (release parameters, named roles, repositories)
 * goes through {@link Store}, so the pipeline's steps see it with the AWS CLI under the account's own keys.
 */
public final class EmulatedAccount {

  /** What the account keeps in the emulator. The in-memory store serves the model's tests. */
  public interface Store {
    Optional<String> parameter(String name);

    /** Create-only, as the release parameters' custom resource is: an existing value is kept. */
    void putParameterIfAbsent(String name, String value);

    /** A role with an explicit RoleName, which the steps assume by name. */
    default void createRole(String name, String trustPolicy) {}

    default void createRepository(String name, String policy) {}
  }

  /** The store of the model's own tests: parameters in a map, nothing else kept. */
  public static Store inMemory() {
    Map<String, String> params = new ConcurrentHashMap<>();
    return new Store() {
      @Override
      public Optional<String> parameter(String name) {
        return Optional.ofNullable(params.get(name));
      }

      @Override
      public void putParameterIfAbsent(String name, String value) {
        params.putIfAbsent(name, value);
      }
    };
  }

  /** A created resource: its stack, logical id, type, resolved properties, Ref and attributes. */
  public record Resource(String stack, String logicalId, String type, JsonNode properties, String ref,
      Map<String, String> attributes) {
    public String arn() {
      return attributes.getOrDefault("Arn", ref);
    }
  }

  /** A stack in CREATE_COMPLETE: its outputs by name. */
  public record CreatedStack(String name, Map<String, JsonNode> outputs) {}

  private final String env;
  private final String id;
  private final String region;
  private final Store store;
  private final Map<String, CreatedStack> stacks = new LinkedHashMap<>();
  private final Map<String, JsonNode> exports = new LinkedHashMap<>();
  private final Map<String, Resource> resources = new LinkedHashMap<>();
  private final Set<String> existing = new LinkedHashSet<>();
  private final List<String> order = new ArrayList<>();

  public EmulatedAccount(String env, String id, String region, Store store) {
    this.env = env;
    this.id = id;
    this.region = region;
    this.store = store;
    // What `cdk bootstrap` leaves in every account (README, "Deploying to real accounts", step 3).
    for (String role : List.of("deploy-role", "cfn-exec-role", "file-publishing-role", "image-publishing-role", "lookup-role")) {
      existing.add("arn:aws:iam::" + id + ":role/cdk-hnb659fds-" + role + "-" + id + "-" + region);
    }
    // The bootstrap stack's version parameter, which every CDK template's BootstrapVersion parameter reads.
    store.putParameterIfAbsent("/cdk-bootstrap/hnb659fds/version", "27");
  }

  public String env() {
    return env;
  }

  public String id() {
    return id;
  }

  public String region() {
    return region;
  }

  public Store store() {
    return store;
  }

  public boolean hasStack(String name) {
    return stacks.containsKey(name);
  }

  public Optional<CreatedStack> stack(String name) {
    return Optional.ofNullable(stacks.get(name));
  }

  public Optional<JsonNode> export(String name) {
    return Optional.ofNullable(exports.get(name));
  }

  /** Whether an ARN (or id) names something that exists in the account now. */
  public boolean exists(String arnOrId) {
    return existing.contains(arnOrId);
  }

  public List<Resource> resources() {
    return new ArrayList<>(resources.values());
  }

  public List<Resource> resources(String type) {
    return resources.values().stream().filter(r -> r.type().equals(type)).toList();
  }

  public Optional<Resource> resource(String stack, String logicalId) {
    return Optional.ofNullable(resources.get(stack + "/" + logicalId));
  }

  /** The resource whose Ref or an attribute is {@code value}. */
  public Optional<Resource> byPhysical(String value) {
    return resources.values().stream()
        .filter(r -> r.ref().equals(value) || r.attributes().containsValue(value)).findFirst();
  }

  /** Called by {@link CloudFormation} when a stack reached CREATE_COMPLETE. */
  void commit(CreatedStack stack, List<Resource> created, Map<String, JsonNode> newExports) {
    stacks.put(stack.name(), stack);
    order.add(stack.name());
    for (Resource r : created) {
      resources.put(r.stack() + "/" + r.logicalId(), r);
      existing.add(r.ref());
      existing.addAll(r.attributes().values());
    }
    exports.putAll(newExports);
  }

  /** The stacks in the order they were created. */
  public List<String> stackOrder() {
    return List.copyOf(order);
  }

  /** Something that exists without a stack of the pipeline (a test's fixture, a manual step). */
  public void addExisting(String arnOrId) {
    existing.add(arnOrId);
  }
}
