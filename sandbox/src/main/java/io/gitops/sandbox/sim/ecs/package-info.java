/**
 * ECS as moto does not run it: {@link io.gitops.sandbox.sim.ecs.TaskSimulator} (the scheduler and agent:
 * task and deployment state change events after each {@code UpdateService}, waves of failed tasks and the
 * circuit breaker) and {@link io.gitops.sandbox.sim.ecs.CanaryLifecycle} (a canary deployment's lifecycle
 * stages in ECS's order, with the lifecycle hook invoked through the local Lambda host). Together because
 * the lifecycle starts where the simulator's wave of new tasks ends.
 */
package io.gitops.sandbox.sim.ecs;
