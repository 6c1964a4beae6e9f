package io.reactivesmtp.kafka;

import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.reactor.RetryPolicy;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.time.Duration;
import java.util.function.UnaryOperator;

/** A worker and its SMTP client, as the tests run them: relay to the sink on loopback, no TLS, fast group timings. */
final class TestWorker implements AutoCloseable {

    final SmtpClient client;
    final KafkaSmtpWorker worker;

    private TestWorker(SmtpClient client, KafkaSmtpWorker worker) {
        this.client = client;
        this.worker = worker;
    }

    static KafkaWorkerOptions.Builder options(String bootstrap, String group, String jobs, String reports) {
        return KafkaWorkerOptions.builder()
                .bootstrapServers(bootstrap).groupId(group).jobsTopic(jobs).reportsTopic(reports)
                .commitInterval(Duration.ofMillis(200))
                .revokeTimeout(Duration.ofSeconds(10))
                .loadTimeout(Duration.ofSeconds(30))
                .consumerProperty("session.timeout.ms", 6000)
                .consumerProperty("heartbeat.interval.ms", 1000);
    }

    static SmtpClient client(int smtpPort) {
        return SmtpClient.create(SmtpClientOptions.builder()
                .relay("127.0.0.1", smtpPort)
                .session(SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build())
                .retry(RetryPolicy.NONE)
                .build());
    }

    static TestWorker start(int smtpPort, KafkaWorkerOptions.Builder options, UnaryOperator<KafkaWorkerOptions.Builder> more) {
        SmtpClient client = client(smtpPort);
        try {
            KafkaSmtpWorker worker = KafkaSmtpWorker.create(client, more.apply(options).build()).start();
            return new TestWorker(client, worker);
        } catch (RuntimeException e) {
            client.dispose();
            throw e;
        }
    }

    @Override
    public void close() {
        worker.close();
        client.dispose();
    }
}
