package io.gitops.lambdas.cleanup;

import io.gitops.lambdas.core.Log;
import io.gitops.lambdas.core.ServiceTarget;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.model.DescribeImagesResponse;
import software.amazon.awssdk.services.ecr.model.ImageAlreadyExistsException;
import software.amazon.awssdk.services.ecr.model.ImageDetail;
import software.amazon.awssdk.services.ecr.model.ImageTagAlreadyExistsException;

/**
 * Keeps the tag {@code released-<env>-<hex>} on exactly the digests of a service's own repository that the
 * environment's release parameter names or that the ledger may roll back to, so the repository's first lifecycle
 * rule never expires them (docs/ledger.md, "Release images"; StorageStack's lifecycle rules).
 *
 * <p>Tags are IMMUTABLE in these repositories, hence one tag per digest (the digest's hex in its name). A tag is
 * added by ECR's retag (BatchGetImage, then PutImage of the same manifest with the new tag) and removed with
 * BatchDeleteImage by tag, which drops only that tag while the image has another one; removing an image's last tag
 * deletes the image (ECR API reference, BatchDeleteImage), so a {@code released-} tag that is an image's only tag
 * stays. Tags are added before any is removed, so no kept digest is unprotected in between.
 */
final class ReleaseImages {
  static final String PREFIX = "released-";

  /** What one run did (or, dry, would do) to one repository's release tags. */
  record Result(List<String> tagged, List<String> untagged, List<String> leftInPlace, String skipped) {
    static Result skipped(String why) {
      return new Result(List.of(), List.of(), List.of(), why);
    }
  }

  private final EcrClient ecr;
  private final String environment;
  private final Log log;

  ReleaseImages(EcrClient ecr, String environment, Log log) {
    this.ecr = ecr;
    this.environment = environment;
    this.log = log;
  }

  String tagPrefix() {
    return PREFIX + environment + "-";
  }

  String tagFor(String digest) {
    return tagPrefix() + digest.substring(digest.indexOf(':') + 1);
  }

  /**
   * Makes the {@code released-<env>-} tags of {@code t}'s repository name exactly {@code keep} (digests). The
   * release parameter's image must be in this repository ({@code releaseImage} starts with its URI); an image of
   * another registry (test and prod run dev's promoted digests) is protected there by its {@code promoted-} tag.
   */
  Result protect(ServiceTarget t, String releaseImage, Set<String> keep, boolean dryRun) {
    if (releaseImage == null || !releaseImage.startsWith(t.repositoryUri() + "@")) {
      return Result.skipped("the release is not an image of " + t.repository()
          + " in this registry (a promoted image is kept by its promoted- tag where it lives)");
    }
    Map<String, List<String>> tagsByDigest = images(t.repository());
    List<String> tagged = new ArrayList<>();
    for (String digest : keep) {
      List<String> tags = tagsByDigest.get(digest);
      if (tags == null) {
        log.with("service", t.service()).warn("kept digest not in the repository", "digest", digest);
        continue;
      }
      String tag = tagFor(digest);
      if (tags.contains(tag)) continue;
      if (!dryRun) retag(t.repository(), digest, tag);
      tagged.add(tag);
    }
    List<String> untagged = new ArrayList<>();
    List<String> leftInPlace = new ArrayList<>();
    tagsByDigest.forEach((digest, tags) -> {
      if (keep.contains(digest)) return;
      for (String tag : tags) {
        if (!tag.startsWith(tagPrefix())) continue;
        if (tags.size() == 1) {
          // Removing an image's last tag deletes the image; leave it kept rather than delete it.
          leftInPlace.add(tag);
          continue;
        }
        if (!dryRun) {
          var r = ecr.batchDeleteImage(b -> b.repositoryName(t.repository()).imageIds(i -> i.imageTag(tag)));
          r.failures().forEach(f -> log.with("service", t.service()).warn("release tag not removed", "tag", tag,
              "reason", f.failureReason()));
        }
        untagged.add(tag);
      }
    });
    return new Result(tagged, untagged, leftInPlace, null);
  }

  private void retag(String repository, String digest, String tag) {
    var image = ecr.batchGetImage(b -> b.repositoryName(repository).imageIds(i -> i.imageDigest(digest))).images();
    if (image.isEmpty()) return; // expired or deleted since the listing: nothing to keep
    try {
      ecr.putImage(b -> b.repositoryName(repository).imageManifest(image.get(0).imageManifest())
          .imageManifestMediaType(image.get(0).imageManifestMediaType()).imageDigest(digest).imageTag(tag));
    } catch (ImageAlreadyExistsException | ImageTagAlreadyExistsException already) {
      // Tagged by a concurrent run since the listing: the tag names the digest, so it is the same tag.
    }
  }

  /** Every image of the repository: digest → its tags, page by page. */
  private Map<String, List<String>> images(String repository) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    String token = null;
    do {
      String from = token;
      DescribeImagesResponse page = ecr.describeImages(b -> b.repositoryName(repository).nextToken(from));
      for (ImageDetail d : page.imageDetails()) out.put(d.imageDigest(), List.copyOf(d.imageTags()));
      token = page.nextToken();
    } while (token != null && !token.isEmpty());
    return out;
  }
}
