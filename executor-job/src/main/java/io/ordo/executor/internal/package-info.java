/**
 * Internals of the executor job: the dedup index of transaction ids (packed digests by log time)
 * and the Flink serializer of protobuf records ({@code ProtoSerializer}; use {@link
 * io.ordo.executor.serialization.ProtoTypeInfo} to obtain it). Not an API: nothing outside
 * executor-job may use this package.
 */
package io.ordo.executor.internal;
