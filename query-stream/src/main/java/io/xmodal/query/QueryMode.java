package io.xmodal.query;

/** How query-stream holds the galleries ({@code XMODAL_QUERY_MODE}). */
public enum QueryMode {
  /** Every instance holds both whole galleries (global stores) and answers a query alone. */
  REPLICATED,
  /**
   * Each instance holds only the gallery partitions assigned to it; a query is scattered to every partition and the
   * partial top-k are gathered by queryId ({@link ShardedQueryTopology}).
   */
  SHARDED
}
