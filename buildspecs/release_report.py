#!/usr/bin/env python3
"""The release report read before approving a promotion (FROM -> TO, e.g. test -> prod).

One implementation for the pipeline's Report-<env> step and for `bin/gitops diff FROM TO`:

  report   per service, the digest TO runs now and the one it would get (FROM's release), with their
           tags, when each passed FROM and their ledger status; per TO stack, the template diff between
           what is deployed and what the pipeline would deploy; every IAM and security-group change,
           flagged, and a token naming the permission broadenings (empty when there is none).
  confirm  after the approval: fails when the report found a broadening and the approval's comment
           does not name its token (docs/release-report.md).

It reads only: the cloud assembly (templates, stack names, release parameter names, the ledger's
logical id), SSM GetParameter, DynamoDB Scan of the ledgers, ECR DescribeImages, CloudFormation
GetTemplate and DescribeStackResource, and (confirm) CodePipeline ListActionExecutions. Reading
failures become lines of the report: the report step never fails the pipeline by itself.

Standard library and boto3 only. Bad input: one line on stderr, exit 2.
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import sys
from pathlib import Path

BAD_INPUT = 2
NO_BROADENING = "none"
# The token the approval must name when no report could be made (the approver approves blind, knowingly).
NO_REPORT = "NO-REPORT"
IMAGE = re.compile(r"^(?P<repo_uri>(?P<registry>[^/@]+)/(?P<repo>[^@]+))@(?P<digest>sha256:[0-9a-f]{64})$")
ECR_REGISTRY = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?$")
ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


class BadInput(Exception):
    """Input the command cannot work with: one line, exit 2."""


# --------------------------------------------------------------------------------------------
# The cloud assembly
# --------------------------------------------------------------------------------------------

class Stage:
    """One environment's stage as synthesized: its stacks, release parameters and ledger."""

    def __init__(self, name, account, region, stacks, releases, ledger):
        self.name = name
        self.account = account
        self.region = region
        self.stacks = stacks          # [(stack name, template path)], in deployment order
        self.releases = releases      # {service: release parameter name}
        self.ledger = ledger          # (stack name, logical id) of the ledger table, or None


def _read_json(path, what):
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise BadInput(f"{what} not found: {path}")
    except (OSError, ValueError) as e:
        raise BadInput(f"{what} is not readable JSON ({path}): {e}")


def load_stage(assembly, env):
    """The stage called ENV in the cloud assembly ASSEMBLY (cdk.out)."""
    root = Path(assembly)
    manifest = _read_json(root / "manifest.json", "cloud assembly manifest (run 'bin/gitops synth')")
    nested = [a["properties"]["directoryName"] for a in manifest.get("artifacts", {}).values()
              if a.get("type") == "cdk:cloud-assembly"
              and a.get("properties", {}).get("displayName", "").split("/")[-1] == env]
    if not nested:
        names = sorted(a.get("properties", {}).get("displayName", "").split("/")[-1]
                       for a in manifest.get("artifacts", {}).values() if a.get("type") == "cdk:cloud-assembly")
        raise BadInput(f"no stage '{env}' in {root} (it has: {', '.join(names) or 'none'})")
    stage_dir = root / nested[0]
    stage_manifest = _read_json(stage_dir / "manifest.json", f"manifest of stage {env}")
    stacks, account, region = [], None, None
    for artifact in stage_manifest.get("artifacts", {}).values():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        props = artifact.get("properties", {})
        stacks.append((props.get("stackName"), stage_dir / props["templateFile"]))
        m = re.match(r"aws://(\d{12}|unknown-account)/([a-z0-9-]+)", artifact.get("environment", ""))
        if m:
            account, region = m.group(1), m.group(2)
    releases, ledger = {}, None
    for stack_name, template_path in stacks:
        resources = _read_json(template_path, "template").get("Resources", {})
        for logical_id, resource in resources.items():
            kind = resource.get("Type")
            if kind == "Custom::ReleaseParameter":
                # The create-only custom resource of the Storage stack: its SDK call names the parameter.
                create = resource.get("Properties", {}).get("Create")
                try:
                    name = json.loads(create)["parameters"]["Name"]
                except (TypeError, ValueError, KeyError):
                    raise BadInput(f"{stack_name}/{logical_id}: a release parameter whose name cannot be read")
                releases[name.rsplit("/", 1)[-1]] = name
            elif kind == "AWS::DynamoDB::Table" and stack_name.endswith("-Deployment"):
                ledger = (stack_name, logical_id)
    return Stage(env, account, region, stacks, releases, ledger)


