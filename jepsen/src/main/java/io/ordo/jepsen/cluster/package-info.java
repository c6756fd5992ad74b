/**
 * A test cluster of Ordo on this one machine, for the Jepsen nemeses: three Kafka brokers (KRaft,
 * combined broker and controller, static quorum of 3, replication 3, min ISR 2), the executor job
 * and the gateway, each its own child JVM, so that a fault can kill -9, SIGSTOP or (in network
 * namespaces) partition one part while the others keep running. {@link
 * io.ordo.jepsen.cluster.LocalCluster} is the cluster, {@link
 * io.ordo.jepsen.cluster.ClusterNemeses} the faults, {@link
 * io.ordo.jepsen.cluster.FlinkSessionCluster} the Flink standalone session cluster (JobManager and
 * TaskManager JVMs) that can run the executor job instead of a MiniCluster.
 */
package io.ordo.jepsen.cluster;
