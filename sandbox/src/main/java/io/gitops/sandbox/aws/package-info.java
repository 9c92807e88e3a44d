/**
 * The emulated AWS account and how a stage gets into it: the sandbox's own SDK and JSON-protocol connection
 * to moto ({@link io.gitops.sandbox.aws.Emulator}), the cloud assembly's stages and templates
 * ({@link io.gitops.sandbox.aws.CloudAssembly}), CloudFormation's intrinsic functions
 * ({@link io.gitops.sandbox.aws.Intrinsics}), provisioning from the templates' resource properties
 * ({@link io.gitops.sandbox.aws.TemplateProvisioner}), and what the provisioned stage tells the sandbox: the
 * functions' environments and rules ({@link io.gitops.sandbox.aws.StageWiring}) and each function as Lambda
 * would run it ({@link io.gitops.sandbox.aws.FunctionDefinitions}).
 *
 * <p>Separate from {@code sim} because everything here is something moto (or CloudFormation) already does
 * and the sandbox only drives: it reads templates and writes them into the emulator as synthesized, and
 * plays no AWS behaviour of its own. The operator's wiring to a real account is a command's concern and
 * lives in {@code cli} ({@code AwsWiring}).
 */
package io.gitops.sandbox.aws;
