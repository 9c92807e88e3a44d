#!/usr/bin/env python3
"""The Control Tower gate: AWS Control Tower's proactive controls (cfn-guard rules) on every template.

Runs the `ct-*.guard` rules shipped in @cdklabs/cdk-validator-cfnguard with the `cfn-guard` binary from the
same package, on every synthesized template, and fails on any failing control that the reviewed exceptions
file (.cfn-guard-exceptions.yaml) does not list for that environment, stack and resource.

Exit codes: 0 every failure is an accepted exception; 1 unaccepted failures (or stale exceptions);
2 bad input (a malformed exceptions file, a missing binary or template). Standard library only, plus
PyYAML, which cfn-lint (a pinned tool of this project) already installs.

Speed: cfn-guard evaluates every rule against every resource, about 1.4 s per template for all 237
rules. A rule can only report on the resource types it names, so each template is checked with only
the rules that name a type the template contains (a superset: a plain substring match), one cfn-guard
process per template, run in parallel.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import fnmatch
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

RULE_ID = re.compile(r"^ct-[a-z0-9]+-pr-\d+$")
TOP_RULE = re.compile(r"^rule\s+([A-Za-z0-9_]+)\s+when\b", re.MULTILINE)
RESOURCE_PATH = re.compile(r'"/Resources/([A-Za-z0-9]+)')
CONTROL_MESSAGE = re.compile(r"\[(CT\.[A-Z0-9_.]+)\]:\s*([^\n]*)")
SCOPES = ("all", "non-prod")
# seed-plan: a deliberate override in the seed plan; not-applicable: the control makes no sense for
# this resource (the reason says why); cost and non-production: a protection left off outside
# production, where the reason is money or that the environment is rebuilt from code.
BECAUSE = ("seed-plan", "not-applicable", "cost", "non-production")
NON_PROD_ONLY = ("cost", "non-production")


class BadInput(Exception):
    """Input the gate cannot judge: reported as one line, exit 2."""


@dataclass(frozen=True)
class Rule:
    rule_id: str          # ct-ecs-pr-3
    path: Path
    names: tuple[str, ...]  # the rule names cfn-guard reports for this file
    text: str


@dataclass(frozen=True)
class Failure:
    rule_id: str
    stage: str            # dev, test, prod, or "pipeline" for the toolchain stack
    stack: str            # the stack's construct id inside its stage (Compute, Network…), or GitOpsPipeline
    template: str         # template file name
    resource: str         # logical id
    cdk_path: str         # aws:cdk:path of the resource, or the logical id
    message: str          # the control's title, e.g. "[CT.ECS.PR.3]: Require …"


@dataclass
class Exception_:
    rule: str
    scope: str
    because: str
    reason: str
    stacks: list[str] = field(default_factory=lambda: ["*"])
    resources: list[str] = field(default_factory=lambda: ["*"])
    used: int = 0

    def covers(self, failure: Failure, non_prod: set[str]) -> bool:
        if failure.rule_id != self.rule:
            return False
        if self.scope == "non-prod" and failure.stage not in non_prod:
            return False
        return (any(fnmatch.fnmatchcase(failure.stack, p) for p in self.stacks)
                and any(fnmatch.fnmatchcase(failure.cdk_path, p) for p in self.resources))


def load_exceptions(path: Path) -> tuple[set[str], list[Exception_]]:
    """Parses and checks the exceptions file; every problem is a BadInput naming the entry."""
    try:
        import yaml
    except ImportError as e:  # cfn-lint brings PyYAML; bin/gitops installs cfn-lint first
        raise BadInput("PyYAML is missing (it comes with cfn-lint: run bin/gitops test)") from e
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise BadInput(f"cannot read exceptions file {path}: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise BadInput(f"{path} is not valid YAML: {str(e).splitlines()[0]}") from e
    if not isinstance(doc, dict):
        raise BadInput(f"{path}: expected a mapping with 'non_prod_stages' and 'exceptions'")
    non_prod = doc.get("non_prod_stages")
    if not isinstance(non_prod, list) or not all(isinstance(s, str) and s for s in non_prod):
        raise BadInput(f"{path}: 'non_prod_stages' must be a list of stage names (every other stage is production)")
    entries = doc.get("exceptions") or []
    if not isinstance(entries, list):
        raise BadInput(f"{path}: 'exceptions' must be a list")
    result = []
    for i, entry in enumerate(entries, 1):
        where = f"{path}: exception #{i}"
        if not isinstance(entry, dict):
            raise BadInput(f"{where} must be a mapping")
        unknown = set(entry) - {"rule", "scope", "because", "reason", "stacks", "resources"}
        if unknown:
            raise BadInput(f"{where} has unknown keys: {', '.join(sorted(unknown))}")
        rule = entry.get("rule")
        where = f"{path}: exception #{i} ({rule})"
        if not isinstance(rule, str) or not RULE_ID.match(rule):
            raise BadInput(f"{where}: 'rule' must be a control id like ct-ecs-pr-3")
        scope, because, reason = entry.get("scope"), entry.get("because"), entry.get("reason")
        if scope not in SCOPES:
            raise BadInput(f"{where}: 'scope' must be one of {', '.join(SCOPES)}")
        if because not in BECAUSE:
            raise BadInput(f"{where}: 'because' must be one of {', '.join(BECAUSE)}")
        if not isinstance(reason, str) or len(reason.strip()) < 20:
            raise BadInput(f"{where}: 'reason' must say why, in a sentence")
        # Cost may excuse a control in dev and test, never in production.
        if because in NON_PROD_ONLY and scope != "non-prod":
            raise BadInput(f"{where}: '{because}' is a reason only for a non-prod exception; production must pass this control")
        patterns = {}
        for key in ("stacks", "resources"):
            value = entry.get(key, ["*"])
            if not isinstance(value, list) or not value or not all(isinstance(p, str) and p for p in value):
                raise BadInput(f"{where}: '{key}' must be a non-empty list of glob patterns")
            patterns[key] = value
        result.append(Exception_(rule, scope, because, reason.strip(), patterns["stacks"], patterns["resources"]))
    return set(non_prod), result


def load_rules(rules_dir: Path) -> list[Rule]:
    rules = []
    for path in sorted(rules_dir.rglob("ct-*.guard")):
        text = path.read_text(encoding="utf-8")
        names = tuple(sorted(set(TOP_RULE.findall(text))))
        if not names:
            raise BadInput(f"{path}: no top-level rule found")
        rules.append(Rule(path.stem, path, names, text))
    if not rules:
        raise BadInput(f"no ct-*.guard rules under {rules_dir} (run npm ci)")
    return rules


def locate(template: Path) -> tuple[str, str]:
    """(stage, stack) of a template in cdk.out, from the assembly folder and the manifest's display name."""
    parent = template.parent.name
    stage = parent.removeprefix("assembly-").split("-")[-1] if parent.startswith("assembly-") else "pipeline"
    stack = template.name.removesuffix(".template.json")
    manifest = template.parent / "manifest.json"
    if manifest.exists():
        artifacts = json.loads(manifest.read_text(encoding="utf-8")).get("artifacts", {})
        for artifact in artifacts.values():
            props = artifact.get("properties", {})
            if props.get("templateFile") == template.name:
                stack = artifact.get("displayName", stack).split("/")[-1]
    return stage, stack


