#!/usr/bin/env bash
# Promotes releases by digest: reads each service's release parameter in SOURCE_ENV and writes it,
# unchanged, into TARGET_ENV. Every value is checked before anything is written, so a promotion
# either copies all services or none. A value still at the placeholder image, or not of the form
# <repository-uri>@sha256:<64 hex digits>, stops the promotion (and the pipeline) with the reason.
#
# Environment (set by the pipeline step; all required):
#   SOURCE_ENV, TARGET_ENV            environment names, for messages
#   SOURCE_ROLE_ARN, TARGET_ROLE_ARN  promotion roles of the two environments (assumed in turn)
#   SOURCE_REGION, TARGET_REGION      their regions
#   SOURCE_PATH, TARGET_PATH          release parameter paths, e.g. /gitops/dev/release/
#   SERVICES                          space-separated service names
#   PLACEHOLDER_IMAGE                 the image fresh environments start from (never promoted)
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

main() {
  local var
  for var in SOURCE_ENV TARGET_ENV SOURCE_ROLE_ARN TARGET_ROLE_ARN SOURCE_REGION TARGET_REGION \
      SOURCE_PATH TARGET_PATH SERVICES PLACEHOLDER_IMAGE RELEASE_PATTERN \
      TARGET_ACCOUNT REGISTRY_ENV REGISTRY_ACCOUNT REGISTRY_REGION REGISTRY_ROLE_ARN; do
    [[ -n "${!var:-}" ]] || { echo "promote: $var is not set" >&2; exit 2; }
  done
  echo "Promoting releases $SOURCE_ENV -> $TARGET_ENV: $SERVICES"
  local source_creds target_creds
  source_creds="$(assume "$SOURCE_ROLE_ARN")" || {
    echo "PROMOTION BLOCKED: cannot assume $SOURCE_ROLE_ARN ($SOURCE_ENV's Storage stack creates it)" >&2; exit 1; }
  target_creds="$(assume "$TARGET_ROLE_ARN")" || {
    echo "PROMOTION BLOCKED: cannot assume $TARGET_ROLE_ARN ($TARGET_ENV's Storage stack creates it)" >&2; exit 1; }

  local registry_creds="$source_creds"
  if [[ "$REGISTRY_ROLE_ARN" != "$SOURCE_ROLE_ARN" ]]; then
    registry_creds="$(assume "$REGISTRY_ROLE_ARN")" || {
      echo "PROMOTION BLOCKED: cannot assume $REGISTRY_ROLE_ARN ($REGISTRY_ENV's Storage stack creates it)" >&2; exit 1; }
  fi

  local -A release=()
  local problems=() service value
  for service in $SERVICES; do
    if ! value="$(with_creds "$source_creds" read_parameter "$SOURCE_REGION" "${SOURCE_PATH}${service}" 2>&1)"; then
      problems+=("$service: ${SOURCE_PATH}${service} cannot be read: ${value//$'\n'/ }")
      continue
    fi
    local problem
    problem="$(release_problem "$value")"
    if [[ -z "$problem" ]]; then
      problem="$(with_creds "$registry_creds" pull_problem "$value")"
    fi
    if [[ -n "$problem" ]]; then
      problems+=("$service: ${SOURCE_PATH}${service} $problem")
    else
      release[$service]="$value"
    fi
  done
  if ((${#problems[@]})); then
    echo "PROMOTION BLOCKED: nothing was written to $TARGET_ENV." >&2
    printf '  - %s\n' "${problems[@]}" >&2
    exit 1
  fi

  for service in $SERVICES; do
    local out
    if ! out="$(with_creds "$registry_creds" protect_release "${release[$service]}" 2>&1)"; then
      echo "PROMOTION BLOCKED: nothing was written to $TARGET_ENV." >&2
      echo "  - $service: cannot tag ${release[$service]} in $REGISTRY_ENV as promoted (its lifecycle rules would expire it): ${out//$'\n'/ }" >&2
      exit 1
    fi
  done

  for service in $SERVICES; do
    local name="${TARGET_PATH}${service}" current
    current="$(with_creds "$target_creds" read_parameter "$TARGET_REGION" "$name" 2>/dev/null || true)"
    if [[ "$current" == "${release[$service]}" ]]; then
      echo "$service: already at ${release[$service]}"
      continue
    fi
    with_creds "$target_creds" aws ssm put-parameter --region "$TARGET_REGION" --name "$name" \
      --type String --overwrite --value "${release[$service]}" >/dev/null
    echo "$service: ${current:-<none>} -> ${release[$service]}"
  done
  echo "Promoted $SOURCE_ENV -> $TARGET_ENV."
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
