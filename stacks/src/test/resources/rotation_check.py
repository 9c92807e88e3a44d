"""Runs rotate_generated_secret.handler's four steps against moto's in-process Secrets Manager.

Secrets Manager registers the new version id (with AWSPENDING) before it calls createSecret; moto's
API cannot register an id without a value, so describe_secret is wrapped to add it, as the service
would, until createSecret has stored the value. Reads name AWSCURRENT explicitly: moto 5.2.1's
get_secret_value without a stage returns the first version even after AWSCURRENT moved (AWS returns
AWSCURRENT). Prints one line per check; exit 0 only if all pass.
"""
import importlib.util
import sys
import uuid

import boto3
from moto import mock_aws

source = sys.argv[1]


def load():
    spec = importlib.util.spec_from_file_location("rotation", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(name, condition):
    print(("ok   " if condition else "FAIL ") + name)
    if not condition:
        sys.exit(1)


with mock_aws():
    rotation = load()
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    rotation.client = sm

    def current():
        return sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"]
    arn = sm.create_secret(Name="app", SecretString="old-value")["ARN"]
    token = str(uuid.uuid4())
    describe = sm.describe_secret

    def registered(**kwargs):
        result = describe(**kwargs)
        result.setdefault("VersionIdsToStages", {}).setdefault(token, ["AWSPENDING"])
        return result

    sm.describe_secret = registered
    event = {"SecretId": arn, "ClientRequestToken": token}
    rotation.handler({**event, "Step": "createSecret"}, None)
    pending = sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")["SecretString"]
    check("createSecret stores a new 64-character value as AWSPENDING", len(pending) == 64 and pending != "old-value")
    rotation.handler({**event, "Step": "createSecret"}, None)
    again = sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")["SecretString"]
    check("createSecret again keeps the pending value (steps may repeat)", again == pending)
    sm.describe_secret = describe
    rotation.handler({**event, "Step": "setSecret"}, None)
    rotation.handler({**event, "Step": "testSecret"}, None)
    check("set and test leave AWSCURRENT alone", current() == "old-value")
    rotation.handler({**event, "Step": "finishSecret"}, None)
    check("finishSecret makes the new value AWSCURRENT", current() == pending)
    previous = sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")["SecretString"]
    check("the old value stays readable as AWSPREVIOUS", previous == "old-value")
    rotation.handler({**event, "Step": "finishSecret"}, None)
    check("finishSecret again changes nothing", current() == pending)
    for bad, expected in (({**event, "Step": "dropSecret"}, "unknown rotation step"),
                          ({"SecretId": arn, "ClientRequestToken": str(uuid.uuid4()), "Step": "createSecret"},
                           "is not a version")):
        try:
            rotation.handler(bad, None)
            check(f"refuses {expected}", False)
        except ValueError as e:
            check(f"refuses {expected}", expected in str(e))
print("rotation: all checks passed")
