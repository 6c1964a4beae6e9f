package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.reactor.CliTestDns;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.server.SMTPServer;

/**
 * {@code reactive-smtp bulk --mx}, run in-process, against loopback only: a test DNS server (the hidden
 * {@code --dns-server}) whose MX records send a.test to 127.0.0.1 and b.test to 127.0.0.2, and give c.test a null
 * MX; two SubEthaSMTP servers, one per address, on one port (the hidden {@code --mx-port}), that record the
 * recipients they accept.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BulkMxTest {

    private static final String MESSAGE = "From: news@example.com\r\nSubject: hi\r\n\r\nHello.\r\n";

    @TempDir
    Path dir;

    @Test
    void mxModeDeliversEachDomainToItsExchangerAndFailsTheNullMxDomain() throws Exception {
        try (CliTestDns dns = CliTestDns.start();
             ServerPair servers = ServerPair.start()) {
            dns.mx("a.test", 10, "mx.a.test").a("mx.a.test", "127.0.0.1")
                    .mx("b.test", 10, "mx.b.test").a("mx.b.test", "127.0.0.2")
                    .mx("c.test", 0, ".");
            Path recipients = Files.writeString(dir.resolve("recipients.txt"), String.join("\n",
                    "user1@a.test", "user1@b.test", "user1@c.test",
                    "user2@a.test", "user2@b.test", "user2@c.test",
                    "user3@a.test") + "\n");
            Path body = Files.writeString(dir.resolve("message.eml"), MESSAGE);
            Path report = dir.resolve("report.jsonl");
            String dnsServer = "127.0.0.1:" + dns.address().getPort();

            BulkCommandTest.Run run = BulkCommandTest.run("--mx", "--dns-server", dnsServer,
                    "--mx-port", Integer.toString(servers.port), "--per-destination", "1",
                    "--from", "news@example.com", "--recipients", recipients.toString(), "--body", body.toString(),
                    "--report", report.toString());

            // Each exchanger got exactly its domain's recipients, nobody else's.
            assertThat(servers.first.rcpts).as(run.toString())
                    .containsExactlyInAnyOrder("user1@a.test", "user2@a.test", "user3@a.test");
            assertThat(servers.second.rcpts).as(run.toString())
                    .containsExactlyInAnyOrder("user1@b.test", "user2@b.test");
            assertThat(dns.queries("c.test", "MX")).isPositive();
            assertThat(dns.queries("mx.a.test", "A")).isPositive();
            assertThat(dns.queries("mx.b.test", "A")).isPositive();

            // Null MX: no server's verdict, but as final as a 5xx: refused for good (never resent). Some accepted: 3.
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.PARTIAL);
            assertThat(run.out()).contains(
                    "-> MX of each recipient domain (port " + servers.port + "), TLS level dane, MTA-STS on, DNS server "
                            + dnsServer,
                    "recipients:   7 line(s) read, 0 bad line(s) skipped",
                    "messages:     7 sent: 5 delivered, 0 partial, 0 rejected, 2 failed, 0 unknown",
                    "recipients:   7: 5 accepted, 2 rejected (5xx), 0 transient (4xx), 0 unknown",
                    "reply codes:  250 x5",
                    "connections:  2" + System.lineSeparator(), // --per-destination 1: one per domain with an exchanger
                    "exit status 3: some recipients accepted");
            assertThat(run.err()).isEmpty();

            List<Map<String, Object>> lines = BulkCommandTest.reportLines(report);
            assertThat(lines).hasSize(7);
            Map<String, Map<String, Object>> byAddress = lines.stream()
                    .collect(Collectors.toMap(l -> (String) rcpts(l).get(0).get("address"), l -> l));
            assertThat(byAddress.keySet()).containsExactlyInAnyOrder("user1@a.test", "user2@a.test",
                    "user3@a.test", "user1@b.test", "user2@b.test", "user1@c.test", "user2@c.test");
            for (String address : List.of("user1@c.test", "user2@c.test")) {
                Map<String, Object> line = byAddress.get(address);
                assertThat(line.get("outcome")).as(line.toString()).isEqualTo("FAILED");
                assertThat(rcpts(line)).singleElement().satisfies(r -> {
                    assertThat(r.get("line")).isEqualTo(address.startsWith("user1") ? 3L : 6L);
                    assertThat(r.get("status")).isEqualTo("PERMANENT_FAILURE");
                    assertThat(r.get("code")).isNull();
                    assertThat((String) r.get("text")).contains("c.test accepts no mail (null MX, RFC 7505)");
                    assertThat(r).as("no session, no TLS level").doesNotContainKey("tls");
                });
                @SuppressWarnings("unchecked")
                Map<String, Object> error = (Map<String, Object>) line.get("error");
                assertThat(error.get("type")).isEqualTo("SmtpNoMailExchangerException");
            }
            for (String address : List.of("user1@a.test", "user2@a.test", "user3@a.test", "user1@b.test",
                    "user2@b.test")) {
                Map<String, Object> line = byAddress.get(address);
                assertThat(line.get("outcome")).as(line.toString()).isEqualTo("DELIVERED");
                assertThat(rcpts(line)).singleElement().satisfies(r -> {
                    assertThat(r.get("status")).isEqualTo("ACCEPTED");
                    assertThat(r.get("code")).isEqualTo(250L);
                    // The TLS level the recipient's domain reached: no TLSA, no MTA-STS policy, so dane is may.
                    @SuppressWarnings("unchecked")
                    Map<String, Object> tls = (Map<String, Object>) r.get("tls");
                    assertThat(tls).as(line.toString()).containsEntry("level", "may").containsEntry("source", "NONE")
                            .containsEntry("host", address.endsWith("@a.test") ? "mx.a.test" : "mx.b.test")
                            .containsEntry("authenticated", false).containsEntry("mxDnssecValidated", false)
                            .containsKeys("encrypted", "plaintextAfterFailedHandshake").doesNotContainKey("domain");
                });
            }

            // --retry-from reads the lines with their "tls" members: every recipient is done, nothing is sent.
            BulkCommandTest.Run retry = BulkCommandTest.run("--mx", "--dns-server", dnsServer,
                    "--mx-port", Integer.toString(servers.port), "--from", "news@example.com",
                    "--recipients", recipients.toString(), "--body", body.toString(),
                    "--retry-from", report.toString(), "--report", dir.resolve("second.jsonl").toString());
            assertThat(retry.code()).as(retry.toString()).isEqualTo(ExitCodes.OK);
            assertThat(retry.out()).contains("0 sent", "7 skipped");
            assertThat(retry.err()).isEmpty();
            assertThat(servers.first.rcpts).hasSize(3);
        }
    }

    @Test
    void badTestHookValuesAreUsageErrorsOnOneLine() throws IOException {
        Path recipients = Files.writeString(dir.resolve("r.txt"), "user@a.test\n");
        String body = Files.writeString(dir.resolve("m.eml"), MESSAGE).toString();
        Map<String, String[]> cases = Map.of(
                "reactive-smtp bulk: --dns-server needs --mx", new String[] {"--dns-server", "127.0.0.1:53"},
                "reactive-smtp bulk: --mx-port needs --mx", new String[] {"--mx-port", "2525"},
                "reactive-smtp bulk: --dns-server: invalid server \"nowhere\"",
                new String[] {"--mx", "--dns-server", "nowhere"},
                "reactive-smtp bulk: --dns-server: \"dns.test:53\" must name an IP address",
                new String[] {"--mx", "--dns-server", "dns.test:53"},
                "reactive-smtp bulk: --mx-port must be a port number 1-65535, not \"0\"",
                new String[] {"--mx", "--mx-port", "0"},
                "reactive-smtp bulk: --mx-port must be a port number 1-65535, not \"x25\"",
                new String[] {"--mx", "--mx-port", "x25"},
                "reactive-smtp bulk: --mx-port must be a port number 1-65535, not \"65536\"",
                new String[] {"--mx", "--mx-port", "65536"});
        cases.forEach((message, extra) -> {
            BulkCommandTest.Run run = BulkCommandTest.run(Stream.concat(Stream.of("--from", "news@example.com",
                    "--recipients", recipients.toString(), "--body", body), Stream.of(extra)).toArray(String[]::new));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(run.out()).as(run.toString()).isEmpty();
            assertThat(run.err()).as(run.toString()).startsWith(message).hasLineCount(1);
        });
    }

    @Test
    void theTestHooksAreHiddenFromHelp() {
        BulkCommandTest.Run run = BulkCommandTest.run("--help");
        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("--mx").doesNotContain("--dns-server", "--mx-port");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> rcpts(Map<String, Object> line) {
        return (List<Map<String, Object>>) line.get("recipients");
    }

    /** A SubEthaSMTP server bound to one loopback address that records the recipients it accepts. */
    static final class RecordingServer implements AutoCloseable {
        final List<String> rcpts = Collections.synchronizedList(new ArrayList<>());
        private final SMTPServer server;

        RecordingServer(String address, int port) throws UnknownHostException {
            server = SMTPServer.port(port)
                    .bindAddress(InetAddress.getByName(address))
                    .hostName("mx.test")
                    .connectionTimeout(30, TimeUnit.SECONDS)
                    .messageHandlerFactory(this::handler)
                    .build();
            server.start();
        }

        int port() {
            return server.getPortAllocated();
        }

        private MessageHandler handler(MessageContext context) {
            return new MessageHandler() {
                @Override
                public void from(String from) {
                }

                @Override
                public void recipient(String recipient) {
                    rcpts.add(recipient);
                }

                @Override
                public String data(InputStream data) throws IOException {
                    data.readAllBytes();
                    return null;
                }

                @Override
                public void done() {
                }
            };
        }

        @Override
        public void close() {
            server.stop();
        }
    }

    /** Servers on 127.0.0.1 and 127.0.0.2, one port (MX routing has one port for every host). */
    static final class ServerPair implements AutoCloseable {
        final RecordingServer first;
        final RecordingServer second;
        final int port;

        private ServerPair(RecordingServer first, RecordingServer second) {
            this.first = first;
            this.second = second;
            this.port = first.port();
        }

        /** The first on an ephemeral port, the second on the same; another port if that one is taken there. */
        static ServerPair start() throws UnknownHostException {
            RuntimeException last = null;
            for (int attempt = 0; attempt < 10; attempt++) {
                RecordingServer first = new RecordingServer("127.0.0.1", 0);
                try {
                    return new ServerPair(first, new RecordingServer("127.0.0.2", first.port()));
                } catch (RuntimeException e) {
                    first.close();
                    last = e;
                }
            }
            throw new IllegalStateException("no port free on both 127.0.0.1 and 127.0.0.2", last);
        }

        @Override
        public void close() {
            first.close();
            second.close();
        }
    }
}
