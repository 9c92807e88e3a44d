# summary: the release report before a promotion (e.g. diff test prod): digests, ledger, stack and IAM/SG changes
# Usage: bin/gitops diff FROM TO [--deployed DIR] [--role ENV=ARN ...] [--out FILE] [--json FILE]
# Reads the synthesized templates in cdk.out (GITOPS_CDK_OUT picks another; run 'bin/gitops synth' first) and
# the release state of a running sandbox (.sandbox/state.json) or, with none up, of the accounts of the
# current AWS credentials. The report is buildspecs/release_report.py, the same program the pipeline's
# Report-prod step runs (docs/release-report.md).
cd "$GITOPS_ROOT"
gitops::require python3
usage="usage: bin/gitops diff FROM TO [--deployed DIR] [--role ENV=ARN ...] [--out FILE] [--json FILE]"
if (($# < 2)) || [[ "$1" == -* || "$2" == -* ]]; then
  echo "gitops diff: FROM and TO environments are required; $usage" >&2
  exit 2
fi
assembly="${GITOPS_CDK_OUT:-cdk.out}"
if [[ ! -f "$assembly/manifest.json" ]]; then
  echo "gitops diff: no cloud assembly at $assembly (run 'bin/gitops synth' first)" >&2
  exit 2
fi
state="${GITOPS_SANDBOX_DIR:-.sandbox}/state.json"
source_args=()
if [[ -f "$state" ]]; then
  endpoint="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("endpoint",""))' "$state" 2>/dev/null || true)"
  if [[ "$endpoint" =~ ^http://127\.0\.0\.1:[0-9]+/?$ ]] && curl -s -o /dev/null --max-time 2 "${endpoint%/}/moto-api/"; then
    source_args=(--sandbox-state "$state")
    echo "(release state from the sandbox at $endpoint)" >&2
  fi
fi
if ((${#source_args[@]} == 0)); then
  # Never the instance metadata service: credentials come from the environment or the AWS config only.
  if ! AWS_EC2_METADATA_DISABLED=true python3 -c 'import boto3, sys; sys.exit(0 if boto3.Session().get_credentials() else 1)' 2>/dev/null; then
    echo "gitops diff: no running sandbox ('bin/gitops sandbox up') and no AWS credentials to read the accounts with" >&2
    exit 2
  fi
  echo "(release state from the accounts of the current AWS credentials)" >&2
fi
exec python3 buildspecs/release_report.py report --assembly "$assembly" --from "$1" --to "$2" "${source_args[@]}" "${@:3}"
