/**
 * Internals of the executor job: the transaction evaluator, protobuf serializers for Flink
 * records and state, and Kafka (de)serialization schemas. Not an API.
 */
package io.ordo.executor.internal;
