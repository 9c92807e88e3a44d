#!/usr/bin/env bash
# Promotes releases by digest: reads each service's release parameter in SOURCE_ENV and writes it,
# unchanged, into TARGET_ENV. Every value is checked before anything is written, so a promotion
# either copies all services or none. A value not of the form <repository-uri>@sha256:<64 hex digits>,
# or still at the placeholder image while the target runs a real release, stops the promotion (and the
# pipeline) with the reason. A service still at the placeholder in both environments has nothing to
# promote: the target keeps its placeholder (a fresh account's first run).
#
# The evidence: a digest is promoted only if SOURCE_ENV's ledger judged that very image HEALTHY, at
# least SOAK_SECONDS ago, and it is HEALTHY still. ROLLING_OUT (not judged yet), FAILED, ROLLED_BACK,
# SUPERSEDED, any other status (a rejected push) and an image the ledger never recorded are refused, one
# line per service with the reason. An operator overrides a refusal for one digest of one service with
# the parameter OVERRIDE_PATH<service> = "sha256:<64 hex> <reason>" in the target's account (SSM console):
# it admits only the digest it names, and its reason is recorded with the promotion (and shown by the
# release report before the prod approval). Format, registry and pull problems cannot be overridden.
#
# The target's release parameters must always name what runs. So the step records, per service it
# changes, a PENDING record (RECORD_PATH<service>: previous and promoted value, evidence, override)
# before it writes; the post-step of the target's Compute stack (PROMOTE_MODE=confirm) marks them
# CONFIRMED once CloudFormation applied them; and whatever is still PENDING when a promotion starts (or
# when PROMOTE_MODE=restore runs) was never applied (the Compute stack failed and rolled back, or never
# ran), so the previous value is written back, unless something else changed the parameter since.
#
# Environment (set by the pipeline step; all required unless marked):
#   PROMOTE_MODE                      promote (default), confirm or restore
#   SOURCE_ENV, TARGET_ENV            environment names, for messages
#   SOURCE_ROLE_ARN, TARGET_ROLE_ARN  promotion roles of the two environments (assumed in turn)
#   SOURCE_REGION, TARGET_REGION      their regions
#   SOURCE_PATH, TARGET_PATH          release parameter paths, e.g. /gitops/dev/release/
#   SOURCE_WIRING                     the source's operator wiring parameter (its ledger table, LEDGER_TABLE)
#   SOAK_SECONDS                      how long a digest must have been HEALTHY in the source (0: judged is enough)
#   RECORD_PATH, OVERRIDE_PATH        the target's promotion record and override parameter paths
#   PIPELINE_EXECUTION_ID             (optional) written into the records
#   SERVICES                          space-separated service names
#   PLACEHOLDER_IMAGE                 the image the source environment starts from (never promoted)
#   TARGET_PLACEHOLDER_IMAGE          the target's own (each environment pulls it from its own ECR)
#   RELEASE_PATTERN                   extended regex a release must match (anchored here)
#   TARGET_ACCOUNT                    account whose task execution roles will pull the images
#   REGISTRY_ENV, REGISTRY_ACCOUNT,   the environment whose ECR repositories hold the promoted
#   REGISTRY_REGION, REGISTRY_ROLE_ARN  digests (dev), and its promotion role (read-only ECR here)
#
# Before anything is written, each digest is also checked where it lives (the registry): it must be
# an image of REGISTRY_ACCOUNT's ECR in REGISTRY_REGION, the digest must exist there, and the
# repository's policy must allow TARGET_ACCOUNT the pull actions (unless the target is the
# registry's own account). What this cannot see: the target's execution role (its policy and the
# principal tag the repository policy's condition asks for; the compute template provides both and
# CrossAccountPullTest pins them), the policy's conditions (not evaluated here), the KMS side (ECR
# decrypts under its own grants), the network path, and the image's CPU architecture.
# Once every check passes, each digest is tagged promoted-<target>-<hex> in the registry (which
# keeps such images, see protect_release), and only then is anything written to the target.
set -euo pipefail

