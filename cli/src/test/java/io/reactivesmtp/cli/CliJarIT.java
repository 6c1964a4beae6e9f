package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.mime.Parsed;
import io.reactivesmtp.testing.DkimTestKeys;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import io.reactivesmtp.testing.SubethaSmtpServer;
import io.reactivesmtp.testing.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged program ({@code java -jar reactive-smtp-cli.jar}, see {@link PackagedCli}) on each command's main
 * path, against servers in this JVM on loopback: what a user who built the jar gets. A class or resource the
 * shaded jar lacks fails these tests (issue 13: Bouncy Castle was missing, so every DKIM send crashed), which the
 * in-process command tests cannot see. The Kafka commands are in {@link KafkaJarIT}, the SIGKILL of a bulk run in
 * {@link BulkKillJarIT}, Postfix and dkimpy in {@link CliJarInteropIT}. {@code bulk}'s composed messages are read
 * back with mime4j.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CliJarIT {

    private static final Duration RUN = Duration.ofSeconds(90);
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String PASSWORD = "Jar-9vK!q2-not-in-any-output";
    private static final String MESSAGE = "From: me@example.com\r\nTo: you@example.com\r\nSubject: from the jar\r\n"
            + "Message-ID: <jar@example.com>\r\n\r\nHello from the packaged jar.\r\n.A line starting with a dot.\r\n";

    @TempDir
    Path dir;

    private PackagedCli cli;

    @BeforeEach
    void setUp() {
        cli = new PackagedCli(dir);
    }

    @Test
    void versionComesFromTheJarManifest() {
        PackagedCli.Result r = cli.command("--version").run(RUN).assertExit(ExitCodes.OK);
        assertThat(r.out()).startsWith("reactive-smtp 0.").doesNotContain("development build");
    }

    @Test
    void demoShowsAPartialDeliveryAndExitsThree() {
        PackagedCli.Result r = cli.command("demo").run(RUN).assertExit(ExitCodes.PARTIAL);
        assertThat(r.out()).contains("embedded SubEthaSMTP on 127.0.0.1:", "PARTIAL",
                "embedded server received 1 message");
        assertThat(r.out().lines()).filteredOn(l -> l.matches("\\s+alice@example\\.com\\s+ACCEPTED\\s+250\\s.*"))
                .hasSize(1);
        assertThat(r.out().lines()).filteredOn(l -> l.matches("\\s+busy@example\\.net\\s+TRANSIENT_FAILURE\\s+451\\s.*"))
                .hasSize(1);
        assertThat(r.err()).as("stderr stays clean: the jar's logging configuration is in it").isEmpty();
    }

    @Test
    void sendFromStandardInputShowsEachRecipient() {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder()
                .rejectRecipient("nobody@example.net", 550, "5.1.1 no such user").start()) {
            PackagedCli.Result r = cli.command("send", "--server", "127.0.0.1:" + server.port(), "--tls", "none",
                    "--from", "me@example.com", "--to", "you@example.com", "--to", "nobody@example.net")
                    .stdin(MESSAGE).run(RUN).assertExit(ExitCodes.PARTIAL);
            assertThat(r.out()).contains("PARTIAL", "message:  standard input");
            assertThat(r.out().lines()).filteredOn(l -> l.matches("\\s+you@example\\.com\\s+ACCEPTED\\s+250\\s.*"))
                    .hasSize(1);
            assertThat(r.out().lines())
                    .filteredOn(l -> l.matches("\\s+nobody@example\\.net\\s+PERMANENT_FAILURE\\s+550\\s.*")).hasSize(1);
            List<SubethaSmtpServer.ReceivedMessage> got = server.awaitMessages(1, WAIT);
            assertThat(got.get(0).recipients()).containsExactly("you@example.com");
            assertThat(got.get(0).dataAsString()).contains("Subject: from the jar", "\r\n.A line starting with a dot.");
        }
    }

    @Test
    void sendWithStartTlsTrustPemAndAuthDelivers() throws Exception {
        Path caPem = TestPki.caPem(dir);
        Script script = Script.create().send("220 mx.test ESMTP")
                .expect("EHLO client.test").send("250-mx.test", "250-PIPELINING", "250 STARTTLS")
                .expect("STARTTLS").send("220 2.0.0 ready to start TLS")
                .startTls(TestPki.serverContext(TestPki.good()))
                .expect("EHLO client.test").send("250-mx.test", "250-PIPELINING", "250-ENHANCEDSTATUSCODES",
                        "250 AUTH PLAIN LOGIN")
                .expect("AUTH PLAIN " + Base64.getEncoder().encodeToString(
                        ("\0alice\0" + PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .send("235 2.7.0 authenticated")
                .expect("MAIL FROM:<me@example.com>").send("250 2.1.0 ok")
                .expect("RCPT TO:<you@example.com>").send("250 2.1.5 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 2.0.0 queued as 42")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Path body = Files.writeString(dir.resolve("message.eml"), MESSAGE);
            PackagedCli.Result r = cli.command("send", "--server", "localhost:" + server.port(),
                    "--helo", "client.test", "--trust-pem", caPem.toString(), "--user", "alice",
                    "--password-env", "SMTP_PASSWORD", "--from", "me@example.com", "--to", "you@example.com",
                    "--body", body.toString())
                    .env("SMTP_PASSWORD", PASSWORD).run(RUN).assertExit(ExitCodes.OK);
            assertThat(r.out()).contains("tls:      TLSv1.", "DELIVERED (1 of 1 recipients accepted)");
            assertThat(r.out() + r.err()).doesNotContain(PASSWORD);
            server.awaitScriptDone(WAIT);
            assertThat(new String(server.messageReceived(0), StandardCharsets.UTF_8)).isEqualTo(MESSAGE);
        }
    }

    @Test
    void sendSignsWithRsaAndEd25519Keys() throws Exception {
        Path rsa = DkimTestKeys.rsaPkcs1(dir.resolve("rsa.pem"));
        Path ed = DkimTestKeys.ed25519Pkcs8(dir.resolve("ed25519.pem"));
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            Path body = Files.writeString(dir.resolve("message.eml"), MESSAGE);
            PackagedCli.Result r = cli.command("send", "--server", "127.0.0.1:" + server.port(), "--tls", "none",
                    "--from", "me@example.com", "--to", "you@example.com", "--body", body.toString(),
                    "--dkim-key", rsa.toString(), "--dkim-selector", "rsa", "--dkim-domain", "example.com",
                    "--dkim-key", ed.toString(), "--dkim-selector", "ed", "--dkim-domain", "example.com")
                    .run(RUN).assertExit(ExitCodes.OK);
            assertThat(r.out()).contains("DELIVERED");
            String received = server.awaitMessages(1, WAIT).get(0).dataAsString();
            List<String> signatures = received.lines().filter(l -> l.startsWith("DKIM-Signature:")).toList();
            assertThat(signatures).hasSize(2);
            assertThat(received).contains("a=rsa-sha256", "s=rsa", "a=ed25519-sha256", "s=ed", "d=example.com");
        }
    }

    @Test
    void probeListsTheCapabilities() {
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            PackagedCli.Result r = cli.command("probe", "--server", "127.0.0.1:" + server.port(),
                    "--tls", "opportunistic").run(RUN).assertExit(ExitCodes.OK);
            assertThat(r.out()).containsPattern("greeting:     220 ")
                    .contains("capabilities before TLS (EHLO ", "  8BITMIME", "  PIPELINING", "  CHUNKING",
                            "tls:          not offered", "result:       OK, TLS policy opportunistic met");
            assertThat(server.messages()).isEmpty();
        }
    }

    @Test
    void bouncesReadsAMaildirWithTheParserInTheJar() throws Exception {
        Path maildir = dir.resolve("Maildir");
        Files.createDirectories(maildir.resolve("new"));
        Files.writeString(maildir.resolve("new/1"), BouncesCommandTest.sample("exim-remote-unknown-user.eml"));
        Files.writeString(maildir.resolve("new/2"), BouncesCommandTest.sample("rfc5965-full.eml"));
        Path list = dir.resolve("suppress.txt");
        PackagedCli.Result r = cli.command("bounces", maildir.toString(), "--output", dir.resolve("b.jsonl").toString(),
                "--suppression-list", list.toString()).run(RUN).assertExit(ExitCodes.OK);
        assertThat(r.out()).contains("2 message(s) in 1 mailbox(es): 1 delivery status, 1 feedback");
        assertThat(Files.readAllLines(list)).endsWith("ghost@remote.test", "user@example.com");
    }

    @Test
    void bulkLoadsNeitherJacksonDatabindNorJfrEventsNorLeakTracking() throws Exception {
        // Databind's first use costs a fresh JVM about half a second (JsonLines): a plain bulk run, report,
        // --json summary and --pacing-state included, reads and writes its JSON with Jackson's streaming layer alone. Netty's JFR events and
        // leak detector are off unless asked for (Main.quietNetty): with the detector on, a sampling interval of 1
        // would track every buffer.
        Path recipients = Files.writeString(dir.resolve("recipients.txt"), "a@example.com\nb@example.com\n");
        Path body = Files.writeString(dir.resolve("message.eml"), MESSAGE);
        Path report = dir.resolve("report.jsonl");
        Path classes = dir.resolve("classes.log");
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            PackagedCli.Result r = cli.command("bulk", "--server", "127.0.0.1:" + server.port(), "--tls", "none",
                    "--from", "news@example.com", "--recipients", recipients.toString(), "--body", body.toString(),
                    "--report", report.toString(), "--json", "--pacing-state", dir.resolve("pacing.json").toString())
                    .jvmOptions("-Xlog:class+load=info:file=" + classes,
                            "-Dio.netty.leakDetection.samplingInterval=1")
                    .run(RUN).assertExit(ExitCodes.OK);
            assertThat(r.out()).contains("\"delivered\": 2");
            assertThat(Files.readAllLines(report)).hasSize(4);
        }
        List<String> loaded = Files.readAllLines(classes);
        assertThat(loaded).anyMatch(l -> l.contains("com.fasterxml.jackson.core.JsonFactory "));
        assertThat(loaded).noneMatch(l -> l.contains("com.fasterxml.jackson.databind."));
        assertThat(loaded).anyMatch(l -> l.contains("io.netty.buffer."));
        // Netty still asks whether JFR is there (FlightRecorder loads), but registers no event class.
        assertThat(loaded).noneMatch(l -> l.contains("io.netty.buffer.AllocateBufferEvent ")
                || l.contains("jdk.jfr.internal.EventHandlerCreator "));
        // (SimpleLeakAwareByteBuf itself loads with the allocator, used or not; a tracked buffer's record does not.)
        assertThat(loaded).noneMatch(l -> l.contains("io.netty.util.ResourceLeakDetector$DefaultResourceLeak "));
    }

    @Test
    void bulkWritesAReportAndRetryFromSendsOnlyTheTransientFailures() throws Exception {
        StringBuilder file = new StringBuilder("# newsletter\n");
        for (int i = 0; i < 30; i++) {
            file.append("reader").append(i).append("@example.com\n");
        }
        file.append("busy@example.net\nnobody@example.net\n");
        Path recipients = Files.writeString(dir.resolve("recipients.txt"), file);
        Path body = Files.writeString(dir.resolve("message.eml"), MESSAGE);
        Path report = dir.resolve("report.jsonl");
        try (SubethaSmtpServer first = SubethaSmtpServer.builder()
                .rejectRecipient("nobody@example.net", 550, "5.1.1 no such user")
                .rejectRecipient("busy@example.net", 451, "4.2.1 mailbox busy").start()) {
            PackagedCli.Result r = cli.command("bulk", "--server", "127.0.0.1:" + first.port(), "--tls", "none",
                    "--from", "news@example.com", "--recipients", recipients.toString(), "--body", body.toString(),
                    "--per-message", "4", "--report", report.toString())
                    .run(RUN).assertExit(ExitCodes.PARTIAL);
            assertThat(r.out()).contains("exit status 3");
            assertThat(messageLines(report)).hasSize(8); // 32 recipients, 4 per message
            assertThat(first.messages().stream().mapToInt(m -> m.recipients().size()).sum()).isEqualTo(30);
        }
        try (SubethaSmtpServer second = SubethaSmtpServer.start()) {
            PackagedCli.Result r = cli.command("bulk", "--server", "127.0.0.1:" + second.port(), "--tls", "none",
                    "--from", "news@example.com", "--recipients", recipients.toString(), "--body", body.toString(),
                    "--retry-from", report.toString(), "--report", report.toString())
                    .run(RUN).assertExit(ExitCodes.OK);
            assertThat(r.out()).contains("exit status 0");
            List<SubethaSmtpServer.ReceivedMessage> got = second.awaitMessages(1, WAIT);
            assertThat(got).hasSize(1);
            assertThat(got.get(0).recipients()).containsExactly("busy@example.net");
            assertThat(messageLines(report)).hasSize(9).last().asString().contains("busy@example.net",
                    "\"ACCEPTED\"");
        }
    }

    @Test
    void bulkKeepsWhatPacingLearnedInItsStateFileBetweenRuns() throws Exception {
        Path recipients = Files.writeString(dir.resolve("four.txt"), "a@example.com\nb@example.com\n"
                + "c@example.com\nd@example.com\n");
        Path body = Files.writeString(dir.resolve("message.eml"), MESSAGE);
        Path state = dir.resolve("pacing.json");
        String refusingSite;
        try (io.reactivesmtp.testing.ScriptedSmtpServer refusing = io.reactivesmtp.testing.ScriptedSmtpServer.start(
                io.reactivesmtp.testing.Script.create().send("421 4.7.0 too many connections").close())) {
            refusingSite = "127.0.0.1:" + refusing.port();
            cli.command("bulk", "--server", refusingSite, "--tls", "none", "--from", "news@example.com",
                    "--recipients", recipients.toString(), "--body", body.toString(), "--concurrency", "4",
                    "--pacing-state", state.toString()).run(RUN).assertExit(ExitCodes.FAILED);
        }
        List<io.reactivesmtp.reactor.LearnedPace> learned = PacingStateFile.read(state, java.time.Instant.now());
        assertThat(learned).singleElement().satisfies(l -> {
            assertThat(l.site()).isEqualTo(refusingSite);
            assertThat(l.limit()).as("halved from the initial 4").isLessThan(4);
        });
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            cli.command("bulk", "--server", "127.0.0.1:" + server.port(), "--tls", "none", "--from",
                    "news@example.com", "--recipients", recipients.toString(), "--body", body.toString(),
                    "--pacing-state", state.toString()).run(RUN).assertExit(ExitCodes.OK);
        }
        assertThat(PacingStateFile.read(state, java.time.Instant.now())).as("read, and written back").isEqualTo(learned);
    }

    @Test
    void bulkComposesEachRecipientsMessageWithItsAttachment() throws Exception {
        Path recipients = Files.writeString(dir.resolve("recipients.txt"), "ann@example.com\nbob@example.org\n");
        Path text = Files.writeString(dir.resolve("body.txt"), "Grüße from the jar\n");
        byte[] pdf = new byte[100_000];
        new java.util.SplittableRandom(13).nextBytes(pdf);
        Path attachment = Files.write(dir.resolve("report.pdf"), pdf);
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            PackagedCli.Result r = cli.command("bulk", "--server", "127.0.0.1:" + server.port(), "--tls", "none",
                    "--from", "news@example.com", "--recipients", recipients.toString(), "--subject", "Grüße",
                    "--text", text.toString(), "--attach", attachment.toString(),
                    "--list-unsubscribe", "https://example.com/u?list=1")
                    .run(RUN).assertExit(ExitCodes.OK);
            assertThat(r.out()).contains("exit status 0");
            List<SubethaSmtpServer.ReceivedMessage> got = server.awaitMessages(2, WAIT);
            assertThat(got).extracting(m -> m.recipients().get(0))
                    .containsExactlyInAnyOrder("ann@example.com", "bob@example.org");
            for (SubethaSmtpServer.ReceivedMessage m : got) {
                assertThat(Parsed.mime4j(m.data()).getTo().flatten()).extracting(a -> a.getAddress())
                        .containsExactly(m.recipients().get(0));
                List<Parsed.Leaf> leaves = Parsed.mime4jLeaves(m.data());
                assertThat(leaves).extracting(Parsed.Leaf::type).containsExactly("text/plain", "application/pdf");
                assertThat(new String(leaves.get(0).bytes(), StandardCharsets.UTF_8)).isEqualTo("Grüße from the jar\r\n");
                assertThat(leaves.get(1).bytes()).isEqualTo(pdf);
                assertThat(m.dataAsString()).contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
            }
        }
    }

    /** The report's message lines (one per message), whatever else it holds. */
    private static List<String> messageLines(Path report) throws java.io.IOException {
        return Files.readAllLines(report).stream().filter(l -> l.startsWith("{\"id\": ")).toList();
    }

    /**
     * Issue 21's first check: an MX offering STARTTLS with a self-signed certificate (common on the internet). On
     * main before the TLS levels, {@code bulk --mx --tls opportunistic} delivered nothing there (exit 4: the
     * certificate was verified); at level may it is delivered, over TLS.
     */
    @Test
    void bulkMxAtLevelMayDeliversOverTlsToASelfSignedMx() throws Exception {
        Script script = Script.create().send("220 mx.example.test ESMTP")
                .expectMatching("EHLO .*").send("250-mx.example.test", "250 STARTTLS")
                .expect("STARTTLS").send("220 2.0.0 ready")
                .startTls(TestPki.serverContext(TestPki.selfSigned()))
                .expectMatching("EHLO .*").send("250 mx.example.test")
                .expect("MAIL FROM:<me@example.com>").send("250 ok")
                .expect("RCPT TO:<you@example.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 2.0.0 queued")
                .expect("QUIT").send("221 bye").close();
        try (io.reactivesmtp.reactor.CliTestDns dns = io.reactivesmtp.reactor.CliTestDns.start();
                ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "127.0.0.1");
            Path recipients = Files.writeString(dir.resolve("recipients.txt"), "you@example.test\n");
            Path body = Files.writeString(dir.resolve("message.eml"), MESSAGE);
            PackagedCli.Result r = cli.command("bulk", "--mx", "--tls-level", "may",
                    "--dns-server", "127.0.0.1:" + dns.address().getPort(), "--mx-port", Integer.toString(server.port()),
                    "--from", "me@example.com", "--recipients", recipients.toString(), "--body", body.toString())
                    .run(RUN).assertExit(ExitCodes.OK);
            assertThat(r.out()).contains("TLS level may", "1 sent: 1 delivered");
            server.awaitScriptDone(WAIT);
            assertThat(server.dataCount()).isEqualTo(1);
        }
    }
}
