/**
 * Elastic Load Balancing as moto does not serve it: {@link io.gitops.sandbox.sim.elb.HealthEndpoint}, a
 * local HTTP server that answers the guard's health probes for the services behind a load balancer, healthy
 * or not as the images they run.
 */
package io.gitops.sandbox.sim.elb;
