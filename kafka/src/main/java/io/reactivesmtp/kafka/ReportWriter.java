package io.reactivesmtp.kafka;

import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpUnknownOutcomeException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes what became of each job record: its recipients' verdicts, the retry job for those worth another attempt
 * (acknowledged first), then its report to the reports partition of its number. Driven by the poll thread; the
 * producer's acknowledgements are handed back to it through {@code pollThread}.
 */
final class ReportWriter {

    /** Told, on the poll thread, that a report is acknowledged by the broker. */
    @FunctionalInterface
    interface Written {
        /**
         * @param partition the job's partition
         * @param offset the job's offset
         * @param reportOffset the report's offset in the reports partition
         * @param retryOffset the retry job's offset in the retry partition, or -1 when none was written
         * @param report the report
         */
        void written(OwnedPartition partition, long offset, long reportOffset, long retryOffset, JobReport report);
    }

    private final KafkaWorkerOptions options;
    private final Producer<byte[], byte[]> producer;
    private final Clock clock;
    private final Executor pollThread;
    private final Written written;
    private final BiConsumer<String, Exception> failed;

    /**
     * @param options the worker's settings (topics, attempts, backoff, key strategy, worker id)
     * @param producer the producer of reports and retry jobs
     * @param clock the worker's clock
     * @param pollThread runs a task on the poll thread (the producer calls back on its own thread)
     * @param written told of each acknowledged report
     * @param failed told what could not be written (the worker cannot go on without losing a report), and why
     */
    ReportWriter(KafkaWorkerOptions options, Producer<byte[], byte[]> producer, Clock clock, Executor pollThread,
            Written written, BiConsumer<String, Exception> failed) {
        this.options = options;
        this.producer = producer;
        this.clock = clock;
        this.pollThread = pollThread;
        this.written = written;
        this.failed = failed;
    }

    /**
     * Turns a send's result into the job's report (and retry job); call on the poll thread.
     *
     * @param j the job
     * @param report the server's verdicts, or null when the send failed
     * @param error why the send failed, or null
     */
    void sent(OwnedPartition.Job j, SendReport report, Throwable error) {
        if (j.abandoned) {
            return;
        }
        j.send = null;
        Map<String, JobReport.Recipient> lines = new LinkedHashMap<>();
        List<String> retryable = new ArrayList<>();
        String errorText = null;
        if (report != null) {
            for (RecipientResult r : report.recipients()) {
                decide(lines, retryable, r);
            }
        } else {
            SmtpException e = error instanceof SmtpException ? (SmtpException) error
                    : new SmtpConnectionException("message not sent: " + error, error, null);
            errorText = e.getMessage();
            boolean unknown = e instanceof SmtpUnknownOutcomeException;
            SendReport partial = e.partialReport().orElse(null);
            Map<String, RecipientResult> decided = new HashMap<>();
            if (partial != null) {
                for (RecipientResult r : partial.recipients()) {
                    decided.put(r.address().toString(), r);
                }
            }
            for (String address : j.job.recipients()) {
                if (j.alreadyAccepted.contains(address) || j.handedOver(address)) {
                    continue;
                }
                RecipientResult r = decided.get(address);
                if (r != null && (r.status() == RecipientResult.Status.ACCEPTED
                        || r.status() == RecipientResult.Status.PERMANENT_FAILURE
                        || (!unknown && r.status() == RecipientResult.Status.TRANSIENT_FAILURE))) {
                    decide(lines, retryable, r);
                } else if (unknown) {
                    lines.put(address, new JobReport.Recipient(address, JobReport.Status.UNKNOWN, 0, null,
                            "sent, no reply to the final dot: " + e.getMessage()));
                } else if (e.isRetryable()) {
                    retryable.add(address);
                    lines.put(address, new JobReport.Recipient(address, JobReport.Status.UNDETERMINED, 0, null,
                            e.getMessage()));
                } else {
                    lines.put(address, new JobReport.Recipient(address, JobReport.Status.UNDETERMINED, 0, null,
                            e.getMessage()));
                }
            }
        }
        complete(j, lines, retryable, errorText);
    }

    private static void decide(Map<String, JobReport.Recipient> lines, List<String> retryable, RecipientResult r) {
        String address = r.address().toString();
        JobReport.Status status;
        switch (r.status()) {
            case ACCEPTED:
                status = JobReport.Status.ACCEPTED;
                break;
            case PERMANENT_FAILURE:
                status = JobReport.Status.PERMANENT_FAILURE;
                break;
            case TRANSIENT_FAILURE:
                status = JobReport.Status.TRANSIENT_FAILURE;
                break;
            case UNKNOWN_AFTER_DATA:
                status = JobReport.Status.UNKNOWN; // sent, no reply: never retried blindly
                break;
            default:
                status = JobReport.Status.UNDETERMINED;
        }
        if (status == JobReport.Status.TRANSIENT_FAILURE || status == JobReport.Status.UNDETERMINED) {
            retryable.add(address);
        }
        lines.put(address, new JobReport.Recipient(address, status, r.code(), r.enhancedStatus().orElse(null),
                r.text()));
    }

