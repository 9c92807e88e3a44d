package io.gitops.stacks.storage;

import io.gitops.stacks.config.Sorted;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.config.Placeholders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.customresources.AwsCustomResource;
import software.amazon.awscdk.customresources.AwsCustomResourcePolicy;
import software.amazon.awscdk.customresources.AwsSdkCall;
import software.amazon.awscdk.customresources.PhysicalResourceId;
import software.amazon.awscdk.services.iam.IRole;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.logs.ILogGroup;
import software.amazon.awscdk.services.ssm.IStringParameter;
import software.amazon.awscdk.services.ssm.StringParameter;
import software.amazon.awscdk.services.ssm.StringParameterAttributes;
import software.constructs.Construct;

/**
 * A service's release parameter, created once at the placeholder image and never written again by
 * CloudFormation.
 *
 * <p>Why not {@code AWS::SSM::Parameter}: CloudFormation writes the template's value whenever it
 * updates that resource (a tag or description change is enough), which would silently replace the
 * release a deployer wrote with the placeholder. Here a custom resource calls {@code PutParameter}
 * without {@code Overwrite} on create only; it has no update call at all, so no later stack update
 * can write the parameter. On delete it removes the parameter, except where the environment retains
 * its data (prod), where the live release outlives the stack.
 */
public final class ReleaseParameter extends Construct {

  private final String parameterName;
  private final String parameterArn;
  private final IStringParameter parameter;
  private final AwsCustomResource resource;

  /**
   * @param role     execution role of the custom-resource function, shared by all release parameters
   *                 of the stack (the function is a singleton)
   * @param logGroup the function's log group, so its role writes to a known log group only
   */
  public ReleaseParameter(Construct scope, String id, String parameterName, EnvironmentConfig config,
      IRole role, ILogGroup logGroup) {
    super(scope, id);
    this.parameterName = parameterName;
    Stack stack = Stack.of(this);
    String arn = parameterArn = stack.formatArn(software.amazon.awscdk.ArnComponents.builder()
        .service("ssm")
        .resource("parameter")
        .resourceName(parameterName.substring(1))
        .build());

    Map<String, Object> put = new LinkedHashMap<>();
    put.put("Name", parameterName);
    put.put("Type", "String");
    put.put("Value", Placeholders.image(config.target(), config.name()));
    put.put("Description", "Live release (image@sha256:digest); written by the deployers, not by CloudFormation");
    // Tags are only accepted when Overwrite is absent; absent Overwrite means false.
    put.put("Tags", config.tags().entrySet().stream()
        .map(e -> Sorted.map(Map.of("Key", e.getKey(), "Value", e.getValue())))
        .toList());

    AwsCustomResource.Builder builder = AwsCustomResource.Builder.create(this, "Resource")
        .resourceType("Custom::ReleaseParameter")
        .installLatestAwsSdk(false)
        .role(role)
        .logGroup(logGroup)
        .onCreate(AwsSdkCall.builder()
            .service("SSM")
            .action("PutParameter")
            .parameters(put)
            .physicalResourceId(PhysicalResourceId.of(parameterName))
            // A parameter that already exists (a stack re-created over a retained one) keeps its
            // live value: adopting it is the point of the create-only design.
            .ignoreErrorCodesMatching("ParameterAlreadyExists")
            .build())
        // No onUpdate, deliberately: see the class comment.
        .policy(AwsCustomResourcePolicy.fromStatements(List.of(PolicyStatement.Builder.create()
            .actions(List.of("ssm:PutParameter", "ssm:AddTagsToResource", "ssm:DeleteParameter"))
            .resources(List.of(arn))
            .build())));
    if (!config.retainData()) {
      builder.onDelete(AwsSdkCall.builder()
          .service("SSM")
          .action("DeleteParameter")
          .parameters(Map.of("Name", parameterName))
          .ignoreErrorCodesMatching("ParameterNotFound")
          .build());
    }
    resource = builder.build();

    parameter = StringParameter.fromStringParameterAttributes(this, "Reference",
        StringParameterAttributes.builder()
            .parameterName(parameterName)
            // A dynamic reference instead of a template parameter: a template parameter would be
            // resolved before the custom resource creates the parameter, failing the first deploy.
            .forceDynamicReference(true)
            .build());
  }

  public String parameterName() {
    return parameterName;
  }

  public String parameterArn() {
    return parameterArn;
  }

  public IStringParameter parameter() {
    return parameter;
  }

  public AwsCustomResource resource() {
    return resource;
  }
}
