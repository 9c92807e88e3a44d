# summary: list every failing AWS Control Tower control per template, and whether an exception accepts it (needs cdk.out)
[[ -d "$GITOPS_ROOT/cdk.out" ]] || gitops::die "no cdk.out: run 'bin/gitops synth' first"
gitops::ensure_node_modules
gitops::control_tower_gate --report "$@"