def read_template(template: Path) -> dict:
    try:
        return json.loads(template.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise BadInput(f"cannot read template {template}: {e}") from e


def exports_of(templates: list[Path]) -> dict[str, str]:
    """Export name → the ARN-like string CloudFormation would import, for exports of a resource's Ref or Arn."""
    exports = {}
    for template in templates:
        body = read_template(template)
        for output in body.get("Outputs", {}).values():
            name, value = output.get("Export", {}).get("Name"), output.get("Value")
            if not isinstance(name, str) or not isinstance(value, dict):
                continue
            ref = value.get("Ref") or (value.get("Fn::GetAtt") or [None])[0]
            resource = body.get("Resources", {}).get(ref) if isinstance(ref, str) else None
            if resource:
                kind = resource.get("Type", "")
                exports[name] = f"arn:aws:{kind.split('::')[1].lower()}:imported:000000000000:{kind}/{template.stem}/{ref}"
    return exports


def resolve_imports(node, exports: dict[str, str]):
    """Replaces Fn::ImportValue of a known export with the string CloudFormation would put there.

    cfn-guard sees one template at a time, so a rule that wants a string (a KMS key ARN, say)
    fails on a cross-stack import that is a string at deploy time. Only imports of an export of
    this assembly are resolved, to a string naming the exporting resource; anything else stays."""
    if isinstance(node, dict):
        if set(node) == {"Fn::ImportValue"} and isinstance(node["Fn::ImportValue"], str) \
                and node["Fn::ImportValue"] in exports:
            return exports[node["Fn::ImportValue"]]
        return {k: resolve_imports(v, exports) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve_imports(v, exports) for v in node]
    return node


def check_template(cfn_guard: Path, rules: list[Rule], template: Path, exports: dict[str, str],
                   scratch: Path) -> list[Failure]:
    body = read_template(template)
    resolved = resolve_imports(body, exports)
    data = template
    if resolved != body:
        data = scratch / f"{template.parent.name}-{template.name}"
        data.write_text(json.dumps(resolved), encoding="utf-8")
    resources = body.get("Resources", {})
    types = {r.get("Type", "") for r in resources.values()}
    selected = [r for r in rules if any(t and t in r.text for t in types)]
    if not selected:
        return []
    by_name = {name: rule for rule in selected for name in rule.names}
    cmd = [str(cfn_guard), "validate", "--data", str(data), "--structured", "--output-format", "json",
           "--show-summary", "none"]
    for rule in selected:
        cmd += ["--rules", str(rule.path)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    # cfn-guard exits 19 when a rule fails and 0 when none does; anything else is its own error.
    if proc.returncode not in (0, 19):
        raise BadInput(f"cfn-guard failed on {template.name} (exit {proc.returncode}): {proc.stderr.strip()[:300]}")
    stage, stack = locate(template)
    failures = []
    for report in json.loads(proc.stdout):
        for item in report.get("not_compliant", []):
            name = item.get("Rule", {}).get("name")
            rule = by_name.get(name)
            if rule is None:
                raise BadInput(f"cfn-guard reported rule '{name}', which no ct-*.guard file declares")
            dumped = json.dumps(item)
            message = CONTROL_MESSAGE.search(rule.text)
            title = f"[{message.group(1)}]: {message.group(2).strip()}" if message else rule.rule_id
            for logical_id in sorted(set(RESOURCE_PATH.findall(dumped))):
                meta = resources.get(logical_id, {}).get("Metadata", {})
                failures.append(Failure(rule.rule_id, stage, stack, template.name, logical_id,
                                        meta.get("aws:cdk:path", logical_id), title))
    return failures


def run(args: argparse.Namespace) -> int:
    non_prod, exceptions = load_exceptions(args.exceptions)
    rules = load_rules(args.rules)
    if not args.cfn_guard.is_file() or not os.access(args.cfn_guard, os.X_OK):
        raise BadInput(f"cfn-guard not found at {args.cfn_guard} (run npm ci)")
    templates = sorted(p for t in args.templates
                       for p in ([t] if t.is_file() else Path(t).rglob("*.template.json")))
    if not templates:
        raise BadInput("no templates to check (run bin/gitops synth)")
    exports = exports_of(templates)
    workers = max(1, min(len(templates), os.cpu_count() or 1))
    with tempfile.TemporaryDirectory(prefix="control-tower-") as scratch, \
            concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        batches = pool.map(lambda t: check_template(args.cfn_guard, rules, t, exports, Path(scratch)), templates)
        failures = [f for batch in batches for f in batch]
    unaccepted = []
    for failure in failures:
        covering = [e for e in exceptions if e.covers(failure, non_prod)]
        for e in covering:
            e.used += 1
        if not covering:
            unaccepted.append(failure)
    if args.report:
        print_report(failures, exceptions, non_prod)
    for f in unaccepted:
        print(f"FAIL {f.rule_id} {f.stage}/{f.stack} {f.cdk_path}: {f.message}")
    stale = [e for e in exceptions if e.used == 0]
    for e in stale:
        print(f"STALE exception {e.rule} (scope {e.scope}, stacks {e.stacks}, resources {e.resources}) "
              f"matched no failing control: remove it from {args.exceptions.name}")
    pairs = {(f.rule_id, f.template) for f in failures}
    print(f"control-tower: {len(templates)} templates, {len(rules)} controls, "
          f"{len({f.rule_id for f in failures})} failing controls in {len(pairs)} template x control pairs, "
          f"{len(failures) - len(unaccepted)} resource findings accepted by {sum(1 for e in exceptions if e.used)} "
          f"exceptions, {len(unaccepted)} not accepted, {len(stale)} stale exceptions")
    return 1 if unaccepted or stale else 0


def print_report(failures: list[Failure], exceptions: list[Exception_], non_prod: set[str]) -> None:
    """Every failing control per stage and stack, and whether an exception accepts it."""
    for f in sorted(failures, key=lambda f: (f.rule_id, f.stage, f.stack, f.cdk_path)):
        covering = next((e for e in exceptions if e.covers(f, non_prod)), None)
        verdict = f"accepted ({covering.because}, {covering.scope})" if covering else "NOT ACCEPTED"
        print(f"{f.rule_id:32} {f.stage:8} {f.stack:14} {f.cdk_path}  {verdict}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cfn-guard", type=Path, required=True, help="the cfn-guard binary")
    parser.add_argument("--rules", type=Path, required=True, help="directory holding the ct-*.guard rules")
    parser.add_argument("--exceptions", type=Path, required=True, help="the reviewed exceptions file")
    parser.add_argument("--report", action="store_true", help="also list every failing control, accepted or not")
    parser.add_argument("templates", type=Path, nargs="+", help="templates, or directories searched for *.template.json")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except BadInput as e:
        print(f"control-tower: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
