package io.gitops.sandbox.sim.network;

/** IPv4 CIDR arithmetic for security group rules. */
final class Cidr {
  private Cidr() {}

  /** Whether {@code outer} holds every address of {@code inner}. */
  static boolean contains(String outer, String inner) {
    long[] o = parse(outer);
    long[] i = parse(inner);
    if (o == null || i == null || i[1] < o[1]) return false;
    long mask = o[1] == 0 ? 0 : (0xFFFFFFFFL << (32 - o[1])) & 0xFFFFFFFFL;
    return (o[0] & mask) == (i[0] & mask);
  }

  private static long[] parse(String cidr) {
    String[] parts = cidr.split("/");
    String[] q = parts[0].split("\\.");
    if (q.length != 4) return null;
    long ip = 0;
    for (String x : q) ip = (ip << 8) | Integer.parseInt(x);
    return new long[] {ip, parts.length > 1 ? Integer.parseInt(parts[1]) : 32};
  }
}
