package io.gitops.stacks.config;

import java.util.Map;
import java.util.Set;

/**
 * Fargate task size. Only the CPU and memory pairs that Fargate accepts are allowed, so an invalid
 * size fails at synth rather than at deploy time.
 *
 * @param cpu       CPU units (1024 = 1 vCPU)
 * @param memoryMiB memory in MiB
 */
public record TaskSizing(int cpu, int memoryMiB) {

  private static final Map<Integer, Set<Integer>> FARGATE_MEMORY = Map.of(
      256, Set.of(512, 1024, 2048),
      512, Set.of(1024, 2048, 3072, 4096),
      1024, Set.of(2048, 3072, 4096, 5120, 6144, 7168, 8192),
      2048, Set.of(4096, 5120, 6144, 7168, 8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384),
      4096, Set.of(8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384, 17408, 18432, 19456,
          20480, 21504, 22528, 23552, 24576, 25600, 26624, 27648, 28672, 29696, 30720));

  public TaskSizing {
    Set<Integer> allowed = FARGATE_MEMORY.get(cpu);
    if (allowed == null || !allowed.contains(memoryMiB)) {
      throw new IllegalArgumentException(
          "Fargate does not offer cpu=" + cpu + " with memory=" + memoryMiB + " MiB");
    }
  }

  public static TaskSizing of(int cpu, int memoryMiB) {
    return new TaskSizing(cpu, memoryMiB);
  }
}
