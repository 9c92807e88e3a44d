/**
 * The commands {@code bin/gitops} runs, each a {@code main}: {@link io.gitops.sandbox.cli.SandboxCli}
 * ({@code sandbox up|push|status|down}), {@link io.gitops.sandbox.cli.OperatorCli} ({@code release},
 * {@code dora}; against the running sandbox, or a real account through
 * {@link io.gitops.sandbox.cli.AwsWiring}), {@link io.gitops.sandbox.cli.HostInvoke} ({@code invoke}),
 * {@link io.gitops.sandbox.cli.Demo} ({@code demo}) and {@link io.gitops.sandbox.cli.HostColdStart}
 * ({@code bench}), with {@link io.gitops.sandbox.cli.Views}, the read-only renderings they print.
 *
 * <p>Separate because this is the only place that parses arguments and chooses exit codes: the other
 * packages throw {@link io.gitops.sandbox.SandboxException}, and a command turns it into its one line.
 */
package io.gitops.sandbox.cli;