# Prints why VALUE cannot be promoted, or nothing when it can.
release_problem() {
  local value="$1"
  if [[ -z "$value" || "$value" == "None" ]]; then
    echo "is empty"
  elif [[ "$value" == "$PLACEHOLDER_IMAGE" ]]; then
    echo "is still the placeholder image: nothing has been released to $SOURCE_ENV for this service yet"
  elif [[ ! "$value" =~ ^(${RELEASE_PATTERN})$ ]]; then
    echo "is malformed ('$value'): expected <repository-uri>@sha256:<64 lowercase hex digits>"
  fi
  return 0
}

# Prints "key secret token" of a session of role $1.
assume() {
  aws sts assume-role --role-arn "$1" \
    --role-session-name "promote-${SOURCE_ENV}-to-${TARGET_ENV}" --duration-seconds 900 \
    --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text
}

# Runs the rest of the command line with the credentials "$1" (as printed by assume).
with_creds() {
  local key secret token
  read -r key secret token <<<"$1"; shift
  AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" AWS_SESSION_TOKEN="$token" "$@"
}

read_parameter() { # region name
  aws ssm get-parameter --region "$1" --name "$2" --query Parameter.Value --output text
}

# An image of a private ECR registry, by digest: account, region, repository, digest.
ECR_IMAGE='^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/([a-z0-9._/-]+)@(sha256:[0-9a-f]{64})$'

# Prints why the target account cannot pull VALUE (a release that passed release_problem), or
# nothing when it can. Runs with the registry's credentials.
pull_problem() {
  local value="$1"
  if [[ ! "$value" =~ $ECR_IMAGE ]]; then
    echo "is not an image in a private ECR registry: $TARGET_ENV pulls only from $REGISTRY_ENV's repositories ($REGISTRY_ACCOUNT, $REGISTRY_REGION)"
    return 0
  fi
  local account="${BASH_REMATCH[1]}" region="${BASH_REMATCH[2]}" repo="${BASH_REMATCH[4]}" digest="${BASH_REMATCH[5]}"
  if [[ "$account" != "$REGISTRY_ACCOUNT" || "$region" != "$REGISTRY_REGION" ]]; then
    echo "is in registry $account/$region, not in $REGISTRY_ENV's ($REGISTRY_ACCOUNT/$REGISTRY_REGION), whose repositories admit $TARGET_ENV"
    return 0
  fi
  local out
  if ! out="$(aws ecr describe-images --region "$region" --registry-id "$account" --repository-name "$repo" \
      --image-ids "imageDigest=$digest" --query 'imageDetails[0].imageDigest' --output text 2>&1)" \
      || [[ "$out" != "$digest" ]]; then
    echo "names digest $digest, which repository $repo does not hold (or cannot be read): ${out//$'\n'/ }"
    return 0
  fi
  if [[ "$account" == "$TARGET_ACCOUNT" ]]; then
    return 0 # same account: the execution role's own policy is enough
  fi
  if ! out="$(aws ecr get-repository-policy --region "$region" --registry-id "$account" --repository-name "$repo" \
      --query policyText --output text 2>&1)"; then
    echo "is in repository $repo, whose policy cannot be read or does not exist, so account $TARGET_ACCOUNT cannot pull it: ${out//$'\n'/ }"
    return 0
  fi
  if ! POLICY="$out" python3 - "$TARGET_ACCOUNT" <<'PY'
import json, os, sys
account = sys.argv[1]
needed = {"ecr:batchgetimage", "ecr:getdownloadurlforlayer", "ecr:batchchecklayeravailability"}
def as_list(v):
    return v if isinstance(v, list) else [v]
def names(principal):
    if principal == "*":
        return True
    aws = as_list(principal.get("AWS", [])) if isinstance(principal, dict) else []
    return any(p == "*" or p == account or p.endswith(":iam::" + account + ":root") for p in aws)
def covers(actions):
    acts = [a.lower() for a in as_list(actions)]
    return all(any(a == n or a in ("*", "ecr:*") for a in acts) for n in needed)
policy = json.loads(os.environ["POLICY"])
ok = any(s.get("Effect") == "Allow" and names(s.get("Principal", {})) and covers(s.get("Action", []))
         for s in as_list(policy.get("Statement", [])))
sys.exit(0 if ok else 1)
PY
  then
    echo "is in repository $repo, whose policy does not allow account $TARGET_ACCOUNT ecr:BatchGetImage, ecr:GetDownloadUrlForLayer and ecr:BatchCheckLayerAvailability"
  fi
  return 0
}

