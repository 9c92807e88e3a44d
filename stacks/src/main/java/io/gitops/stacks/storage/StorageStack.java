package io.gitops.stacks.storage;

import io.gitops.stacks.PlatformStack;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.config.EnvironmentRef;
import io.gitops.stacks.config.ImagePulls;
import io.gitops.stacks.config.Promotion;
import io.gitops.stacks.config.ServiceConfig;
import io.gitops.stacks.security.SecurityStack;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.ecr.LifecycleRule;
import software.amazon.awscdk.services.ecr.Repository;
import software.amazon.awscdk.services.ecr.RepositoryEncryption;
import software.amazon.awscdk.services.ecr.TagMutability;
import software.amazon.awscdk.services.ecr.TagStatus;
import software.amazon.awscdk.services.iam.AccountPrincipal;
import software.amazon.awscdk.services.iam.ArnPrincipal;
import software.amazon.awscdk.services.iam.CompositePrincipal;
import software.amazon.awscdk.services.iam.IPrincipal;
import software.amazon.awscdk.services.iam.PolicyDocument;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.amazon.awscdk.services.s3.NoncurrentVersionTransition;
import software.amazon.awscdk.services.s3.ObjectOwnership;
import software.amazon.awscdk.services.s3.StorageClass;
import software.amazon.awscdk.services.ssm.IStringParameter;
import software.constructs.Construct;

/**
 * Container registries per service, the application buckets, and each service's release parameter
 * (see {@link ReleaseParameter} and docs/release-parameters.md).
 */
public class StorageStack extends PlatformStack {

  /** Tagged images kept per repository; older ones expire. */
  public static final int KEEP_TAGGED_IMAGES = 30;
  /** Untagged images (superseded manifests, failed pushes) expire after this many days. */
  public static final int UNTAGGED_EXPIRY_DAYS = 7;
  /**
   * The count of a "never expire" rule: ECR has no keep action, so a rule keeps what it selects by
   * allowing more images than a repository will ever hold under that tag prefix (the idiom of the
   * CDK's own LifecycleRule example). An image matched by this rule's tags is then never expired by a
   * lower-priority rule (ECR user guide, "Lifecycle policy evaluation rules").
   */
  public static final int NEVER_EXPIRE_COUNT = 9999;
  /** Tag prefix the promotion step gives a digest it promotes (buildspecs/promote.sh). */
  public static final String PROMOTED_TAG_PREFIX = "promoted-";
  /**
   * Tag prefix the revision cleanup keeps on exactly the digests of this registry that its environment's
   * release parameter names or may roll back to ({@code released-<env>-<hex>}, docs/ledger.md).
   */
  public static final String RELEASED_TAG_PREFIX = "released-";

  private final Map<String, Repository> repositories = new LinkedHashMap<>();
  private final Map<String, IStringParameter> releaseParameters = new LinkedHashMap<>();
  private final Bucket accessLogsBucket;
  private final Bucket documentsBucket;
  private final Role promotionRole;
  private final S3PrefixList s3PrefixList;
  private final EcrPublicCache ecrPublicCache;

