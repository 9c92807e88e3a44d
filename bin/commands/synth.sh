# summary: build, then synthesize the pipeline and every stage into cdk.out (offline, no credentials)
gitops::build
gitops::synth "$@"
gitops::log "cloud assembly written to cdk.out"