# Tags the digest of VALUE (checked by pull_problem) in the registry with promoted-<target>-<hex>,
# which the registry's lifecycle rules keep: without it, dev's "keep the last 30 images" rule would
# eventually expire an image test or prod still runs (and pull on every task start). Adding a tag to
# an existing digest is ECR's documented retag (BatchGetImage, then PutImage of the same manifest);
# the tag names the digest, so a repeated promotion finds it already there.
protect_release() {
  local value="$1"
  [[ "$value" =~ $ECR_IMAGE ]] || { echo "not an ECR image: $value"; return 1; }
  local account="${BASH_REMATCH[1]}" region="${BASH_REMATCH[2]}" repo="${BASH_REMATCH[4]}" digest="${BASH_REMATCH[5]}"
  local tag="promoted-${TARGET_ENV}-${digest#sha256:}" manifest media out
  manifest="$(aws ecr batch-get-image --region "$region" --registry-id "$account" --repository-name "$repo" \
    --image-ids "imageDigest=$digest" --query 'images[0].imageManifest' --output text)" || return 1
  media="$(aws ecr batch-get-image --region "$region" --registry-id "$account" --repository-name "$repo" \
    --image-ids "imageDigest=$digest" --query 'images[0].imageManifestMediaType' --output text)" || return 1
  if ! out="$(aws ecr put-image --region "$region" --registry-id "$account" --repository-name "$repo" \
      --image-manifest "$manifest" --image-manifest-media-type "$media" --image-digest "$digest" \
      --image-tag "$tag" 2>&1)"; then
    [[ "$out" == *ImageAlreadyExistsException* ]] || { echo "$out"; return 1; }
  fi
  return 0
}

# Prints why SOURCE_ENV's ledger does not let VALUE be promoted, or nothing when it does (HEALTHY for at
# least SOAK_SECONDS). Runs with the source's credentials; $1 is the ledger table.
evidence_problem() {
  local table="$1" value="$2" out
  if ! out="$(aws dynamodb scan --region "$SOURCE_REGION" --table-name "$table" \
      --filter-expression '#t = :d AND #i = :i' --expression-attribute-names '{"#t":"type","#i":"image"}' \
      --expression-attribute-values "{\":d\":{\"S\":\"DEPLOYMENT\"},\":i\":{\"S\":\"$value\"}}" \
      --output json 2>&1)"; then
    echo "cannot be judged: $SOURCE_ENV's ledger $table cannot be read: ${out//$'\n'/ }"
    return 0
  fi
  LEDGER_ITEMS="$out" python3 - "$SOURCE_ENV" "$SOAK_SECONDS" <<'PY'
import datetime, json, os, sys
env, soak = sys.argv[1], int(sys.argv[2])
items = [{k: next(iter(v.values())) for k, v in i.items()} for i in json.loads(os.environ["LEDGER_ITEMS"]).get("Items", [])]
if not items:
    print(f"is unknown to {env}'s ledger: no deployment of this image was recorded there, so nothing judged it")
    sys.exit(0)
item = max(items, key=lambda i: i.get("statusChangedAt") or i.get("updatedAt") or "")
status = item.get("status")
if status == "ROLLING_OUT" and item.get("supersededBy"):
    status = "SUPERSEDED"  # docs/ledger.md: superseded but never rewritten