    /**
     * Writes the retry job (when there is something to retry and attempts are left), then the report.
     *
     * @param j the job
     * @param decided the recipients with a verdict, by address
     * @param retryable the recipients worth another attempt
     * @param error why there is no verdict for some, or null
     */
    void complete(OwnedPartition.Job j, Map<String, JobReport.Recipient> decided, List<String> retryable,
            String error) {
        OwnedPartition state = j.partition;
        boolean retry = !retryable.isEmpty() && j.job.attempt() < options.maxAttempts();
        List<JobReport.Recipient> lines = new ArrayList<>();
        for (String address : j.job.recipients()) {
            if (j.alreadyAccepted.contains(address)) {
                lines.add(new JobReport.Recipient(address, JobReport.Status.ALREADY_ACCEPTED, 0, null,
                        "accepted in an earlier report of job " + j.job.id()));
                continue;
            }
            if (j.handedOver(address)) {
                lines.add(new JobReport.Recipient(address, JobReport.Status.RETRY_SCHEDULED, 0, null,
                        "handed to the retry job at " + options.retryTopic() + "-" + state.tp.partition() + "@"
                        + j.handed.offset() + " by an earlier attempt of this record"));
                continue;
            }
            JobReport.Recipient line = decided.get(address);
            if (line == null) {
                line = new JobReport.Recipient(address, JobReport.Status.UNDETERMINED, 0, null, "no result");
            }
            if (retry && retryable.contains(address)) {
                line = new JobReport.Recipient(address, JobReport.Status.RETRY_SCHEDULED, line.code(),
                        line.enhancedStatus(), line.text());
            }
            lines.add(line);
        }
        JobReport.Outcome outcome = outcome(lines);
        JobReport.Source src = j.source();
        if (!retry) {
            JobReport.Retry earlier = j.handed == null ? null : new JobReport.Retry(options.retryTopic(),
                    state.tp.partition(), j.handed.offset(), j.handed.job().attempt(),
                    j.handed.job().notBefore().map(Instant::toEpochMilli).orElse(0L));
            write(state, j.offset, -1, new JobReport(j.job.id(), src, j.job.attempt(), outcome, lines, earlier,
                    error, options.workerId(), clock.millis()));
            return;
        }
        Instant notBefore = clock.instant().plus(options.backoff(j.job.attempt()));
        MailJob next = j.job.retry(retryable, notBefore, src);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(options.retryTopic(), state.tp.partition(),
                options.keys().key(next), next.toBytes());
        producer.send(record, (md, ex) -> pollThread.execute(() -> {
            if (j.abandoned) {
                return;
            }
            if (ex != null) {
                failed.accept("writing the retry job of " + j.job.id() + " to " + options.retryTopic() + " failed", ex);
                return;
            }
            JobReport.Retry r = new JobReport.Retry(md.topic(), md.partition(), md.offset(), next.attempt(),
                    notBefore.toEpochMilli());
            write(state, j.offset, md.offset(), new JobReport(j.job.id(), src, j.job.attempt(), outcome, lines, r,
                    error, options.workerId(), clock.millis()));
        }));
    }

    /**
     * @param lines a report's recipients
     * @return the outcome they make ({@code FORMAT.md}): retrying if any is, delivered if all are accepted
     */
    static JobReport.Outcome outcome(List<JobReport.Recipient> lines) {
        int accepted = 0;
        boolean retrying = false;
        boolean noVerdict = false;
        for (JobReport.Recipient r : lines) {
            switch (r.status()) {
                case ACCEPTED:
                case ALREADY_ACCEPTED:
                    accepted++;
                    break;
                case RETRY_SCHEDULED:
                    retrying = true;
                    break;
                case UNDETERMINED:
                case UNKNOWN:
                    noVerdict = true;
                    break;
                default:
                    break;
            }
        }
        if (retrying) {
            return JobReport.Outcome.RETRYING;
        }
        if (accepted == lines.size()) {
            return JobReport.Outcome.DELIVERED;
        }
        if (accepted > 0) {
            return JobReport.Outcome.PARTIAL;
        }
        return noVerdict ? JobReport.Outcome.FAILED : JobReport.Outcome.REJECTED;
    }

    /**
     * Writes the report of a record that is not a job: nothing was sent.
     *
     * @param partition where it was
     * @param offset its offset
     * @param error why it is not a job
     */
    void invalid(OwnedPartition partition, long offset, String error) {
        JobReport.Source src = new JobReport.Source(partition.tp.topic(), partition.tp.partition(), offset);
        write(partition, offset, -1, new JobReport(null, src, 1, JobReport.Outcome.INVALID, List.of(), null, error,
                options.workerId(), clock.millis()));
    }

    private void write(OwnedPartition partition, long offset, long retryOffset, JobReport report) {
        byte[] key = report.jobId() == null ? null : report.jobId().getBytes(StandardCharsets.UTF_8);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(options.reportsTopic(), partition.tp.partition(),
                key, report.toBytes());
        producer.send(record, (md, ex) -> pollThread.execute(() -> {
            if (ex != null) {
                failed.accept("writing the report of " + report.source() + " to " + options.reportsTopic() + " failed",
                        ex);
                return;
            }
            written.written(partition, offset, md.offset(), retryOffset, report);
        }));
    }
}
