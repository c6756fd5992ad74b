/**
 * A real Kafka broker (KRaft, combined broker and controller) that runs inside the JVM, for Ordo's
 * embedded mode and for integration tests; and {@link io.ordo.kafka.embedded.KafkaNodeMain},
 * which runs one node of a multi-node static-quorum cluster as its own process (the Jepsen test
 * cluster). Needs the optional dependencies {@code
 * org.apache.kafka:kafka_2.13} and {@code org.apache.kafka:kafka-server} on the classpath.
 */
package io.ordo.kafka.embedded;
