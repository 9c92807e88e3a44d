"""Secrets Manager rotation for a generated secret that no external system holds.

The four steps of the Secrets Manager rotation contract (AWS Secrets Manager User Guide, "Rotation by
Lambda function"): createSecret stores a new random value as AWSPENDING, setSecret and testSecret have
nothing to do (no database or API holds this value), finishSecret moves AWSCURRENT to the new version.
Idempotent per step, as Secrets Manager may call a step more than once. boto3 is the Lambda runtime's.
"""
import os

import boto3

client = boto3.client("secretsmanager")
LENGTH = int(os.environ.get("SECRET_LENGTH", "64"))
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


def handler(event, _context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    if step not in STEPS:
        raise ValueError(f"unknown rotation step {step}")
    stages = client.describe_secret(SecretId=arn).get("VersionIdsToStages", {})
    if token not in stages:
        raise ValueError(f"version {token} is not a version of the secret")
    if "AWSCURRENT" in stages[token] and step != "finishSecret":
        return  # already rotated to this version
    if step == "createSecret":
        try:
            client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except client.exceptions.ResourceNotFoundException:
            value = client.get_random_password(PasswordLength=LENGTH, ExcludePunctuation=True)["RandomPassword"]
            client.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=value,
                                    VersionStages=["AWSPENDING"])
    elif step in ("setSecret", "testSecret"):
        return
    elif step == "finishSecret":
        current = next((v for v, s in stages.items() if "AWSCURRENT" in s), None)
        if current == token:
            return
        client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                           MoveToVersionId=token, RemoveFromVersionId=current)
