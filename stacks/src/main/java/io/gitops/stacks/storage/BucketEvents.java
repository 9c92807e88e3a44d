package io.gitops.stacks.storage;

import software.amazon.awscdk.IAspect;
import software.amazon.awscdk.services.s3.CfnBucket;
import software.constructs.IConstruct;

/**
 * Every bucket sends its object events to Amazon EventBridge (AWS Control Tower CT.S3.PR.4), so a
 * deletion in the trail bucket, say, can be alarmed on with a rule and no change to the bucket.
 *
 * <p>Set on the CloudFormation resource ({@code NotificationConfiguration.EventBridgeConfiguration},
 * native since 2021) rather than through the L2's {@code eventBridgeEnabled}, which adds a
 * notification custom resource and its Lambda function. S3 charges nothing for EventBridge delivery.
 * A bucket that already declares a notification configuration is left alone.
 */
public final class BucketEvents implements IAspect {

  @Override
  public void visit(IConstruct node) {
    if (node instanceof CfnBucket bucket && bucket.getNotificationConfiguration() == null) {
      bucket.setNotificationConfiguration(CfnBucket.NotificationConfigurationProperty.builder()
          .eventBridgeConfiguration(CfnBucket.EventBridgeConfigurationProperty.builder()
              .eventBridgeEnabled(true)
              .build())
          .build());
    }
  }
}
