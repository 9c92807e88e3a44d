package io.gitops.stacks.config;

/**
 * How a service's tasks spread over Fargate and Fargate Spot. {@code onDemandBase} tasks always run
 * on demand; the rest are split by weight, so 7:3 puts about 30% of them on Spot.
 */
public record CapacitySplit(int onDemandBase, int onDemandWeight, int spotWeight) {

  public CapacitySplit {
    if (onDemandBase < 1) {
      throw new IllegalArgumentException("at least one task must run on demand (onDemandBase >= 1)");
    }
    if (onDemandWeight < 0 || spotWeight < 0 || onDemandWeight + spotWeight == 0) {
      throw new IllegalArgumentException("capacity weights must be >= 0 and not both 0");
    }
  }

  /** Share of the tasks above the base that run on Spot, from 0 to 1. */
  public double spotShare() {
    return (double) spotWeight / (onDemandWeight + spotWeight);
  }
}
