# summary: operate releases: status ENV | history ENV SERVICE | rollback ENV SERVICE [--to DIGEST] | freeze ENV [SERVICE] --reason TEXT | unfreeze ENV [SERVICE] | redrive ENV [--dry-run]
# Sourced by bin/gitops. Runs io.gitops.sandbox.cli.OperatorCli: against the running sandbox when it runs ENV
# (bin/gitops sandbox up), otherwise against the account of the current AWS credentials (the SDK's default
# chain). Exit: 0 done, 1 busy (try again) or an AWS failure, 2 bad input or a refusal.
gitops::operator_cli release "$@"