reasons = [r.get("S") if isinstance(r, dict) else r for r in (item.get("reasons") or [])]
last = f" ({reasons[-1]})" if reasons and isinstance(reasons[-1], str) else ""
if status == "HEALTHY":
    since = item.get("statusChangedAt") or ""
    try:
        at = datetime.datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        print(f"is HEALTHY in {env}, but since when is not recorded ('{since}'), so its soak cannot be measured")
        sys.exit(0)
    age = (datetime.datetime.now(datetime.timezone.utc) - at).total_seconds()
    if age < soak:
        ready = (at + datetime.timedelta(seconds=soak)).strftime("%Y-%m-%dT%H:%M:%SZ")
        print(f"has been HEALTHY in {env} for {int(age // 60)} min only (since {since}); the soak is "
              f"{soak // 60} min: promotable from {ready}")
elif status == "ROLLING_OUT":
    print(f"is still ROLLING_OUT in {env}: not judged yet{last}")
elif status in ("FAILED", "ROLLED_BACK"):
    print(f"was judged {status} in {env}{last}")
elif status == "SUPERSEDED":
    print(f"was SUPERSEDED in {env} by {item.get('supersededBy')} before it was judged")
else:
    print(f"was rejected in {env}: ledger status {status}{last}")
PY
}

# Prints "<reason>" when OVERRIDE_PATH<service> admits VALUE's digest, nothing otherwise; "STALE <digest>"
# when it names another digest. Runs with the target's credentials.
override_for() {
  local service="$1" value="$2" text digest reason
  text="$(read_parameter "$TARGET_REGION" "${OVERRIDE_PATH}${service}" 2>/dev/null)" || return 0
  digest="${text%% *}"
  reason="${text#"$digest"}"
  reason="${reason#"${reason%%[![:space:]]*}"}"
  if [[ "$digest" != "${value##*@}" ]]; then
    echo "STALE $digest"
  elif [[ -n "$reason" ]]; then
    echo "$reason"
  fi
  return 0
}

# The promotion record of a service, as JSON (empty when there is none). Target credentials.
read_record() {
  read_parameter "$TARGET_REGION" "${RECORD_PATH}$1" 2>/dev/null || true
}

# Writes the record of a service: state previous promoted evidence override.
write_record() {
  local json
  json="$(python3 -c 'import json, sys; k = ["state", "previous", "promoted", "evidence", "override", "execution", "at"]
print(json.dumps({a: (b or None) for a, b in zip(k, sys.argv[1:])}, separators=(",", ":")))' \
    "$2" "$3" "$4" "$5" "$6" "${PIPELINE_EXECUTION_ID:-}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
  aws ssm put-parameter --region "$TARGET_REGION" --name "${RECORD_PATH}$1" --type String --overwrite \
    --value "$json" >/dev/null
}

record_field() { # json field
  python3 -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2]) or "")' "$1" "$2"
}

