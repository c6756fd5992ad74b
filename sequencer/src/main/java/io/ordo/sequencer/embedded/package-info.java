/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) that runs inside the
 * JVM, for Ordo's embedded mode and for integration tests. Needs the optional dependencies {@code
 * org.apache.kafka:kafka_2.13} and {@code org.apache.kafka:kafka-server} on the classpath.
 */
package io.ordo.sequencer.embedded;
