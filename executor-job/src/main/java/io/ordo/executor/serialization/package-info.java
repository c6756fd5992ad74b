/**
 * How the executor job's records travel: Flink type information for protobuf messages ({@link
 * io.ordo.executor.serialization.ProtoTypeInfo}, no Kryo) and the Kafka (de)serialization schemas
 * of the log, feedback, results and changelog topics.
 */
package io.ordo.executor.serialization;
