/**
 * Which hosts a task can reach, from what the templates created (EC2 does the routing moto only stores):
 * the task's subnets and security groups, the route tables and their routes (NAT gateway, internet gateway),
 * VPC endpoints (interface endpoints with private DNS, gateway endpoints on the route tables), prefix lists,
 * and the endpoints' own security groups. {@link io.gitops.sandbox.sim.network.NetworkModel#imagePull} answers
 * whether Fargate can pull an image through it; {@link io.gitops.sandbox.sim.network.NetworkModel#https} whether a
 * regional AWS API (ssmmessages for ECS Exec, for example) is reachable.
 */
package io.gitops.sandbox.sim.network;