# --------------------------------------------------------------------------------------------
# Template diff and security changes
# --------------------------------------------------------------------------------------------

def render(value):
    """A CloudFormation value as short text: intrinsics become ${...}."""
    if isinstance(value, dict) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return "${" + str(arg) + "}"
        if key == "Fn::GetAtt":
            return "${" + ".".join(map(str, arg if isinstance(arg, list) else [arg])) + "}"
        if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            return str(arg[0]).join(render(v) for v in arg[1])
        if key == "Fn::Sub":
            return str(arg[0] if isinstance(arg, list) else arg)
        if key == "Fn::ImportValue":
            return "${import:" + render(arg) + "}"
    if isinstance(value, list):
        return ", ".join(render(v) for v in value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {render(v)}" for k, v in sorted(value.items())) + "}"
    return str(value)


def _canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _statements(document):
    if not isinstance(document, dict):
        return []
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _describe_statement(label, s):
    text = f"{label}: {s.get('Effect', 'Allow')} {render(s.get('Action', s.get('NotAction', '?')))}"
    if "Principal" in s:
        text += f" to {render(s['Principal'])}"
    if "Resource" in s or "NotResource" in s:
        text += f" on {render(s.get('Resource', s.get('NotResource')))}"
    if "Condition" in s:
        text += f" if {render(s['Condition'])}"
    return text


# Resource types whose properties hold policy documents (identity and resource policies).
POLICY_PROPERTIES = {
    "AWS::IAM::Policy": ["PolicyDocument"],
    "AWS::IAM::ManagedPolicy": ["PolicyDocument"],
    "AWS::S3::BucketPolicy": ["PolicyDocument"],
    "AWS::SQS::QueuePolicy": ["PolicyDocument"],
    "AWS::SNS::TopicPolicy": ["PolicyDocument"],
    "AWS::KMS::Key": ["KeyPolicy"],
    "AWS::ECR::Repository": ["RepositoryPolicyText"],
    "AWS::SecretsManager::ResourcePolicy": ["ResourcePolicy"],
    "AWS::Logs::ResourcePolicy": ["PolicyDocument"],
}


def grants(resource):
    """What RESOURCE grants, as (kind, description, canonical form, widens-when-added)."""
    kind = resource.get("Type", "")
    props = resource.get("Properties", {}) or {}
    found = []

    def statements_of(label, document):
        if isinstance(document, str):
            try:
                document = json.loads(document)
            except ValueError:
                return
        for s in _statements(document):
            # An added Allow widens; an added Deny narrows (so a removed Deny widens).
            found.append(("iam", _describe_statement(label, s), label + _canonical(s), s.get("Effect") != "Deny"))

    if kind == "AWS::IAM::Role":
        statements_of("trust policy", props.get("AssumeRolePolicyDocument"))
        for policy in props.get("Policies", []) or []:
            statements_of(f"inline policy {render(policy.get('PolicyName'))}", policy.get("PolicyDocument"))
        for arn in props.get("ManagedPolicyArns", []) or []:
            found.append(("iam", f"managed policy {render(arn)}", "managed" + _canonical(arn), True))
        if "PermissionsBoundary" in props:
            found.append(("iam", f"permissions boundary {render(props['PermissionsBoundary'])}",
                          "boundary" + _canonical(props["PermissionsBoundary"]), False))
    elif kind in POLICY_PROPERTIES:
        for prop in POLICY_PROPERTIES[kind]:
            if prop in props:
                statements_of(f"{prop}", props[prop])
    elif kind == "AWS::Lambda::Permission":
        found.append(("iam", f"lambda permission: {render(props.get('Action'))} to {render(props.get('Principal'))}"
                      f" on {render(props.get('FunctionName'))}", _canonical(props), True))
    elif kind == "AWS::EC2::SecurityGroup":
        for direction, prop in (("ingress", "SecurityGroupIngress"), ("egress", "SecurityGroupEgress")):
            for rule in props.get(prop, []) or []:
                found.append(("sg", f"{direction} {_describe_rule(rule)}", direction + _canonical(rule), True))
    elif kind in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
        direction = "ingress" if kind.endswith("Ingress") else "egress"
        found.append(("sg", f"{direction} of {render(props.get('GroupId'))}: {_describe_rule(props)}",
                      direction + _canonical(props), True))
    return found


