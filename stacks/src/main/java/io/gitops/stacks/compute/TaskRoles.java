package io.gitops.stacks.compute;

import java.util.Map;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.iam.IPrincipal;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.constructs.Construct;

/** Trust policy shared by the execution role and the task roles. */
final class TaskRoles {

  private TaskRoles() {}

  /**
   * ecs-tasks.amazonaws.com, limited to tasks of this account and region (confused-deputy
   * protection, as the ECS developer guide recommends for task roles).
   */
  static IPrincipal ecsTasksPrincipal(Construct scope) {
    Stack stack = Stack.of(scope);
    return new ServicePrincipal("ecs-tasks.amazonaws.com").withConditions(Map.of(
        "ArnLike", Map.of("aws:SourceArn",
            "arn:" + stack.getPartition() + ":ecs:" + stack.getRegion() + ":" + stack.getAccount() + ":*"),
        "StringEquals", Map.of("aws:SourceAccount", stack.getAccount())));
  }
}
