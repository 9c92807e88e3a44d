/**
 * The local Lambda host: the Lambda service for the synthesized functions. Each function runs in its own
 * JVMs through the official runtime interface client ({@link io.gitops.sandbox.host.ExecutionEnvironment},
 * {@link io.gitops.sandbox.host.RuntimeApi}), with Lambda's asynchronous retries, on-failure records and
 * reserved concurrency ({@link io.gitops.sandbox.host.LambdaHost}), behind a proxy that refuses keys it
 * never issued and shows the simulators each call ({@link io.gitops.sandbox.host.AwsProxy}).
 *
 * <p>Separate because it knows nothing of stages or templates: it runs whatever
 * {@link io.gitops.sandbox.host.FunctionSpec}s it is given, so the demo, {@code invoke}, the bench and the
 * tests share it.
 */
package io.gitops.sandbox.host;
