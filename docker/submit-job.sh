#!/usr/bin/env bash
# Submits Ordo's executor job to the Flink session cluster of docker/compose.yaml, once.
#
# Usage (the job-submitter service; the Flink image's entry point runs it after writing
# FLINK_PROPERTIES, which name the JobManager's REST address, into Flink's config):
#   submit-job.sh JOB-OPTIONS...     e.g. --bootstrap-servers kafka-1:9092 --state-backend rocksdb
# The options go to io.ordo.executor.ExecutorJob unchanged (launcher ComposeFileTest parses the
# compose file's through ExecutorJob.fromArgs).
#
# - Waits (up to ORDO_SUBMIT_WAIT_S, 180 s) until the JobManager answers.
# - Submits nothing if a job named ordo-executor is already scheduled or running: `docker compose
#   up` again must not start a second executor over the same log.
# - Resumes from the newest retained checkpoint under ORDO_CHECKPOINT_ROOT (/opt/flink/checkpoints,
#   the checkpoint volume) if there is one; otherwise the job starts from the beginning of the log.
set -euo pipefail

JAR="${ORDO_JOB_JAR:-/opt/flink/usrlib/ordo-executor-job.jar}"
CHECKPOINT_ROOT="${ORDO_CHECKPOINT_ROOT:-/opt/flink/checkpoints}"
WAIT_S="${ORDO_SUBMIT_WAIT_S:-180}"
JOB_NAME="ordo-executor"   # ExecutorJobConstants.JOB_NAME

deadline=$((SECONDS + WAIT_S))
until jobs="$(flink list 2>/dev/null)"; do
  if (( SECONDS >= deadline )); then
    echo "submit-job: the JobManager did not answer within ${WAIT_S} s" >&2
    exit 1
  fi
  sleep 2
done

if grep -q " : ${JOB_NAME} (" <<<"$jobs"; then
  echo "submit-job: ${JOB_NAME} is already scheduled or running; nothing to do:"
  grep " : ${JOB_NAME} (" <<<"$jobs"
  exit 0
fi

restore=()
if [[ -d "$CHECKPOINT_ROOT" ]]; then
  # <checkpoint-dir>/<job id>/chk-<n>/_metadata: the newest complete one.
  latest="$(find "$CHECKPOINT_ROOT" -mindepth 3 -maxdepth 3 -path '*/chk-*/_metadata' \
      -printf '%T@ %h\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2-)"
  if [[ -n "$latest" ]]; then
    echo "submit-job: restoring from $latest"
    restore=(-s "$latest")
  fi
fi

echo "submit-job: flink run -d ${restore[*]} -c io.ordo.executor.ExecutorJob $JAR $*"
exec flink run -d "${restore[@]}" -c io.ordo.executor.ExecutorJob "$JAR" "$@"
