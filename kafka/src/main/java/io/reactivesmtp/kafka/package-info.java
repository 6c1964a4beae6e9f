/**
 * The Kafka-driven sender: {@link io.reactivesmtp.kafka.KafkaSmtpWorker} workers in one consumer group send the
 * {@link io.reactivesmtp.kafka.MailJob mail jobs} of a jobs topic and write one
 * {@link io.reactivesmtp.kafka.JobReport} per job to a reports topic (formats: {@code kafka/FORMAT.md}).
 */
package io.reactivesmtp.kafka;
