package io.gitops.stacks;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ECR's lifecycle policy evaluation as the ECR user guide documents it ("Lifecycle policy evaluation rules" and
 * "Lifecycle policy properties"), for checking the synthesized rules; moto stores a policy but never applies it.
 * Modelled: rules applied by ascending rulePriority; an image matching a higher-priority rule's tag requirements is
 * never expired by a lower-priority rule, yet still counts for it ("identified as if not expired"); tagStatus
 * any/tagged/untagged; a tagPrefixList matches when every prefix in it matches one of the image's tags;
 * imageCountMoreThan keeps the newest countNumber by push time and expires the rest; sinceImagePushed expires what
 * was pushed more than countNumber days ago. Not modelled: tagPatternList wildcards, storage classes, pulls.
 */
final class EcrLifecycleModel {

  record Image(String name, Instant pushedAt, Set<String> tags) {}

  private EcrLifecycleModel() {}

  /** The names of the images a policy (its parsed JSON) expires at {@code now}. */
  @SuppressWarnings("unchecked")
  static Set<String> expired(Map<String, Object> policy, List<Image> images, Instant now) {
    List<Map<String, Object>> rules = new ArrayList<>((List<Map<String, Object>>) policy.get("rules"));
    rules.sort(Comparator.comparingInt(r -> ((Number) r.get("rulePriority")).intValue()));
    Set<String> expired = new LinkedHashSet<>();
    Set<String> claimed = new HashSet<>();
    for (Map<String, Object> rule : rules) {
      Map<String, Object> selection = (Map<String, Object>) rule.get("selection");
      List<Image> selected = images.stream().filter(i -> selects(selection, i))
          .sorted(Comparator.comparing(Image::pushedAt).reversed()).toList();
      int count = ((Number) selection.get("countNumber")).intValue();
      List<Image> candidates = switch (String.valueOf(selection.get("countType"))) {
        case "imageCountMoreThan" -> selected.size() > count ? selected.subList(count, selected.size()) : List.of();
        case "sinceImagePushed" -> selected.stream()
            .filter(i -> i.pushedAt().isBefore(now.minus(Duration.ofDays(count)))).toList();
        default -> throw new IllegalArgumentException("countType not modelled: " + selection.get("countType"));
      };
      for (Image i : candidates) {
        if (!claimed.contains(i.name())) expired.add(i.name());
      }
      selected.forEach(i -> claimed.add(i.name()));
    }
    return expired;
  }

  @SuppressWarnings("unchecked")
  private static boolean selects(Map<String, Object> selection, Image image) {
    return switch (String.valueOf(selection.get("tagStatus"))) {
      case "any" -> true;
      case "untagged" -> image.tags().isEmpty();
      case "tagged" -> {
        if (selection.containsKey("tagPatternList")) {
          throw new IllegalArgumentException("tagPatternList not modelled");
        }
        List<String> prefixes = (List<String>) selection.get("tagPrefixList");
        yield !image.tags().isEmpty()
            && prefixes.stream().allMatch(p -> image.tags().stream().anyMatch(t -> t.startsWith(p)));
      }
      default -> throw new IllegalArgumentException("tagStatus " + selection.get("tagStatus"));
    };
  }
}
