# summary: DORA's five delivery measures from the ledger, per service and in total: dora ENV [--days N] (docs/dora.md)
# Sourced by bin/gitops. Same target as 'release': the running sandbox when it runs ENV, otherwise the account of
# the current AWS credentials. Exit: 0 printed, 1 an AWS failure, 2 bad input.
gitops::operator_cli dora "$@"
