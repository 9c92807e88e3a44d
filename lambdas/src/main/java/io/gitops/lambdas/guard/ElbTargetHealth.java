package io.gitops.lambdas.guard;

import io.gitops.lambdas.core.AwsClients;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;

/** {@link TargetHealth} from ELBv2's DescribeTargetHealth (one call per evaluation). */
public final class ElbTargetHealth implements TargetHealth {
  private final ElasticLoadBalancingV2Client elb;

  public ElbTargetHealth(ElasticLoadBalancingV2Client elb) {
    this.elb = elb;
  }

  /** A client configured like every other client of the project (retries, timeouts, interceptors). */
  public static ElbTargetHealth create(AwsClients.Settings settings, SdkHttpClient http) {
    return new ElbTargetHealth(AwsClients.configure(ElasticLoadBalancingV2Client.builder(), settings, http).build());
  }

  @Override
  public List<Target> describe(String targetGroupArn) {
    return elb.describeTargetHealth(b -> b.targetGroupArn(targetGroupArn)).targetHealthDescriptions().stream()
        .map(d -> new Target(d.target().id(), Optional.ofNullable(d.target().port()),
            d.targetHealth() == null ? "unknown" : d.targetHealth().stateAsString(),
            d.targetHealth() == null || d.targetHealth().reasonAsString() == null ? ""
                : d.targetHealth().reasonAsString()))
        .toList();
  }
}