def _describe_rule(rule):
    peer = next((render(rule[k]) for k in ("CidrIp", "CidrIpv6", "SourceSecurityGroupId", "DestinationSecurityGroupId",
                                           "SourcePrefixListId", "DestinationPrefixListId") if k in rule), "?")
    ports = rule.get("FromPort"), rule.get("ToPort")
    port_text = "all ports" if ports == (None, None) or str(rule.get("IpProtocol")) == "-1" else (
        f"port {render(ports[0])}" if ports[0] == ports[1] else f"ports {render(ports[0])}-{render(ports[1])}")
    return f"{rule.get('IpProtocol', '?')} {port_text} {peer}"


def diff_templates(stack, deployed, synthesized):
    """The changes from DEPLOYED (None: not deployed) to SYNTHESIZED, with the security changes."""
    old = (deployed or {}).get("Resources", {})
    new = synthesized.get("Resources", {})
    changes, security = [], []
    for logical_id in sorted(set(old) | set(new)):
        before, after = old.get(logical_id), new.get(logical_id)
        kind = (after or before).get("Type", "?")
        if before is None:
            changes.append({"resource": logical_id, "type": kind, "change": "add"})
        elif after is None:
            changes.append({"resource": logical_id, "type": kind, "change": "remove"})
        elif before.get("Type") != after.get("Type"):
            changes.append({"resource": logical_id, "type": kind, "change": "replace",
                            "detail": f"type {before.get('Type')} -> {after.get('Type')}"})
        else:
            p0, p1 = before.get("Properties", {}) or {}, after.get("Properties", {}) or {}
            keys = sorted(k for k in set(p0) | set(p1) if _canonical(p0.get(k)) != _canonical(p1.get(k)))
            if keys:
                changes.append({"resource": logical_id, "type": kind, "change": "modify", "properties": keys})
        granted_before = grants(before) if before else []
        granted_after = grants(after) if after else []
        before_forms = [g[2] for g in granted_before]
        after_forms = [g[2] for g in granted_after]
        for kind_, text, form, widens in granted_after:
            if form not in before_forms:
                security.append({"stack": stack, "resource": logical_id, "kind": kind_, "change": "added",
                                 "detail": text, "broadening": widens})
        for kind_, text, form, widens in granted_before:
            if form not in after_forms:
                security.append({"stack": stack, "resource": logical_id, "kind": kind_, "change": "removed",
                                 "detail": text, "broadening": not widens})
    return changes, security


def broadening_token(security):
    """Names the exact set of broadenings: the same changes give the same token."""
    widened = sorted(_canonical([s["stack"], s["resource"], s["change"], s["detail"]])
                     for s in security if s["broadening"])
    if not widened:
        return NO_BROADENING
    return "BROADENS-" + hashlib.sha256("\n".join(widened).encode()).hexdigest()[:10]


# --------------------------------------------------------------------------------------------
# Reading the accounts (or the sandbox)
# --------------------------------------------------------------------------------------------

