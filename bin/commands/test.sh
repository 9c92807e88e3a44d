# summary: the full test suite: unit and emulator tests, synth, cdk-nag, cfn-lint and the Control Tower controls on every template
started=$SECONDS
gitops::ensure_python_tools
gitops::ensure_node_modules

# 1. Every module's tests (the lambda jar is packaged before the CDK modules' tests need it),
#    including the CDK template, contract and cdk-nag tests.
gitops::log "running the test suite (mvn package)"
(cd "$GITOPS_ROOT" && "${GITOPS_MVN[@]}" package dependency:build-classpath \
    -DincludeScope=runtime -Dmdep.outputFile=target/classpath.txt "$@")

# Maven runs quietly; count what Surefire ran from its reports so the total is visible. The newline
# first: Maven's last output line may end without one.
echo
python3 - "$GITOPS_ROOT" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
tests = failed = skipped = 0
# Modules sit one or two levels down (tools/cost).
reports = [r for level in ("/*", "/*/*") for r in glob.glob(sys.argv[1] + level + "/target/surefire-reports/TEST-*.xml")]
for report in reports:
    suite = ET.parse(report).getroot()
    tests += int(suite.get("tests", 0))
    failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    skipped += int(suite.get("skipped", 0))
print(f"junit: {tests - failed - skipped} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if tests == 0 or failed else 0)
PY

# 2. The real app through the CDK CLI (cdk-nag runs as a validation plugin: findings fail synth).
gitops::log "synthesizing the app (cdk-nag on every stack)"
gitops::synth

# 3. cfn-lint on every template of every stage; accepted warnings are listed in .cfnlintrc.yaml.
gitops::log "cfn-lint on every template"
mapfile -t templates < <(find "$GITOPS_ROOT/cdk.out" -name '*.template.json' | sort)
((${#templates[@]} > 3)) || gitops::die "expected the pipeline and stage templates in cdk.out, found ${#templates[@]}"
(cd "$GITOPS_ROOT" && cfn-lint --non-zero-exit-code error -- "${templates[@]}")
gitops::log "cfn-lint: ${#templates[@]} templates, no errors"

# 4. AWS Control Tower's proactive controls (cfn-guard) on every template; exceptions are reviewed
#    in .cfn-guard-exceptions.yaml.
gitops::log "Control Tower controls on every template"
gate_started=$SECONDS
gitops::control_tower_gate
gitops::log "Control Tower gate passed in $((SECONDS - gate_started)) s"

gitops::log "all checks passed in $((SECONDS - started)) s"