  public StorageStack(Construct scope, String id, EnvironmentConfig config, SecurityStack security) {
    super(scope, id, config, "ECR repositories, S3 buckets and release parameters");
    // Grant S3 log delivery through the bucket policy instead of the legacy LogDeliveryWrite ACL, so
    // the log bucket can keep ACLs disabled (BucketOwnerEnforced). Set on this stack's node so the
    // tests (a bare App) and cdk synth build the same template.
    getNode().setContext("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", true);
    RemovalPolicy removal = config.retainData() ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    for (ServiceConfig service : config.services()) {
      repositories.put(service.name(), Repository.Builder.create(this, service.name() + "Repository")
          .imageScanOnPush(true)
          .imageTagMutability(TagMutability.IMMUTABLE)
          .encryption(RepositoryEncryption.KMS)
          .encryptionKey(security.key())
          .removalPolicy(removal)
          .lifecycleRules(List.of(
              // First, so no later rule can expire what a release parameter names here: the revision
              // cleanup moves these tags daily (docs/ledger.md, "Release images").
              LifecycleRule.builder()
                  .rulePriority(1)
                  .description("Never expire the images the release parameters name (tagged " + RELEASED_TAG_PREFIX + "*)")
                  .tagStatus(TagStatus.TAGGED)
                  .tagPrefixList(List.of(RELEASED_TAG_PREFIX))
                  .maxImageCount(NEVER_EXPIRE_COUNT)
                  .build(),
              LifecycleRule.builder()
                  // Priority 2 is left to the promoted images' rule (shareImagesWithPullers).
                  .rulePriority(3)
                  .description("Expire untagged images after " + UNTAGGED_EXPIRY_DAYS + " days")
                  .tagStatus(TagStatus.UNTAGGED)
                  .maxImageAge(Duration.days(UNTAGGED_EXPIRY_DAYS))
                  .build(),
              LifecycleRule.builder()
                  .rulePriority(4)
                  .description("Keep the last " + KEEP_TAGGED_IMAGES + " images")
                  .tagStatus(TagStatus.ANY)
                  .maxImageCount(KEEP_TAGGED_IMAGES)
                  .build()))
          .build());
    }

    shareImagesWithPullers(config, security);

    // Destination of the documents bucket's server access logs. S3 server access logging only
    // delivers to SSE-S3 buckets, hence no KMS key here.
    accessLogsBucket = Bucket.Builder.create(this, "AccessLogsBucket")
        .encryption(BucketEncryption.S3_MANAGED)
        .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
        .enforceSsl(true)
        .minimumTlsVersion(1.2)
        .versioned(true)
        .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
        .lifecycleRules(List.of(software.amazon.awscdk.services.s3.LifecycleRule.builder()
            .id("expire-logs")
            .expiration(Duration.days(config.isProduction() ? 365 : 90))
            .noncurrentVersionExpiration(Duration.days(7))
            .abortIncompleteMultipartUploadAfter(Duration.days(1))
            .build()))
        .removalPolicy(removal)
        .build();

    documentsBucket = Bucket.Builder.create(this, "DocumentsBucket")
        .encryption(BucketEncryption.KMS)
        .encryptionKey(security.key())
        .bucketKeyEnabled(true)
        .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
        .enforceSsl(true)
        .minimumTlsVersion(1.2)
        .versioned(true)
        .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
        .serverAccessLogsBucket(accessLogsBucket)
        .serverAccessLogsPrefix("documents/")
        .lifecycleRules(List.of(software.amazon.awscdk.services.s3.LifecycleRule.builder()
            .id("tier-old-versions")
            .noncurrentVersionTransitions(List.of(NoncurrentVersionTransition.builder()
                .storageClass(StorageClass.INFREQUENT_ACCESS)
                .transitionAfter(Duration.days(30))
                .build()))
            .noncurrentVersionExpiration(Duration.days(config.isProduction() ? 365 : 30))
            .abortIncompleteMultipartUploadAfter(Duration.days(7))
            .build()))
        .removalPolicy(removal)
        .build();

    // The release parameters' custom-resource function gets its own role and log group, so its
    // permissions are exactly: write its log group, and create/tag/delete these parameters.
    LogGroup providerLogs = LogGroup.Builder.create(this, "ReleaseParameterProviderLogs")
        .retention(RetentionDays.ONE_YEAR)
        .encryptionKey(security.key())
        .removalPolicy(removal)
        .build();
    Role providerRole = Role.Builder.create(this, "ReleaseParameterProviderRole")
        .assumedBy(new ServicePrincipal("lambda.amazonaws.com"))
        .description("Creates the release parameters once (create-only custom resource)")
        .build();
    providerLogs.grantWrite(providerRole);
    ecrPublicCache = new EcrPublicCache(this, "EcrPublicCache", config.name(), providerRole, providerLogs);
    List<String> parameterArns = new ArrayList<>();
    for (ServiceConfig service : config.services()) {
      ReleaseParameter parameter = new ReleaseParameter(this, service.name() + "Release",
          releaseParameterName(config.name(), service.name()), config, providerRole, providerLogs);
      // A release parameter only ever names an image that can be pulled: the cached placeholder.
      parameter.resource().getNode().addDependency(ecrPublicCache.warmUp());
      releaseParameters.put(service.name(), parameter.parameter());
      parameterArns.add(parameter.parameterArn());
    }
    promotionRole = promotionRole(config, parameterArns);
    s3PrefixList = new S3PrefixList(this, "S3PrefixList", providerRole, providerLogs);
  }

  /** The pull-through cache rule for ECR Public and its warm-up (the placeholder image). */
  public EcrPublicCache ecrPublicCache() {
    return ecrPublicCache;
  }

  /** The region's S3 prefix list (the S3 gateway endpoint's destinations), for task egress rules. */
  public S3PrefixList s3PrefixList() {
    return s3PrefixList;
  }

