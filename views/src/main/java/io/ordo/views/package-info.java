/**
 * Materialized views maintained by Flink SQL (ARCHITECTURE.md "Materialized views"): {@link
 * io.ordo.views.ViewJob} builds one job per view (a push-query source over the gateway, the
 * view's SELECT in Flink SQL, a sink that applies each checkpoint's changes through the gateway's
 * {@code Sql/ApplyView}), and {@link io.ordo.views.ViewSupervisor} runs those jobs on an embedded
 * MiniCluster, one per view in the catalog. The gateway and the SQL engine never load this
 * package: they only store the view's definition and apply the batches it sends.
 */
package io.ordo.views;
