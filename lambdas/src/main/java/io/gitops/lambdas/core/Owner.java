package io.gitops.lambdas.core;

/** Who started a deployment: the image deployer (a push) or the pipeline (CloudFormation). */
public enum Owner {
  IMAGE_DEPLOYER,
  PIPELINE
}