  /**
   * The role the pipeline's promotion steps assume in this environment: the step promoting into it
   * (reads and writes its release parameters) and the step promoting out of it (reads them). It
   * trusts those two step roles by ARN, not the toolchain account as a whole, and can do nothing but
   * read (and, for a promotion target, write) this environment's release parameters.
   */
  private Role promotionRole(EnvironmentConfig config, List<String> parameterArns) {
    Promotion promotion = config.promotion();
    List<IPrincipal> trusted = new ArrayList<>();
    List<String> steps = new ArrayList<>();
    promotion.from().ifPresent(from -> steps.add(Promotion.stepRoleName(config.name())));
    promotion.to().ifPresent(to -> steps.add(Promotion.stepRoleName(to)));
    // The step promoting into a puller checks here that the promoted digest exists and that this
    // registry's repository policy admits the puller's account (buildspecs/promote.sh).
    for (EnvironmentRef puller : promotion.imagePullers()) {
      if (!steps.contains(Promotion.stepRoleName(puller.name()))) {
        steps.add(Promotion.stepRoleName(puller.name()));
      }
    }
    for (String step : steps) {
      trusted.add(new ArnPrincipal(Promotion.roleArn(getPartition(), promotion.toolchainAccount(), step)));
    }
    if (trusted.isEmpty()) {
      throw new IllegalStateException(config.name() + ": an environment outside the promotion chain needs no promotion role");
    }
    List<PolicyStatement> statements = new ArrayList<>();
    statements.add(PolicyStatement.Builder.create()
        .sid("ReadReleases")
        .actions(List.of("ssm:GetParameter"))
        .resources(parameterArns)
        .build());
    if (promotion.from().isPresent()) {
      statements.add(PolicyStatement.Builder.create()
          .sid("WritePromotedReleases")
          .actions(List.of("ssm:PutParameter"))
          .resources(parameterArns)
          .build());
      // Each promotion is recorded PENDING before it writes, then CONFIRMED or RESTORED (buildspecs/promote.sh);
      // an operator's override of a refused digest is read, never written, by the step.
      statements.add(PolicyStatement.Builder.create()
          .sid("RecordPromotions")
          .actions(List.of("ssm:GetParameter", "ssm:PutParameter"))
          .resources(config.services().stream()
              .map(s -> parameterArn(Promotion.recordParameterName(config.name(), s.name()))).toList())
          .build());
      statements.add(PolicyStatement.Builder.create()
          .sid("ReadOverrides")
          .actions(List.of("ssm:GetParameter"))
          .resources(config.services().stream()
              .map(s -> parameterArn(Promotion.overrideParameterName(config.name(), s.name()))).toList())
          .build());
    }
    if (!promotion.imagePullers().isEmpty()) {
      List<String> repositoryArns = repositories.values().stream().map(Repository::getRepositoryArn).toList();
      statements.add(PolicyStatement.Builder.create()
          .sid("InspectPromotedImages")
          .actions(ImagePulls.INSPECT_ACTIONS)
          .resources(repositoryArns)
          .build());
      // Retagging a promoted digest (promoted-<target>-<hex>) so the lifecycle rules keep it. PutImage
      // can only add manifests over layers already in the repository: the role cannot upload layers.
      statements.add(PolicyStatement.Builder.create()
          .sid("TagPromotedImages")
          .actions(ImagePulls.RETAG_ACTIONS)
          .resources(repositoryArns)
          .build());
    }
    return Role.Builder.create(this, "ReleasePromotionRole")
        // A fixed name: the pipeline's step roles (another account, another assembly) assume it by ARN.
        .roleName(Promotion.environmentRoleName(config.name()))
        .description("Lets the pipeline's promotion steps read"
            + (promotion.from().isPresent() ? " and write" : "") + " the release parameters of " + config.name())
        .assumedBy(trusted.size() == 1 ? trusted.get(0) : new CompositePrincipal(trusted.toArray(IPrincipal[]::new)))
        .maxSessionDuration(Duration.hours(1))
        .inlinePolicies(Map.of("ReleaseParameters", PolicyDocument.Builder.create().statements(statements).build()))
        .build();
  }

