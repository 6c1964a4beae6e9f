package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import io.reactivesmtp.testing.TestPki;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code reactive-smtp probe}, run in-process against scripted SMTP servers on 127.0.0.1 (reached as
 * {@code localhost}, the name in the test certificate) and against the embedded SubEthaSMTP server. Every
 * scripted transcript is checked for the absence of MAIL (and AUTH).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ProbeCommandTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path dir;
    private static Path caPem;

    @BeforeAll
    static void files() {
        caPem = TestPki.caPem(dir);
    }

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        PrintStream systemOut = System.out;
        PrintStream systemErr = System.err;
        ByteArrayOutputStream direct = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(direct, true, StandardCharsets.UTF_8);
        int code;
        // Before the CommandLine is made: picocli resets its writers to System.out/err as they were then.
        System.setOut(capture);
        System.setErr(capture);
        try {
            CommandLine cl = Main.commandLine()
                    .setOut(new PrintWriter(out, true))
                    .setErr(new PrintWriter(err, true));
            code = cl.execute(args);
        } finally {
            System.setOut(systemOut);
            System.setErr(systemErr);
        }
        return new Run(code, out.toString(), err.toString());
    }

    private static String[] args(int port, String... more) {
        return Stream.concat(Stream.of("probe", "--server", "localhost:" + port, "--helo", "client.test",
                "--timeout-seconds", "5"), Stream.of(more)).toArray(String[]::new);
    }

    /** Greeting and a first EHLO advertising the keywords. */
    private static Script greetedWith(String... keywords) {
        String[] ehlo = new String[keywords.length + 1];
        ehlo[0] = "250-mx.test";
        for (int i = 0; i < keywords.length; i++) {
            ehlo[i + 1] = (i == keywords.length - 1 ? "250 " : "250-") + keywords[i];
        }
        return Script.create().send("220 mx.test ESMTP ready").expect("EHLO client.test").send(ehlo);
    }

    /** STARTTLS with the given certificate, a second EHLO, QUIT. */
    private static Script startTlsServer(TestPki.Credential credential) {
        return greetedWith("PIPELINING", "SIZE 1000", "STARTTLS")
                .expect("STARTTLS").send("220 2.0.0 ready to start TLS")
                .startTls(TestPki.serverContext(credential))
                .expect("EHLO client.test").send("250-mx.test", "250-PIPELINING", "250-SIZE 10240000",
                        "250 AUTH PLAIN LOGIN")
                .expect("QUIT").send("221 bye").close();
    }

    private static void assertNoMail(ScriptedSmtpServer server) {
        assertThat(server.linesReceived(0)).noneMatch(l -> l.toUpperCase().startsWith("MAIL"))
                .noneMatch(l -> l.toUpperCase().startsWith("AUTH"));
    }

    @SuppressWarnings("unchecked")
    private static <T> T at(Map<String, Object> json, String... path) {
        Object v = json;
        for (String key : path) {
            assertThat(v).as("parent of %s", key).isInstanceOf(Map.class);
            v = ((Map<String, Object>) v).get(key);
        }
        return (T) v;
    }

    @Test
    void startTlsServerWithTrustPemShowsCapabilitiesBeforeAndAfterTlsAndTheChain() {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(startTlsServer(TestPki.good()))) {
            Run run = run(args(server.port(), "--trust-pem", caPem.toString()));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(run.err()).isEmpty();
            String out = run.out();
            assertThat(out).contains("greeting:     220 mx.test ESMTP ready\n",
                    "capabilities before TLS (EHLO mx.test):\n  PIPELINING\n  SIZE 1000\n  STARTTLS\n",
                    "capabilities after TLS (EHLO mx.test):\n  PIPELINING\n  SIZE 10240000\n  AUTH PLAIN LOGIN\n",
                    "tls:          TLSv1.", "certificate chain trusted and host name verified",
                    "issuer:  " + TestPki.CA_SUBJECT + "\n",
                    "(matches localhost)",
                    "auth:         LOGIN PLAIN\n", "size limit:   10240000 bytes\n",
                    "result:       OK, TLS policy required met");
            assertThat(out).containsPattern("\\[0] subject: CN=localhost");
            assertThat(out).contains("valid now");
            server.awaitScriptDone(WAIT);
            assertThat(server.linesReceived(0)).containsExactly("EHLO client.test", "STARTTLS", "EHLO client.test",
                    "QUIT");
            assertNoMail(server);
            assertThat(server.connectionCount()).isEqualTo(1);
        }
    }

    @Test
    void jsonHasEveryField() {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(startTlsServer(TestPki.good()))) {
            Run run = run(args(server.port(), "--trust-pem", caPem.toString(), "--json"));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            Map<String, Object> json = DemoCommandTest.json(run.out());
            assertThat(json).containsKeys("server", "greeting", "capabilities", "tls", "auth", "sizeLimit", "error");
            assertThat(json.get("server")).isEqualTo("localhost:" + server.port());
            assertThat(json.get("tlsPolicy")).isEqualTo("REQUIRED");
            assertThat(json.get("greeting")).isEqualTo("220 mx.test ESMTP ready");
            assertThat((List<Object>) at(json, "capabilities", "beforeTls"))
                    .containsExactly("PIPELINING", "SIZE 1000", "STARTTLS");
            assertThat((List<Object>) at(json, "capabilities", "afterTls"))
                    .containsExactly("PIPELINING", "SIZE 10240000", "AUTH PLAIN LOGIN");
            assertThat(json.get("tlsStatus")).isEqualTo("ESTABLISHED");
            assertThat((String) at(json, "tls", "protocol")).startsWith("TLSv1.");
            assertThat((String) at(json, "tls", "cipherSuite")).isNotEmpty();
            assertThat((String) at(json, "tls", "provider")).isNotEmpty();
            assertThat((Boolean) at(json, "tls", "hostnameVerified")).isTrue();
            List<Map<String, Object>> certs = at(json, "tls", "certificates");
            assertThat(certs).isNotEmpty();
            assertThat(certs.get(0)).containsKeys("subject", "issuer", "notBefore", "notAfter")
                    .containsEntry("issuer", TestPki.CA_SUBJECT).containsEntry("matchesHost", true)
                    .containsEntry("validNow", true);
            assertThat((String) certs.get(0).get("subject")).contains("CN=localhost");
            assertThat((List<Object>) certs.get(0).get("subjectAltNames")).contains("DNS:localhost");
            assertThat((List<Object>) json.get("auth")).containsExactly("LOGIN", "PLAIN");
            assertThat(json.get("sizeLimit")).isEqualTo(10240000L);
            assertThat(json.get("error")).isNull();
            server.awaitScriptDone(WAIT);
            assertNoMail(server);
        }
    }

    @Test
    void requiredTlsWithoutStartTlsExitsFourWithAClearError() {
        Script script = greetedWith("PIPELINING", "AUTH PLAIN", "SIZE 5000").expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Run run = run(args(server.port(), "--json"));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
            Map<String, Object> json = DemoCommandTest.json(run.out());
            assertThat(json.get("tlsStatus")).isEqualTo("NOT_OFFERED");
            assertThat(json.get("tls")).isNull();
            assertThat((List<Object>) at(json, "capabilities", "beforeTls"))
                    .containsExactly("PIPELINING", "AUTH PLAIN", "SIZE 5000");
            assertThat((Object) at(json, "capabilities", "afterTls")).isNull();
            assertThat((List<Object>) json.get("auth")).containsExactly("PLAIN");
            assertThat(json.get("sizeLimit")).isEqualTo(5000L);
            assertThat((String) at(json, "error", "type")).isEqualTo("SmtpTlsException");
            assertThat((String) at(json, "error", "message")).contains("does not offer STARTTLS");
            assertThat(run.err().lines().toList()).hasSize(1);
            assertThat(run.err()).startsWith("reactive-smtp probe: ").contains("TLS is required",
                    "does not offer STARTTLS");
            server.awaitScriptDone(WAIT);
            assertThat(server.linesReceived(0)).containsExactly("EHLO client.test", "QUIT");
        }
    }

    @Test
    void untrustedCertificateExitsFourAndStillShowsThePresentedChain() {
        // A self-signed certificate for localhost: the client trusts only the test CA.
        Script script = greetedWith("STARTTLS")
                .expect("STARTTLS").send("220 2.0.0 go ahead")
                .startTls(TestPki.serverContext(TestPki.selfSigned()))
                .ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Run run = run(args(server.port(), "--trust-pem", caPem.toString()));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
            assertThat(run.out()).contains("tls:          FAILED: the certificate below was not accepted",
                    "[0] subject: CN=localhost", "error:        SmtpTlsException: ");
            assertThat(run.out()).doesNotContain("capabilities after TLS", "result:       OK");
            assertThat(run.err()).startsWith("reactive-smtp probe: TLS handshake with");
            server.awaitConnectionClosed(WAIT);
            assertNoMail(server);
        }
    }

    @Test
    void certificateForAnotherHostFailsVerificationAndShowsTheMismatch() {
        Script script = greetedWith("STARTTLS")
                .expect("STARTTLS").send("220 2.0.0 go ahead")
                .startTls(TestPki.serverContext(TestPki.wrongHost()))
                .ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Run run = run(args(server.port(), "--trust-pem", caPem.toString(), "--tls", "opportunistic", "--json"));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
            Map<String, Object> json = DemoCommandTest.json(run.out());
            assertThat(json.get("tlsStatus")).isEqualTo("FAILED");
            assertThat((Boolean) at(json, "tls", "hostnameVerified")).isFalse();
            assertThat((Object) at(json, "tls", "protocol")).isNull();
            List<Map<String, Object>> certs = at(json, "tls", "certificates");
            assertThat(certs.get(0)).containsEntry("matchesHost", false);
            assertThat((List<Object>) certs.get(0).get("subjectAltNames")).containsExactly("DNS:mail.example.org");
            assertThat((String) at(json, "error", "type")).isEqualTo("SmtpTlsException");
            server.awaitConnectionClosed(WAIT);
            assertNoMail(server);
        }
    }

    @Test
    void embeddedServerWithOpportunisticTlsReportsNoStartTlsAndExitsZero() {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().start()) {
            Run run = run("probe", "--server", "127.0.0.1:" + server.port(), "--tls", "opportunistic",
                    "--timeout-seconds", "5");

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(run.out()).containsPattern("greeting:     220 .*ESMTP")
                    .contains("capabilities before TLS (EHLO ", "  PIPELINING",
                            "tls:          not offered: the server does not advertise STARTTLS",
                            "result:       OK, TLS policy opportunistic met")
                    .doesNotContain("capabilities after TLS");
            assertThat(server.messages()).isEmpty();
        }
    }

    @Test
    void embeddedServerWithRequiredTlsExitsFour() {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().start()) {
            Run run = run("probe", "--server", "127.0.0.1:" + server.port(), "--timeout-seconds", "5",
                    "--json");

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
            Map<String, Object> json = DemoCommandTest.json(run.out());
            assertThat((String) json.get("greeting")).startsWith("220 ");
            assertThat((String) at(json, "error", "message")).contains("does not offer STARTTLS");
            assertThat(server.messages()).isEmpty();
        }
    }

    @Test
    void tlsNoneShowsPlaintextCapabilitiesOnly() {
        Script script = greetedWith("STARTTLS", "SIZE 0").expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Run run = run(args(server.port(), "--tls", "none", "--json"));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            Map<String, Object> json = DemoCommandTest.json(run.out());
            assertThat(json.get("tlsStatus")).isEqualTo("DISABLED");
            assertThat(json.get("tls")).isNull();
            assertThat((List<Object>) at(json, "capabilities", "beforeTls")).containsExactly("STARTTLS", "SIZE 0");
            assertThat(json.get("sizeLimit")).isNull();
            assertThat((List<Object>) json.get("auth")).isEmpty();
            server.awaitScriptDone(WAIT);
            assertThat(server.linesReceived(0)).containsExactly("EHLO client.test", "QUIT");
        }
    }

    @Test
    void refusedStartTlsWithOpportunisticGoesOnInPlaintext() {
        Script script = greetedWith("STARTTLS", "AUTH LOGIN")
                .expect("STARTTLS").send("454 4.7.0 TLS not available")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Run run = run(args(server.port(), "--tls", "opportunistic"));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(run.out()).contains("tls:          STARTTLS refused: 454 TLS not available", "auth:         LOGIN");
            server.awaitScriptDone(WAIT);
            assertNoMail(server);
        }
    }

    @Test
    void badServerIsAUsageError() {
        for (String bad : List.of("localhost", "localhost:0", "localhost:99999", "[::1:25", "host name:25")) {
            Run run = run("probe", "--server", bad);
            assertThat(run.code()).as(bad + " " + run).isEqualTo(ExitCodes.USAGE);
            assertThat(run.out()).isEmpty();
            assertThat(run.err()).startsWith("reactive-smtp probe: ").contains("invalid server");
        }
    }

    @Test
    void missingServerAndUnreadableTrustPemAreUsageErrors() throws IOException {
        assertThat(run("probe").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("probe", "--server", "localhost:25", "--tls", "sometimes").code()).isEqualTo(ExitCodes.USAGE);
        Run missing = run("probe", "--server", "localhost:25", "--trust-pem", dir.resolve("nope.pem").toString());
        assertThat(missing.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).contains("--trust-pem:", "is not a readable file");
        Path notPem = Files.writeString(dir.resolve("not.pem"), "hello");
        Run garbage = run("probe", "--server", "localhost:25", "--trust-pem", notPem.toString());
        assertThat(garbage.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(garbage.err()).startsWith("reactive-smtp probe: --trust-pem:");
    }

    @Test
    void closedPortFailsWithinTheTimeoutLikeSend() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        long start = System.nanoTime();
        Run run = run("probe", "--server", "127.0.0.1:" + closed, "--timeout-seconds", "20");
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.out() + run.err()).contains("127.0.0.1:" + closed);
        // It used to wait for a QUIT reply on the never-connected channel: the timeout + 2 s. A wide bound (the
        // JVM is warm or not, the machine busy or not); ProbeTimingJarIT checks the packaged program.
        assertThat(took).as("probe to a closed port").isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void helpListsTheOptionsAndTheDefault() {
        Run run = run("help", "probe");
        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("--server", "--tls", "--trust-pem", "--json", "Default: required",
                "never MAIL");
    }
}