class Accounts:
    """boto3 clients per environment: through a role per environment, or the endpoint of a sandbox."""

    def __init__(self, endpoint=None, roles=None, regions=None, only=None):
        import boto3  # only here: the template diff alone needs no SDK
        self._boto3 = boto3
        self.endpoint = endpoint
        # A sandbox provisions one stage: the others are absent, not unreadable.
        self.only = only
        self.roles = roles or {}
        self.regions = regions or {}
        self._sessions = {}

    def client(self, env, service, region=None):
        region = region or self.regions.get(env) or "us-east-1"
        if self.endpoint:
            return self._boto3.client(service, region_name=region, endpoint_url=self.endpoint,
                                      aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
                                      aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"))
        return self._session(env).client(service, region_name=region)

    def _session(self, env):
        if env not in self._sessions:
            role = self.roles.get(env)
            if role:
                creds = self._boto3.client("sts").assume_role(
                    RoleArn=role, RoleSessionName=f"release-report-{env}", DurationSeconds=900)["Credentials"]
                self._sessions[env] = self._boto3.Session(
                    aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                    aws_session_token=creds["SessionToken"])
            else:
                self._sessions[env] = self._boto3.Session()
        return self._sessions[env]


def _error(e):
    text = str(e).splitlines()[0] if str(e) else e.__class__.__name__
    return text[:300]


def absent(accounts, stage):
    return accounts.only is not None and stage.name != accounts.only


def read_release(accounts, stage, service):
    if absent(accounts, stage):
        return None, None
    name = stage.releases.get(service)
    if not name:
        return None, f"{stage.name} has no release parameter for {service}"
    try:
        value = accounts.client(stage.name, "ssm").get_parameter(Name=name)["Parameter"]["Value"]
        return value, None
    except Exception as e:  # noqa: BLE001 - every failure is a line of the report
        return None, f"{name} cannot be read in {stage.name}: {_error(e)}"


def promotion_parameter(stage, service, kind):
    """The override or record parameter of SERVICE in STAGE: beside its release parameter, as
    stacks/.../config/Promotion.java names them (/gitops/ENV/release/S -> /gitops/ENV/promotion/KIND/S)."""
    release = stage.releases.get(service)
    if not release or "/release/" not in release:
        return None
    head, _, tail = release.rpartition("/release/")
    return f"{head}/promotion/{kind}/{tail}"


def read_optional(accounts, stage, name):
    """(value, problem) of a parameter that may not exist (None, None when it does not)."""
    if absent(accounts, stage):
        return None, None
    try:
        return accounts.client(stage.name, "ssm").get_parameter(Name=name)["Parameter"]["Value"], None
    except Exception as e:  # noqa: BLE001
        if "ParameterNotFound" in str(e) or "ParameterNotFound" in e.__class__.__name__:
            return None, None
        return None, f"{name} cannot be read in {stage.name}: {_error(e)}"


def promotion_override(accounts, target, service, next_digest):
    """What the next promotion into TARGET will do with the operator's override of SERVICE, or None."""
    name = promotion_parameter(target, service, "override")
    text, problem = read_optional(accounts, target, name) if name else (None, None)
    if problem:
        return {"problem": problem}
    if not text:
        return None
    digest, _, reason = text.strip().partition(" ")
    if digest != next_digest:
        return {"applies": False, "digest": digest, "reason": reason.strip(),
                "text": f"override names {digest[:19]}…, not the digest it would get: it admits nothing"}
    if not reason.strip():
        return {"applies": False, "digest": digest, "reason": "",
                "text": "override without a reason: promote.sh ignores it"}
    return {"applies": True, "digest": digest, "reason": reason.strip(),
            "text": f"OVERRIDE: promoted even if the source ledger's evidence refuses it: {reason.strip()}"}


def promotion_record(accounts, target, service):
    name = promotion_parameter(target, service, "record")
    text, problem = read_optional(accounts, target, name) if name else (None, None)
    if problem or not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def ledger_table(accounts, stage, overrides):
    if stage.name in overrides:
        return overrides[stage.name], None
    if absent(accounts, stage):
        return None, f"{stage.name} is not in the sandbox (it provisions {accounts.only} only): no release state, no ledger"
    if not stage.ledger:
        return None, f"{stage.name}'s stage has no ledger table"
    stack, logical_id = stage.ledger
    try:
        resource = accounts.client(stage.name, "cloudformation").describe_stack_resource(
            StackName=stack, LogicalResourceId=logical_id)["StackResourceDetail"]
        return resource["PhysicalResourceId"], None
    except Exception as e:  # noqa: BLE001
        return None, f"{stage.name}'s ledger cannot be found ({stack}/{logical_id}): {_error(e)}"


def read_ledger(accounts, stage, table):
    """Deployment items of the ledger, by digest (the newest status change first when a digest repeats)."""
    client = accounts.client(stage.name, "dynamodb")
    items, start = [], None
    while True:
        kwargs = {"TableName": table, "FilterExpression": "#t = :d",
                  "ExpressionAttributeNames": {"#t": "type"}, "ExpressionAttributeValues": {":d": {"S": "DEPLOYMENT"}}}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = client.scan(**kwargs)
        items += page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    by_digest = {}
    for item in items:
        plain = {k: next(iter(v.values())) for k, v in item.items()}
        effective = plain.get("status")
        if effective == "ROLLING_OUT" and plain.get("supersededBy"):
            effective = "SUPERSEDED"  # docs/ledger.md: superseded but never rewritten
        plain["effectiveStatus"] = effective
        by_digest.setdefault(plain.get("digest"), []).append(plain)
    for records in by_digest.values():
        records.sort(key=lambda r: r.get("statusChangedAt") or r.get("updatedAt") or "", reverse=True)
    return by_digest


def image_tags(accounts, registry_env, image):
    m = IMAGE.match(image or "")
    if not m:
        return None, "not a digest-pinned image"
    reg = ECR_REGISTRY.match(m.group("registry"))
    if not reg:
        return [], None  # not ECR (the placeholder image): no tags to read
    try:
        details = accounts.client(registry_env, "ecr", reg.group("region")).describe_images(
            registryId=reg.group("account"), repositoryName=m.group("repo"),
            imageIds=[{"imageDigest": m.group("digest")}])["imageDetails"]
        return sorted(details[0].get("imageTags", [])) if details else [], None
    except Exception as e:  # noqa: BLE001
        return None, f"tags of {m.group('repo')}@{m.group('digest')[:19]}… cannot be read: {_error(e)}"


def deployed_template(accounts, stage, stack, deployed_dir, template_path):
    """(template, note): the deployed template, None when the stack does not exist."""
    if deployed_dir is not None:
        path = Path(deployed_dir) / Path(template_path).name
        return (json.loads(path.read_text()), None) if path.exists() else (None, None)
    if accounts is None:
        return None, "no account or sandbox to read the deployed template from"
    try:
        body = accounts.client(stage.name, "cloudformation").get_template(
            StackName=stack, TemplateStage="Original")["TemplateBody"]
        return (json.loads(body) if isinstance(body, str) else body), None
    except Exception as e:  # noqa: BLE001
        if "does not exist" in str(e):
            return None, None
        return None, f"the deployed template of {stack} cannot be read: {_error(e)}"


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------

def _digest(image):
    m = IMAGE.match(image or "")
    return m.group("digest") if m else None


def _passed(records):
    """When a digest passed an environment: its newest HEALTHY record, else its newest status."""
    if not records:
        return {"status": None, "at": None}
    healthy = [r for r in records if r.get("effectiveStatus") == "HEALTHY"]
    r = healthy[0] if healthy else records[0]
    return {"status": r.get("effectiveStatus"), "at": r.get("statusChangedAt") or r.get("updatedAt"),
            "tag": r.get("tag")}


def build_report(source, target, registry_env, accounts, deployed_dir=None, ledger_overrides=None):
    notes, services = [], []
    ledgers = {}
    if accounts is not None:
        for stage in (source, target):
            table, problem = ledger_table(accounts, stage, ledger_overrides or {})
            if problem:
                notes.append(problem)
                continue
            try:
                ledgers[stage.name] = read_ledger(accounts, stage, table)
            except Exception as e:  # noqa: BLE001
                notes.append(f"{stage.name}'s ledger {table} cannot be read: {_error(e)}")
        for service in sorted(set(source.releases) | set(target.releases)):
            row = {"service": service}
            for side, stage in (("now", target), ("next", source)):
                image, problem = read_release(accounts, stage, service)
                if problem:
                    notes.append(problem)
                digest = _digest(image)
                tags, tag_problem = image_tags(accounts, registry_env, image) if image else (None, None)
                if tag_problem:
                    notes.append(f"{service}: {tag_problem}")
                row[side] = {"image": image, "digest": digest, "tags": tags,
                             source.name: _passed(ledgers.get(source.name, {}).get(digest)),
                             target.name: _passed(ledgers.get(target.name, {}).get(digest))}
            row["changes"] = row["now"]["image"] != row["next"]["image"]
            row["override"] = promotion_override(accounts, target, service, row["next"]["digest"])
            if row["override"] and row["override"].get("problem"):
                notes.append(row["override"]["problem"])
                row["override"] = None
            row["record"] = promotion_record(accounts, target, service)
            services.append(row)
    else:
        notes.append("release state not read: no sandbox or account (template diff only)")

    stacks, security = [], []
    for stack, template_path in target.stacks:
        synthesized = json.loads(Path(template_path).read_text())
        deployed, problem = deployed_template(accounts, target, stack, deployed_dir, template_path)
        if problem:
            notes.append(problem)
            stacks.append({"stack": stack, "deployed": None, "changes": [], "unknown": True})
            continue
        changes, flagged = diff_templates(stack, deployed, synthesized)
        stacks.append({"stack": stack, "deployed": deployed is not None, "changes": changes, "unknown": False})
        security += flagged
    token = broadening_token(security)
    report = {"from": source.name, "to": target.name, "services": services, "stacks": stacks,
              "security": security, "broadening": token, "notes": notes}
    report["summary"] = summary(report)
    return report


def _short(digest):
    return digest[7:19] if digest else "none"


def summary(report):
    """One line for the approval's comment (CodePipeline limits its configuration fields)."""
    to = report["to"]
    moving = [s for s in report["services"] if s["changes"]]
    parts = []
    if report["services"]:
        parts.append(f"{len(moving)} of {len(report['services'])} services change digest"
                     + (" (" + ", ".join(f"{s['service']} {_short(s['now']['digest'])}->{_short(s['next']['digest'])}"
                                          for s in moving[:3]) + ")" if moving else ""))
    changed = [s for s in report["stacks"] if s["changes"]]
    resources = sum(len(s["changes"]) for s in changed)
    unknown = sum(1 for s in report["stacks"] if s["unknown"])
    parts.append(f"{len(changed)} of {len(report['stacks'])} {to} stacks change ({resources} resources)"
                 + (f", {unknown} unread" if unknown else ""))
    overridden = [s for s in report["services"] if (s.get("override") or {}).get("applies")]
    if overridden:
        parts.insert(0, f"{len(overridden)} promotion override(s): "
                     + ", ".join(f"{s['service']} ({s['override']['reason'][:40]})" for s in overridden[:3]))
    widened = [s for s in report["security"] if s["broadening"]]
    flagged = len(report["security"])
    # First, so that no shortening can cut the token off.
    if widened:
        parts.insert(0, f"{len(widened)} permission broadening(s): name {report['broadening']} when approving")
    else:
        parts.append(f"{flagged} IAM/security-group change(s), none broadens")
    line = f"{report['from']} -> {to}: " + "; ".join(parts)
    return line[:300]


def markdown(report):
    out = [f"# Release report: {report['from']} -> {report['to']}", "", f"**{report['summary']}**", ""]
    out += [f"## Services: what {report['to']} runs now, and what it would get", ""]
    if report["services"]:
        src, dst = report["from"], report["to"]
        out.append(f"| service | | digest | tags | passed {src} | {dst} ledger |")
        out.append("| --- | --- | --- | --- | --- | --- |")
        for row in report["services"]:
            for side, label in (("now", "runs now"), ("next", "would get")):
                r = row[side]
                passed = r[src]
                out.append(f"| {row['service']} | {label} | `{r['digest'] or r['image'] or '—'}` | "
                           f"{', '.join(r['tags']) if r['tags'] else '—'} | "
                           f"{(passed['status'] or 'not in ledger') + (' at ' + passed['at'] if passed.get('at') else '')} | "
                           f"{r[dst]['status'] or '—'} |")
            if not row["changes"]:
                out.append(f"| {row['service']} | | unchanged | | | |")
    else:
        out.append("(not read)")
    promotion = [r for r in report["services"] if r.get("override") or r.get("record")]
    if promotion:
        out += ["", f"## Promotion overrides and the last promotion into {report['to']}", ""]
        out.append("| service | override (next promotion) | last promotion | its override |")
        out.append("| --- | --- | --- | --- |")
        for row in promotion:
            o, rec = row.get("override"), row.get("record") or {}
            last = (f"{rec.get('state')} {_short(_digest(rec.get('promoted')))} at {rec.get('at')}"
                    + (f" ({rec.get('execution')})" if rec.get('execution') else "")) if rec else "—"
            out.append(f"| {row['service']} | {o['text'] if o else '—'} | {last} | {rec.get('override') or '—'} |")
    out += ["", "## Permission and security-group changes", ""]
    if report["security"]:
        out.append("| stack | resource | change | what | broadens |")
        out.append("| --- | --- | --- | --- | --- |")
        for s in report["security"]:
            out.append(f"| {s['stack']} | {s['resource']} | {s['change']} | {s['detail'][:300]} | "
                       f"{'**YES**' if s['broadening'] else 'no'} |")
        if report["broadening"] != NO_BROADENING:
            out += ["", f"Permissions broaden. Approve only with a comment that contains **{report['broadening']}**;"
                        " without it the step after the approval stops the release before anything is promoted."]
    else:
        out.append("none")
    out += ["", "## CloudFormation changes per stack (deployed template -> synthesized template)", ""]
    for s in report["stacks"]:
        state = "unread" if s["unknown"] else ("deployed" if s["deployed"] else "not deployed: every resource is new")
        out.append(f"### {s['stack']} ({state}): {len(s['changes'])} change(s)")
        for c in s["changes"][:200]:
            extra = f" ({', '.join(c['properties'])})" if c.get("properties") else (f" ({c['detail']})" if c.get("detail") else "")
            out.append(f"- {c['change']} {c['resource']} {c['type']}{extra}")
        if len(s["changes"]) > 200:
            out.append(f"- … and {len(s['changes']) - 200} more")
        out.append("")
    if report["notes"]:
        out += ["## Could not be read", ""] + [f"- {n}" for n in report["notes"]] + [""]
    return "\n".join(out)


def shell_quote(value):
    return "'" + value.replace("'", "'\\''") + "'"


# --------------------------------------------------------------------------------------------
# confirm: the approval must name the broadening
# --------------------------------------------------------------------------------------------

def approval_comment(executions, stage, action):
    """The approver's comment in ListActionExecutions' answer, or None when the approval did not succeed."""
    matching = [e for e in executions if e.get("stageName") == stage and e.get("actionName") == action]
    if not matching:
        return None
    latest = max(matching, key=lambda e: str(e.get("lastUpdateTime") or e.get("startTime") or ""))
    if latest.get("status") != "Succeeded":
        return None
    return (latest.get("output", {}).get("executionResult", {}) or {}).get("externalExecutionSummary") or ""


def confirm(token, executions, stage, action):
    """(ok, message)."""
    if token == NO_BROADENING:
        return True, "the release report found no permission broadening: nothing to confirm"
    comment = approval_comment(executions, stage, action)
    if comment is None:
        return False, f"no succeeded {action} in stage {stage} of this execution"
    if token in comment:
        return True, f"{action}'s comment names {token}: the broadening was approved knowingly"
    return False, (f"the release report found permission broadening ({token}) and {action}'s comment does not name "
                   f"it: nothing was promoted or deployed; run the pipeline again and approve with a comment "
                   f"containing {token}")


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------

class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise BadInput(message)


def _pairs(values, what):
    result = {}
    for value in values or []:
        env, sep, rest = value.partition("=")
        if not sep or not ENV_NAME.match(env) or not rest:
            raise BadInput(f"{what} must be ENV=VALUE, got '{value}'")
        result[env] = rest
    return result


def _sandbox(state_file):
    """(endpoint, {stage: ledger table}, stage) of a running sandbox."""
    state = _read_json(state_file, "sandbox state")
    endpoint = state.get("endpoint")
    if not endpoint or not re.match(r"^http://127\.0\.0\.1:\d+/?$", endpoint):
        raise BadInput(f"the sandbox state {state_file} has no endpoint on 127.0.0.1")
    tables = {v.get("LEDGER_TABLE") for v in (state.get("environments") or {}).values() if v.get("LEDGER_TABLE")}
    stage = state.get("stage", "dev")
    ledgers = {stage: tables.pop()} if len(tables) == 1 else {}
    return endpoint.rstrip("/"), ledgers, stage


def main(argv, stdout=sys.stdout):
    parser = Parser(prog="release_report.py", add_help=True)
    sub = parser.add_subparsers(dest="command")
    rep = sub.add_parser("report")
    rep.add_argument("--assembly", default="cdk.out")
    rep.add_argument("--from", dest="source", required=True)
    rep.add_argument("--to", dest="target", required=True)
    rep.add_argument("--registry", help="the environment whose ECR repositories hold the images (dev)")
    rep.add_argument("--endpoint", help="read the release state from this emulator (http://127.0.0.1:PORT)")
    rep.add_argument("--sandbox-state", help="a running sandbox's .sandbox/state.json (endpoint and ledger)")
    rep.add_argument("--role", action="append", help="ENV=ROLE_ARN: read ENV through this role")
    rep.add_argument("--ledger-table", action="append", help="ENV=TABLE: the ledger table of ENV")
    rep.add_argument("--deployed", help="a directory of deployed templates (same file names as the assembly's)")
    rep.add_argument("--offline", action="store_true", help="template diff only; read no release state")
    rep.add_argument("--out", help="write the markdown report here")
    rep.add_argument("--json", help="write the report as JSON here")
    rep.add_argument("--exports", help="write REPORT_SUMMARY and BROADENING as shell exports here")
    rep.add_argument("--store", help="s3://BUCKET/KEY: put the markdown report there (pipeline)")
    con = sub.add_parser("confirm")
    con.add_argument("--token", required=True)
    con.add_argument("--stage", required=True)
    con.add_argument("--action", required=True)
    con.add_argument("--pipeline", help="pipeline name (default: from CODEBUILD_INITIATOR)")
    con.add_argument("--execution", help="pipeline execution id")
    con.add_argument("--executions-json", help="ListActionExecutions' answer, recorded (tests)")
    args = parser.parse_args(argv)
    if args.command is None:
        raise BadInput("usage: release_report.py report --from ENV --to ENV ... | confirm --token T ...")
    if args.command == "confirm":
        return _confirm(args, stdout)

    for env in (args.source, args.target) + ((args.registry,) if args.registry else ()):
        if not ENV_NAME.match(env):
            raise BadInput(f"'{env}' is not an environment name")
    if args.source == args.target:
        raise BadInput(f"FROM and TO are both '{args.source}': nothing to compare")
    source, target = load_stage(args.assembly, args.source), load_stage(args.assembly, args.target)
    registry = args.registry or args.source
    ledgers = _pairs(args.ledger_table, "--ledger-table")
    endpoint, only = args.endpoint, None
    if args.sandbox_state:
        endpoint, sandbox_ledgers, only = _sandbox(args.sandbox_state)
        ledgers = {**sandbox_ledgers, **ledgers}
    if endpoint and not re.match(r"^http://127\.0\.0\.1:\d+/?$", endpoint):
        raise BadInput(f"the endpoint must be http://127.0.0.1:PORT, not {endpoint}")
    accounts = None
    if not args.offline:
        regions = {source.name: source.region, target.name: target.region}
        accounts = Accounts(endpoint, _pairs(args.role, "--role"), regions, only)
    report = build_report(source, target, registry, accounts, args.deployed, ledgers)
    text = markdown(report)
    if args.store:
        try:
            _store(args.store, text)
        except BadInput:
            raise
        except Exception as e:  # noqa: BLE001 - the review link is then dead: the summary says where to look
            sys.stderr.write(f"release report: cannot store it at {args.store}: {_error(e)}\n")
            report["summary"] = ("report only in the build log (not stored); " + report["summary"])[:300]
    if args.out:
        Path(args.out).write_text(text + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str))
    if args.exports:
        Path(args.exports).write_text(f"export REPORT_SUMMARY={shell_quote(report['summary'])}\n"
                                      f"export BROADENING={shell_quote(report['broadening'])}\n")
    stdout.write(text + "\n")
    return 0


