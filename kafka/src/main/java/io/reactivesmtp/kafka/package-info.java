/**
 * The Kafka-driven sender: {@link io.reactivesmtp.kafka.KafkaSmtpWorker} workers in one consumer group send the
 * {@link io.reactivesmtp.kafka.MailJob mail jobs} of a jobs topic and write one
 * {@link io.reactivesmtp.kafka.JobReport} per job to a reports topic (formats: {@code kafka/FORMAT.md}).
 *
 * <p>The API is the public types: the worker and its {@link io.reactivesmtp.kafka.KafkaWorkerOptions options} and
 * {@link io.reactivesmtp.kafka.WorkerListener listener}, the two records and their wire format,
 * {@link io.reactivesmtp.kafka.JobKeys} and {@link io.reactivesmtp.kafka.InvalidJobException}. The package-private
 * classes are the worker's mechanisms (client configuration, partition recovery, offset commits, report writing,
 * the JSON mapper, the commit bookkeeping) and may change in any release.
 */
package io.reactivesmtp.kafka;
