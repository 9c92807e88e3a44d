/**
 * What moto lacks, played by the sandbox so that the functions see what AWS would show them. Each AWS
 * service gets its own package:
 * <ul>
 *   <li>{@code sim.ecs}: the ECS scheduler and agent (tasks and deployment events after an
 *       {@code UpdateService}, the circuit breaker) and the lifecycle of a traffic-shifting deployment with
 *       its hooks;
 *   <li>{@code sim.elb}: the load balancer's health endpoint that the guard probes;
 *   <li>{@code sim.network}: which images a task can pull, through its subnets, route tables, NAT,
 *       VPC endpoints, prefix lists and security groups;
 *   <li>{@code sim.pipeline}: the pipeline player ({@code bin/gitops first-run}), which plays the CDK pipeline's first run (its
 *       stages, waves, steps and run orders) into empty emulated accounts.
 * </ul>
 * {@link io.gitops.sandbox.sim.Blockers} holds one check per blocker issue 21 found in the first run.
 * Separate from {@code aws}, which only drives what the emulator already does: every class here stands for
 * an AWS behaviour read from AWS's documentation, the gaps {@code docs/emulator-gaps.md} lists.
 */
package io.gitops.sandbox.sim;
