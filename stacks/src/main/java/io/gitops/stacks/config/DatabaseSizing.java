package io.gitops.stacks.config;

/**
 * Aurora PostgreSQL Serverless v2 and OpenSearch sizing for one environment.
 *
 * @param minAcu              Aurora Serverless v2 minimum capacity (ACUs, 0.5 steps)
 * @param maxAcu              Aurora Serverless v2 maximum capacity
 * @param readers             reader instances besides the writer
 * @param backupRetentionDays automated backup retention
 * @param searchInstanceType  OpenSearch data node instance type
 * @param searchInstances     OpenSearch data node count (even counts spread over both AZs)
 * @param searchVolumeGiB     EBS volume per OpenSearch data node
 * @param searchMasterNodes   dedicated OpenSearch master nodes: 0 (data nodes elect a master) or an odd count >= 3
 * @param searchMasterInstanceType instance type of the dedicated master nodes (ignored when there are none)
 */
public record DatabaseSizing(
    double minAcu,
    double maxAcu,
    int readers,
    int backupRetentionDays,
    String searchInstanceType,
    int searchInstances,
    int searchVolumeGiB,
    int searchMasterNodes,
    String searchMasterInstanceType) {

  public DatabaseSizing {
    if (minAcu < 0.5 || maxAcu < minAcu || maxAcu > 256) {
      throw new IllegalArgumentException("Aurora capacity must satisfy 0.5 <= min <= max <= 256");
    }
    if (backupRetentionDays < 1 || backupRetentionDays > 35) {
      throw new IllegalArgumentException("backup retention must be 1..35 days");
    }
    if (searchInstances < 1 || searchVolumeGiB < 10) {
      throw new IllegalArgumentException("OpenSearch needs at least one node and 10 GiB per node");
    }
    if (searchMasterNodes != 0 && (searchMasterNodes < 3 || searchMasterNodes % 2 == 0)) {
      throw new IllegalArgumentException("dedicated OpenSearch masters must be 0 or an odd count >= 3");
    }
    if (searchMasterNodes > 0 && (searchMasterInstanceType == null || !searchMasterInstanceType.endsWith(".search"))) {
      throw new IllegalArgumentException("dedicated OpenSearch masters need a *.search instance type");
    }
  }
}
