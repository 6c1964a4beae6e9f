package io.reactivesmtp.benchmarks;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Locale;

/**
 * Start-up of the library in a fresh JVM (issue 14): {@code SmtpClient.create} and the first {@code send} of one
 * small message, to be run once per JVM.
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.reactivesmtp.benchmarks.StartupBench HOST PORT
 * </pre>
 * Prints one line and exits 0 when the message was delivered (1 otherwise, 2 on a usage error):
 * <pre>
 * peer=startup-bench jvm_to_main_ms=80 create_ms=250 first_send_ms=400 jvm_to_sent_ms=730
 * </pre>
 * {@code jvm_to_main_ms}: the JVM's uptime when {@code main} starts; {@code create_ms}: {@code SmtpClient.create};
 * {@code first_send_ms}: the first {@code send} (connect, EHLO, one transaction), subscribed until its report;
 * {@code jvm_to_sent_ms}: the JVM's uptime when that report arrived. TLS off.
 */
public final class StartupBench {

    private StartupBench() {
    }

    public static void main(String[] args) {
        long mainAt = ManagementFactory.getRuntimeMXBean().getUptime();
        if (args.length != 2) {
            System.err.println("usage: StartupBench HOST PORT");
            System.exit(2);
        }
        String host = args[0];
        int port;
        try {
            port = Integer.parseInt(args[1]);
        } catch (NumberFormatException e) {
            System.err.println("PORT is not a number: " + args[1]);
            System.exit(2);
            return;
        }
        long t0 = System.nanoTime();
        SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                .relay(host, port)
                .session(SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build())
                .build());
        long t1 = System.nanoTime();
        int status = 0;
        try {
            SendReport report = client.send(Envelope.of(Messages.FROM, "rcpt@example.com"),
                            MessageContent.of("From: " + Messages.FROM + "\r\nTo: rcpt@example.com\r\n"
                                    + "Subject: start-up\r\n\r\nhello\r\n"))
                    .block(Duration.ofSeconds(60));
            long t2 = System.nanoTime();
            long sentAt = ManagementFactory.getRuntimeMXBean().getUptime();
            if (report == null || report.outcome() != SendReport.Outcome.DELIVERED) {
                System.err.println("not delivered: " + report);
                status = 1;
            } else {
                System.out.printf(Locale.ROOT, "peer=startup-bench jvm_to_main_ms=%d create_ms=%.0f first_send_ms=%.0f"
                        + " jvm_to_sent_ms=%d%n", mainAt, (t1 - t0) / 1e6, (t2 - t1) / 1e6, sentAt);
            }
        } catch (RuntimeException e) {
            System.err.println("send failed: " + e);
            status = 1;
        } finally {
            client.disposeLater().block(Duration.ofSeconds(10));
        }
        System.exit(status);
    }
}