  /**
   * The registry side of the cross-account pulls ({@link ImagePulls}): each repository's policy
   * admits the pulling environments' accounts, for the pull actions only, and only for principals
   * tagged as pulling from this environment (their task execution roles). The pullers' own roles
   * allow the same actions on this account's repositories (compute stack): cross-account access
   * needs both sides.
   *
   * <p>The repositories are encrypted with the security stack's key. ECR decrypts layers under
   * the grants it created on that key for each repository (ECR user guide, "Encryption at rest");
   * the guide names no key permission for the pulling principal. The key statement below allows
   * the pullers kms:Decrypt only through ECR in this region and only for this account's
   * repositories (encryption context), so a pull works whichever principal ECR's Decrypt call is
   * evaluated for; it allows no direct use of the key.
   */
  private void shareImagesWithPullers(EnvironmentConfig config, SecurityStack security) {
    List<EnvironmentRef> pullers = config.promotion().imagePullers();
    if (pullers.isEmpty()) {
      return;
    }
    List<IPrincipal> accounts = pullers.stream().map(p -> p.target().account()).distinct()
        .map(account -> (IPrincipal) new AccountPrincipal(account)).toList();
    Map<String, Object> taggedPullers = Map.of("StringEquals", Map.of(
        "aws:PrincipalTag/" + ImagePulls.PRINCIPAL_TAG, config.name()));
    for (Repository repository : repositories.values()) {
      // Test and prod pull from here on every task start, so what they run must outlive the
      // "keep the last 30" rule: an image matched by a higher-priority rule's tags is never expired
      // by a lower-priority one (ECR user guide, "Lifecycle policy evaluation rules"). Their release
      // parameters (other accounts) only ever name a digest the promotion step tagged promoted-<env>-
      // before writing it (rollbacks there return to an earlier release of that environment, promoted
      // too), and nothing in this account can read those parameters to tell which promotion is still
      // named: so no promoted image expires (docs/release-parameters.md, "What keeps a promoted image").
      repository.addLifecycleRule(LifecycleRule.builder()
          .rulePriority(2)
          .description("Never expire the images promoted to other environments (tagged " + PROMOTED_TAG_PREFIX + "*)")
          .tagStatus(TagStatus.TAGGED)
          .tagPrefixList(List.of(PROMOTED_TAG_PREFIX))
          .maxImageCount(NEVER_EXPIRE_COUNT)
          .build());
      // The pullers' own policies select these repositories by these two tags. The stage tags
      // every resource with them anyway; set here too, so the pull never depends on that.
      software.amazon.awscdk.Tags.of(repository).add("Project", EnvironmentConfig.PROJECT);
      software.amazon.awscdk.Tags.of(repository).add("Environment", config.name());
      repository.addToResourcePolicy(PolicyStatement.Builder.create()
          .sid("PullPromotedImages")
          .principals(accounts)
          .actions(ImagePulls.PULL_ACTIONS)
          .conditions(taggedPullers)
          .build());
    }
    security.key().addToResourcePolicy(PolicyStatement.Builder.create()
        .sid("DecryptPromotedImagesThroughEcr")
        .principals(accounts)
        .actions(List.of("kms:Decrypt"))
        // In a key policy, "*" is this key.
        .resources(List.of("*"))
        .conditions(Map.of(
            "StringEquals", Map.of(
                "kms:ViaService", ImagePulls.ecrService(config.target()),
                "aws:PrincipalTag/" + ImagePulls.PRINCIPAL_TAG, config.name()),
            "ArnLike", Map.of(
                "kms:EncryptionContext:aws:ecr:arn", ImagePulls.repositoryArnPattern(software.amazon.awscdk.Aws.PARTITION, config.target()))))
        .build());
  }

  private String parameterArn(String name) {
    return formatArn(software.amazon.awscdk.ArnComponents.builder()
        .service("ssm").resource("parameter").resourceName(name.substring(1)).build());
  }

  /** The role the pipeline's promotion steps assume here; see {@link Promotion} for its name. */
  public Role promotionRole() {
    return promotionRole;
  }

  /**
   * The SSM parameter holding a service's live release ({@code repository-uri@sha256:digest}).
   * Deterministic, because the compute stack reads it through a CloudFormation parameter of type
   * {@code AWS::SSM::Parameter::Value<String>}, and the deployers and the promotion step write it.
   */
  public static String releaseParameterName(String environment, String service) {
    return "/gitops/" + environment + "/release/" + service;
  }

  /** The path under which all of an environment's release parameters live. */
  public static String releaseParameterPath(String environment) {
    return "/gitops/" + environment + "/release/";
  }

  /** ECR repository per service name, in the config's service order. */
  public Map<String, Repository> repositories() {
    return Collections.unmodifiableMap(repositories);
  }

  /**
   * Release parameter per service name, in the config's service order. The parameters are created
   * by a custom resource of this stack; a stack that reads them must {@code addDependency} on this
   * stack, since reading by name creates no CloudFormation reference.
   */
  public Map<String, IStringParameter> releaseParameters() {
    return Collections.unmodifiableMap(releaseParameters);
  }

  /** Application documents: KMS-encrypted with the security key, versioned, access-logged. */
  public Bucket documentsBucket() {
    return documentsBucket;
  }

  /** Server access log destination of this environment's buckets (SSE-S3, as S3 logging requires). */
  public Bucket accessLogsBucket() {
    return accessLogsBucket;
  }
}
