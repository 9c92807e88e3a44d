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

main() {
  local var
  for var in SOURCE_ENV TARGET_ENV SOURCE_ROLE_ARN TARGET_ROLE_ARN SOURCE_REGION TARGET_REGION \
      SOURCE_PATH TARGET_PATH SERVICES PLACEHOLDER_IMAGE RELEASE_PATTERN; do
    [[ -n "${!var:-}" ]] || { echo "promote: $var is not set" >&2; exit 2; }
  done
  echo "Promoting releases $SOURCE_ENV -> $TARGET_ENV: $SERVICES"
  local source_creds target_creds
  source_creds="$(assume "$SOURCE_ROLE_ARN")" || {
    echo "PROMOTION BLOCKED: cannot assume $SOURCE_ROLE_ARN ($SOURCE_ENV's Storage stack creates it)" >&2; exit 1; }
  target_creds="$(assume "$TARGET_ROLE_ARN")" || {
    echo "PROMOTION BLOCKED: cannot assume $TARGET_ROLE_ARN ($TARGET_ENV's Storage stack creates it)" >&2; exit 1; }

  local -A release=()
  local problems=() service value
  for service in $SERVICES; do
    if ! value="$(with_creds "$source_creds" read_parameter "$SOURCE_REGION" "${SOURCE_PATH}${service}" 2>&1)"; then
      problems+=("$service: ${SOURCE_PATH}${service} cannot be read: ${value//$'\n'/ }")
      continue
    fi
    local problem
    problem="$(release_problem "$value")"
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
