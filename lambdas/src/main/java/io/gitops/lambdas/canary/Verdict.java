package io.gitops.lambdas.canary;

/** The result of one measurement of one check. */
public enum Verdict { PASS, FAIL, INCONCLUSIVE }