# Settles every PENDING record: CONFIRMED (the stage applied the promoted values), or RESTORED (it never
# did: the previous value goes back, if the parameter still names the promoted one). Target credentials.
settle() {
  local outcome="$1" service record previous promoted execution current override evidence
  for service in $SERVICES; do
    record="$(read_record "$service")"
    [[ "$record" == *'"state":"PENDING"'* ]] || continue
    local state
    IFS=$'\x1f' read -r state previous promoted execution override evidence < <(python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print("\x1f".join(str(r.get(k) or "") for k in ("state", "previous", "promoted", "execution", "override", "evidence")))' "$record")
    if [[ "$outcome" == CONFIRMED ]]; then
      write_record "$service" CONFIRMED "$previous" "$promoted" "$evidence" "$override"
      echo "$service: $promoted confirmed in $TARGET_ENV${override:+ (override: $override)}"
      continue
    fi
    current="$(read_parameter "$TARGET_REGION" "${TARGET_PATH}${service}" 2>/dev/null || true)"
    if [[ "$current" == "$promoted" ]]; then
      aws ssm put-parameter --region "$TARGET_REGION" --name "${TARGET_PATH}${service}" --type String \
        --overwrite --value "$previous" >/dev/null
      echo "$service: restored $previous in $TARGET_ENV: the promotion of $promoted${execution:+ (execution $execution)} was never applied (its stage's deployment did not succeed)"
    else
      echo "$service: left at ${current:-<none>} in $TARGET_ENV: the unapplied promotion of $promoted was already replaced"
    fi
    write_record "$service" RESTORED "$previous" "$promoted" "$evidence" "$override"
  done
}

main() {
  local var mode="${PROMOTE_MODE:-promote}"
  for var in SOURCE_ENV TARGET_ENV SOURCE_ROLE_ARN TARGET_ROLE_ARN SOURCE_REGION TARGET_REGION \
      SOURCE_PATH TARGET_PATH SOURCE_WIRING SOAK_SECONDS RECORD_PATH OVERRIDE_PATH SERVICES PLACEHOLDER_IMAGE \
      TARGET_PLACEHOLDER_IMAGE \
      RELEASE_PATTERN TARGET_ACCOUNT REGISTRY_ENV REGISTRY_ACCOUNT REGISTRY_REGION REGISTRY_ROLE_ARN; do
    [[ -n "${!var:-}" ]] || { echo "promote: $var is not set" >&2; exit 2; }
  done
  [[ "$SOAK_SECONDS" =~ ^[0-9]+$ ]] || { echo "promote: SOAK_SECONDS must be a number of seconds, not '$SOAK_SECONDS'" >&2; exit 2; }
  local source_creds target_creds
  target_creds="$(assume "$TARGET_ROLE_ARN")" || {
    echo "PROMOTION BLOCKED: cannot assume $TARGET_ROLE_ARN ($TARGET_ENV's Storage stack creates it)" >&2; exit 1; }
  case "$mode" in
    confirm) with_creds "$target_creds" settle CONFIRMED; return 0 ;;
    restore) with_creds "$target_creds" settle RESTORED; return 0 ;;
    promote) ;;
    *) echo "promote: PROMOTE_MODE must be promote, confirm or restore, not '$mode'" >&2; exit 2 ;;
  esac
  echo "Promoting releases $SOURCE_ENV -> $TARGET_ENV: $SERVICES"
  # A promotion still PENDING was never applied: put back what runs before judging anything new.
  with_creds "$target_creds" settle RESTORED
  source_creds="$(assume "$SOURCE_ROLE_ARN")" || {
    echo "PROMOTION BLOCKED: cannot assume $SOURCE_ROLE_ARN ($SOURCE_ENV's Storage stack creates it)" >&2; exit 1; }

  local registry_creds="$source_creds"
  if [[ "$REGISTRY_ROLE_ARN" != "$SOURCE_ROLE_ARN" ]]; then
    registry_creds="$(assume "$REGISTRY_ROLE_ARN")" || {
      echo "PROMOTION BLOCKED: cannot assume $REGISTRY_ROLE_ARN ($REGISTRY_ENV's Storage stack creates it)" >&2; exit 1; }
  fi

  local -A release=() current=() evidence=() override=()
  local problems=() notes=() service value ledger="" ledger_problem=""
  local wiring
  if wiring="$(with_creds "$source_creds" read_parameter "$SOURCE_REGION" "$SOURCE_WIRING" 2>&1)"; then
    ledger="$(record_field "$wiring" LEDGER_TABLE 2>/dev/null || true)"
    [[ -n "$ledger" ]] || ledger_problem="$SOURCE_WIRING names no LEDGER_TABLE"
  else
    ledger_problem="$SOURCE_WIRING cannot be read: ${wiring//$'\n'/ }"
  fi
  for service in $SERVICES; do
    if ! value="$(with_creds "$source_creds" read_parameter "$SOURCE_REGION" "${SOURCE_PATH}${service}" 2>&1)"; then
      problems+=("$service: ${SOURCE_PATH}${service} cannot be read: ${value//$'\n'/ }")
      continue
    fi
    current[$service]="$(with_creds "$target_creds" read_parameter "$TARGET_REGION" "${TARGET_PATH}${service}" 2>/dev/null || true)"
    if [[ "$value" == "$PLACEHOLDER_IMAGE" && ( -z "${current[$service]}" || "${current[$service]}" == "$TARGET_PLACEHOLDER_IMAGE" ) ]]; then
      notes+=("$service: nothing released to $SOURCE_ENV yet: $TARGET_ENV keeps the placeholder image")
      continue
    fi
    local problem
    problem="$(release_problem "$value")"
    if [[ -z "$problem" ]]; then
      problem="$(with_creds "$registry_creds" pull_problem "$value")"
    fi
    if [[ -n "$problem" ]]; then
      problems+=("$service: ${SOURCE_PATH}${service} $problem")
      continue
    fi
    release[$service]="$value"
    if [[ "${current[$service]}" == "$value" ]]; then
      continue # already there: no new evidence needed to keep what runs
    fi
    local judged
    if [[ -n "$ledger_problem" ]]; then
      judged="cannot be judged: $SOURCE_ENV's ledger cannot be found ($ledger_problem)"
    else
      judged="$(with_creds "$source_creds" evidence_problem "$ledger" "$value")"
    fi
    if [[ -z "$judged" ]]; then
      evidence[$service]="HEALTHY in $SOURCE_ENV for at least $((SOAK_SECONDS / 60)) min"
      notes+=("$service: ${value##*@} ${evidence[$service]}")
      continue
    fi
    local admitted
    admitted="$(with_creds "$target_creds" override_for "$service" "$value")"
    if [[ -n "$admitted" && "$admitted" != STALE\ * ]]; then
      override[$service]="$admitted"
      evidence[$service]="OVERRIDDEN: ${value##*@} $judged"
      notes+=("$service: OVERRIDE (${admitted}): promoting although ${value##*@} $judged")
    else
      local stale=""
      [[ "$admitted" == STALE\ * ]] && stale=" (${OVERRIDE_PATH}${service} names ${admitted#STALE }, not this digest)"
      problems+=("$service: ${value##*@} $judged$stale")
    fi
  done
  if ((${#notes[@]})); then
    printf '%s\n' "${notes[@]}"
  fi
  if ((${#problems[@]})); then
    echo "PROMOTION BLOCKED: nothing was written to $TARGET_ENV." >&2
    printf '  - %s\n' "${problems[@]}" >&2
    exit 1
  fi

  for service in "${!release[@]}"; do
    local out
    if ! out="$(with_creds "$registry_creds" protect_release "${release[$service]}" 2>&1)"; then
      echo "PROMOTION BLOCKED: nothing was written to $TARGET_ENV." >&2
      echo "  - $service: cannot tag ${release[$service]} in $REGISTRY_ENV as promoted (its lifecycle rules would expire it): ${out//$'\n'/ }" >&2
      exit 1
    fi
  done

  # Every record first, then every value: whatever is written is covered by a PENDING record.
  for service in $SERVICES; do
    [[ -n "${release[$service]:-}" && "${current[$service]}" != "${release[$service]}" ]] || continue
    with_creds "$target_creds" write_record "$service" PENDING "${current[$service]}" "${release[$service]}" \
      "${evidence[$service]:-}" "${override[$service]:-}"
  done
  for service in $SERVICES; do
    [[ -n "${release[$service]:-}" ]] || continue
    local name="${TARGET_PATH}${service}"
    if [[ "${current[$service]}" == "${release[$service]}" ]]; then
      echo "$service: already at ${release[$service]}"
      continue
    fi
    with_creds "$target_creds" aws ssm put-parameter --region "$TARGET_REGION" --name "$name" \
      --type String --overwrite --value "${release[$service]}" >/dev/null
    echo "$service: ${current[$service]:-<none>} -> ${release[$service]} (pending until $TARGET_ENV's Compute stack applies it)"
  done
  echo "Promoted $SOURCE_ENV -> $TARGET_ENV."
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
