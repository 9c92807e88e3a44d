package io.gitops.stacks.monitoring;

import io.gitops.stacks.config.EnvironmentConfig;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.ArnComponents;
import software.amazon.awscdk.ArnFormat;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.kms.IKey;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.wafv2.CfnLoggingConfiguration;
import software.constructs.Construct;

/**
 * The production web ACL's traffic logs, in a CloudWatch Logs log group encrypted with the monitoring
 * key and kept a year. The credentials a request may carry (the Authorization and Cookie headers, and the
 * canary test route's secret header, which opens the new revision to whoever holds it) are redacted before WAF
 * writes the record (WAF developer guide, "Log fields", RedactedFields).
 */
public final class WafLogging extends Construct {

  /** AWS WAF delivers only to log groups whose name starts with this (WAF developer guide, "CloudWatch Logs"). */
  public static final String LOG_GROUP_PREFIX = "aws-waf-logs-";

  /** Headers whose values never reach the logs. */
  public static final List<String> REDACTED_HEADERS = List.of("authorization", "cookie",
      io.gitops.contract.CanaryTestRoute.HEADER);

  private final LogGroup logGroup;

  public WafLogging(Construct scope, String id, EnvironmentConfig config, String webAclArn, IKey key) {
    super(scope, id);
    // A fixed name, because WAF requires the prefix; one per environment, so it never collides.
    String name = LOG_GROUP_PREFIX + EnvironmentConfig.PROJECT + "-" + config.name();
    logGroup = LogGroup.Builder.create(this, "Logs")
        .logGroupName(name)
        .retention(RetentionDays.ONE_YEAR)
        .encryptionKey(key)
        .removalPolicy(config.retainData() ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY)
        .build();
    // WAF takes the log group's ARN without the ":*" that LogGroup.getLogGroupArn() ends with.
    String destination = Stack.of(this).formatArn(ArnComponents.builder()
        .service("logs").resource("log-group").resourceName(name).arnFormat(ArnFormat.COLON_RESOURCE_NAME).build());
    CfnLoggingConfiguration logging = CfnLoggingConfiguration.Builder.create(this, "Resource")
        .resourceArn(webAclArn)
        .logDestinationConfigs(List.of(destination))
        .redactedFields(REDACTED_HEADERS.stream()
            .map(h -> (Object) CfnLoggingConfiguration.FieldToMatchProperty.builder()
                .singleHeader(Map.of("Name", h)).build())
            .toList())
        .build();
    logging.getNode().addDependency(logGroup);
  }

  public LogGroup logGroup() {
    return logGroup;
  }
}
