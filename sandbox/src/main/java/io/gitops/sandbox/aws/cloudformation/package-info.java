/**
 * A model of CloudFormation creating a stack into an empty account, for the pipeline's first run
 * ({@code bin/gitops first-run}): the order it creates resources in ({@link io.gitops.sandbox.aws.cloudformation.CreateOrder}:
 * DependsOn, Ref and Fn::GetAtt), what it refuses before it starts (a dependency stack that does not exist, an
 * {@code Fn::ImportValue} no stack of the account exports), and what the services validate when
 * CloudFormation calls them (ECS's CreateService: roles, hook targets, target groups attached to a listener;
 * Lambda: the execution role). A failing resource rolls the whole stack back, as on a first create.
 * The accounts are kept apart ({@link io.gitops.sandbox.aws.cloudformation.EmulatedAccount}); what moto stores
 * for them (release parameters, named roles, repositories) goes to moto under the account's own access key.
 */
package io.gitops.sandbox.aws.cloudformation;
