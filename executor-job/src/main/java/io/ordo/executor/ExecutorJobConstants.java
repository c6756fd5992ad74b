package io.ordo.executor;

/**
 * Display names and stable UIDs of every operator of the executor job, in one place
 * (docs/design.md, habit 4). UIDs bind checkpointed state to operators: never change one of a released
 * operator, or its state is lost on restore.
 */
public final class ExecutorJobConstants {
  private ExecutorJobConstants() {}

  public static final String JOB_NAME = "ordo-executor";

  public static final String LOG_SOURCE_NAME = "LogSource";
  public static final String LOG_SOURCE_UID = "ordo-log-source-v1";
  public static final String FEEDBACK_SOURCE_NAME = "FeedbackSource";
  public static final String FEEDBACK_SOURCE_UID = "ordo-feedback-source-v1";
  public static final String FEEDBACK_CHANNEL_SOURCE_NAME = "FeedbackChannelSource";
  public static final String FEEDBACK_CHANNEL_SOURCE_UID = "ordo-feedback-channel-source-v1";
  public static final String FAN_OUT_NAME = "SequenceFanOut";
  public static final String FAN_OUT_UID = "ordo-sequence-fan-out-v1";
  public static final String SORTER_NAME = "KeyedEventTimeSorter";
  public static final String SORTER_UID = "ordo-keyed-event-time-sorter-v1";
  public static final String KEY_PROCESSOR_NAME = "KeyTransactionProcessor";
  public static final String KEY_PROCESSOR_UID = "ordo-key-transaction-processor-v1";
  public static final String TXN_PROCESSOR_NAME = "TransactionProcessor";
  public static final String TXN_PROCESSOR_UID = "ordo-transaction-processor-v1";
  public static final String RESULTS_SINK_NAME = "ResultsSink";
  public static final String RESULTS_SINK_UID = "ordo-results-sink-v1";
  public static final String CHANGELOG_SINK_NAME = "ChangelogSink";
  public static final String CHANGELOG_SINK_UID = "ordo-changelog-sink-v1";
  public static final String FEEDBACK_SINK_NAME = "FeedbackSink";
  public static final String FEEDBACK_SINK_UID = "ordo-feedback-sink-v1";
}
