package io.gitops.cost;

/**
 * One priced item of one environment.
 *
 * @param stack the template's stack name
 * @param logicalId the resource's logical ID (or a synthetic name for usage lines)
 * @param category a short group name: NAT, Endpoints, ALB, Fargate, Aurora, OpenSearch, ...
 * @param monthlyUsd the estimate, USD per month
 * @param basis how it was computed, with the quantities and any assumption
 */
public record CostLine(String stack, String logicalId, String category, double monthlyUsd, String basis) {}