def _store(url, text):
    m = re.match(r"^s3://([^/]+)/(.+)$", url)
    if not m:
        raise BadInput(f"--store must be s3://BUCKET/KEY, not {url}")
    import boto3
    # The bucket's default encryption (SSE-KMS with its key) applies; nothing to pass here.
    boto3.client("s3").put_object(Bucket=m.group(1), Key=m.group(2), Body=text.encode(),
                                  ContentType="text/markdown; charset=utf-8")


def _confirm(args, stdout):
    if args.executions_json:
        executions = _read_json(args.executions_json, "recorded action executions").get("actionExecutionDetails", [])
    elif args.token == NO_BROADENING:
        executions = []
    else:
        pipeline = args.pipeline or os.environ.get("CODEBUILD_INITIATOR", "").partition("/")[2]
        if not pipeline or not args.execution:
            raise BadInput("confirm needs --pipeline (or CODEBUILD_INITIATOR) and --execution")
        import boto3
        client = boto3.client("codepipeline")
        executions, token = [], None
        while True:
            kwargs = {"pipelineName": pipeline, "filter": {"pipelineExecutionId": args.execution}}
            if token:
                kwargs["nextToken"] = token
            page = client.list_action_executions(**kwargs)
            executions += page.get("actionExecutionDetails", [])
            token = page.get("nextToken")
            if not token:
                break
    ok, message = confirm(args.token, executions, args.stage, args.action)
    stdout.write(("OK: " if ok else "RELEASE STOPPED: ") + message + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BadInput as e:
        sys.stderr.write(f"release report: {e}\n")
        sys.exit(BAD_INPUT)
