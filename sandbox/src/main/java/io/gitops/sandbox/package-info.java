/**
 * The local sandbox: one synthesized stage run on this machine against moto, with no AWS account. This
 * package ties the rooms below together and holds only what every command shares:
 * {@link io.gitops.sandbox.Sandbox} (a provisioned stage whose pushes become events, delivered through the
 * rules to the functions in the local Lambda host until nothing is left to deliver),
 * {@link io.gitops.sandbox.SandboxState} (what {@code .sandbox/state.json} keeps between commands),
 * {@link io.gitops.sandbox.EventRouter} (the rules' patterns, matched with event-ruler) and
 * {@link io.gitops.sandbox.SandboxException} (the one-line error every command prints).
 *
 * <p>The rooms, each a package of its own so that a newcomer finds a part in one step:
 * <ul>
 *   <li>{@code aws}: talking to the emulator and provisioning it from the cloud assembly's templates;
 *   <li>{@code sim}: what moto lacks, played here (ECS's scheduler and deployment lifecycle, the load
 *       balancer's health endpoint; the network model and the pipeline player belong there too);
 *   <li>{@code host}: the local Lambda service that runs the functions in their own JVMs;
 *   <li>{@code cli}: the {@code bin/gitops} commands and their renderings.
 * </ul>
 */
package io.gitops.sandbox;
