package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import io.reactivesmtp.testing.SubethaSmtpServer;
import io.reactivesmtp.testing.TestPki;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
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
 * {@code reactive-smtp send}, run in-process against scripted SMTP servers on 127.0.0.1 (reached as
 * {@code localhost}, the name in the test certificate). Every run checks that the password never shows up in
 * what the program printed, through picocli's writers or straight to System.out/System.err.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SendCommandTest {

    /** Distinctive, so that any leak into the output is found. */
    private static final String PASSWORD = "Pw-7dQ!zX9-unlikely-in-any-output";
    private static final String PASSWORD_B64 =
            Base64.getEncoder().encodeToString(PASSWORD.getBytes(StandardCharsets.UTF_8));
    private static final String PASSWORD_VAR = "RSMTP_TEST_PASSWORD";
    private static final Map<String, String> ENV = Map.of(PASSWORD_VAR, PASSWORD, "EMPTY_VAR", "");
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String MESSAGE = "From: me@example.com\r\nTo: you@example.com\r\nSubject: hi\r\n\r\n"
            + "Hello.\r\n.A line starting with a dot.\r\n";

    @TempDir
    static Path dir;
    private static Path caPem;
    private static Path bodyFile;

    @BeforeAll
    static void files() throws IOException {
        caPem = TestPki.caPem(dir);
        bodyFile = Files.writeString(dir.resolve("message.eml"), MESSAGE);
    }

    /** The exit status and what the program printed. */
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        return run(new ByteArrayInputStream(new byte[0]), null, args);
    }

    static Run run(InputStream stdin, Path tempDir, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        PrintStream systemOut = System.out;
        PrintStream systemErr = System.err;
        ByteArrayOutputStream direct = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(direct, true, StandardCharsets.UTF_8);
        int code;
        // Swapped before the CommandLine is made: picocli's execute() resets its writers to the streams that
        // System.out/System.err were when it was constructed, if they differ from the current ones.
        System.setOut(capture);
        System.setErr(capture);
        try {
            CommandLine cl = Main.commandLine()
                    .setOut(new PrintWriter(out, true))
                    .setErr(new PrintWriter(err, true));
            SendCommand send = cl.getSubcommands().get("send").getCommand();
            send.stdin(stdin);
            send.env(ENV::get);
            send.tempDir(tempDir);
            code = cl.execute(args);
        } finally {
            System.setOut(systemOut);
            System.setErr(systemErr);
        }
        Run run = new Run(code, out.toString(), err.toString());
        String logged = direct.toString(StandardCharsets.UTF_8);
        for (String text : List.of(run.out(), run.err(), logged)) {
            assertThat(text).as("output of %s", List.of(args)).doesNotContain(PASSWORD).doesNotContain(PASSWORD_B64);
        }
        return run;
    }

    /** The arguments every run shares, then the test's own. */
    private static String[] args(ScriptedSmtpServer server, String... more) {
        return Stream.concat(Stream.of("send", "--server", "localhost:" + server.port(), "--from", "me@example.com",
                        "--helo", "client.test", "--timeout-seconds", "5"), Stream.of(more))
                .toArray(String[]::new);
    }

    private static Script greetedWith(String... keywords) {
        String[] ehlo = new String[keywords.length + 1];
        ehlo[0] = "250-mx.test";
        for (int i = 0; i < keywords.length; i++) {
            ehlo[i + 1] = (i == keywords.length - 1 ? "250 " : "250-") + keywords[i];
        }
        return Script.create().send("220 mx.test ESMTP").expect("EHLO client.test").send(ehlo);
    }

    private static Map<String, Object> json(String text) {
        return DemoCommandTest.json(text);
    }

    private static void assertOneErrorLine(Run run, String... parts) {
        assertThat(run.err().lines().toList()).as(run.toString()).hasSize(1);
        assertThat(run.err()).startsWith("reactive-smtp send: ").contains(parts);
    }

    @Test
    void startTlsAndAuthPlainWithTrustPemDeliver() {
        Script script = greetedWith("PIPELINING", "STARTTLS")
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
            Run run = run(args(server, "--to", "you@example.com", "--trust-pem", caPem.toString(),
                    "--user", "alice", "--password-env", PASSWORD_VAR, "--body", bodyFile.toString(), "--json"));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(run.err()).isEmpty();
            Map<String, Object> json = json(run.out());
            assertThat(json).containsKeys("outcome", "recipients", "error", "tls");
            assertThat(json.get("outcome")).isEqualTo("DELIVERED");
            assertThat(json.get("error")).isNull();
            List<Map<String, Object>> rcpts = DemoCommandTest.recipients(json);
            assertThat(rcpts).hasSize(1);
            assertThat(rcpts.get(0)).containsEntry("address", "you@example.com").containsEntry("accepted", true)
                    .containsEntry("code", 250L).containsEntry("enhancedStatus", "2.0.0")
                    .containsEntry("text", "queued as 42");
            assertThat((String) ((Map<?, ?>) json.get("tls")).get("protocol")).startsWith("TLSv1.");
            server.awaitScriptDone(WAIT);
            assertThat(new String(server.messageReceived(0), StandardCharsets.UTF_8)).isEqualTo(MESSAGE);
        }
    }

    @Test
    void textReportShowsServerTlsOutcomeAndOneLinePerRecipient() {
        Script script = greetedWith("STARTTLS")
                .expect("STARTTLS").send("220 ready")
                .startTls(TestPki.serverContext(TestPki.good()))
                .expect("EHLO client.test").send("250-mx.test", "250 ENHANCEDSTATUSCODES")
                .expect("MAIL FROM:<me@example.com>").send("250 ok")
                .expect("RCPT TO:<you@example.com>").send("250 2.1.5 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 2.0.0 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Run run = run(args(server, "--to", "you@example.com", "--trust-pem", caPem.toString(),
                    "--body", bodyFile.toString()));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(run.out()).contains("server:   localhost:" + server.port() + "\n", "tls:      TLSv1.",
                    "DELIVERED (1 of 1 recipients accepted)");
            assertThat(run.out().lines()).filteredOn(l -> l.matches("\\s+you@example\\.com\\s+ACCEPTED\\s+250\\s.*"))
                    .hasSize(1);
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void partialRejectionExitsThreeWithEveryRecipientInJson() {
        Script script = greetedWith("PIPELINING", "ENHANCEDSTATUSCODES")
                .expect("MAIL FROM:<me@example.com>").send("250 2.1.0 ok")
                .expect("RCPT TO:<a@example.com>").send("250 2.1.5 ok")
                .expect("RCPT TO:<nobody@example.net>").send("550 5.1.1 no such user")
                .expect("DATA").send("354 go")
                .expectData().send("250 2.0.0 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Run run = run(args(server, "--tls", "none", "--to", "a@example.com", "--to", "nobody@example.net",
                    "--body", bodyFile.toString(), "--json"));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.PARTIAL);
            Map<String, Object> json = json(run.out());
            assertThat(json.get("outcome")).isEqualTo("PARTIAL");
            assertThat(json.get("error")).isNull();
            assertThat(json.get("tls")).isNull();
            List<Map<String, Object>> rcpts = DemoCommandTest.recipients(json);
            assertThat(rcpts).extracting(r -> r.get("address")).containsExactly("a@example.com", "nobody@example.net");
            assertThat(rcpts).extracting(r -> r.get("accepted")).containsExactly(true, false);
            assertThat(rcpts).extracting(r -> r.get("code")).containsExactly(250L, 550L);
            assertThat(rcpts).extracting(r -> r.get("enhancedStatus")).containsExactly("2.0.0", "5.1.1");
            assertThat(rcpts).extracting(r -> r.get("text")).containsExactly("queued", "no such user");
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void everyRecipientRejectedExitsFour() {
        Script script = greetedWith("ENHANCEDSTATUSCODES")
                .expect("MAIL FROM:<me@example.com>").send("250 2.1.0 ok")
                .expect("RCPT TO:<x@example.net>").send("550 5.1.1 no such user")
                .expect("RCPT TO:<y@example.net>").send("550 5.1.1 no such user")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Run run = run(args(server, "--tls", "none", "--to", "x@example.net", "--to", "y@example.net",
                    "--body", bodyFile.toString(), "--json"));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
            Map<String, Object> json = json(run.out());
            assertThat(json.get("outcome")).isEqualTo("REJECTED");
            assertThat(DemoCommandTest.recipients(json)).extracting(r -> r.get("accepted"))
                    .containsExactly(false, false);
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void requiredTlsAgainstAServerWithoutStartTlsSendsNoMail() {
        Script script = greetedWith("PIPELINING", "AUTH PLAIN").expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Run run = run(args(server, "--to", "you@example.com", "--user", "alice", "--password-env", PASSWORD_VAR,
                    "--body", bodyFile.toString(), "--json"));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
            Map<String, Object> json = json(run.out());
            assertThat(json.get("outcome")).isEqualTo("FAILED");
            Map<?, ?> error = (Map<?, ?>) json.get("error");
            assertThat(error.get("type")).isEqualTo("SmtpTlsException");
            assertThat((String) error.get("message")).contains("does not offer STARTTLS");
            assertOneErrorLine(run, "does not offer STARTTLS");
            server.awaitScriptDone(WAIT);
            assertThat(server.linesReceived(0)).containsExactly("EHLO client.test", "QUIT");
        }
    }

    @Test
    void anEmptyBodyFileIsAUsageErrorUnlessAllowed(@TempDir Path temp) throws IOException {
        Path empty = Files.write(temp.resolve("empty.eml"), new byte[0]);
        Run run = run("send", "--server", "127.0.0.1:1", "--tls", "none", "--from", "me@example.com", "--to",
                "you@example.com", "--body", empty.toString());

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("--body: " + empty + " is empty (0 bytes); give --allow-empty");
        assertThat(run.out()).isEmpty();
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            Run allowed = run("send", "--server", "127.0.0.1:" + server.port(), "--tls", "none", "--from",
                    "me@example.com", "--to", "you@example.com", "--body", empty.toString(), "--allow-empty");
            assertThat(allowed.code()).as(allowed.toString()).isEqualTo(ExitCodes.OK);
            assertThat(server.awaitMessages(1, WAIT)).hasSize(1);
        }
    }

    @Test
    void untrustedCertificateWithoutTrustPemFails() {
        Script script = greetedWith("STARTTLS").expect("STARTTLS").send("220 ready")
                .startTls(TestPki.serverContext(TestPki.good())).ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Run run = run(args(server, "--to", "you@example.com", "--user", "alice", "--password-env", PASSWORD_VAR,
                    "--body", bodyFile.toString()));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
            assertThat(run.out()).contains("outcome:  FAILED", "SmtpTlsException");
            assertOneErrorLine(run, "TLS handshake with localhost:" + server.port() + " failed");
            server.awaitConnectionClosed(WAIT);
            assertThat(server.linesReceived(0)).containsExactly("EHLO client.test", "STARTTLS");
        }
    }

    @Test
    void bodyFromStandardInputIsSentAndItsTemporaryFileDeleted(@TempDir Path temp) {
        Script script = greetedWith("PIPELINING")
                .expect("MAIL FROM:<me@example.com>").send("250 ok")
                .expect("RCPT TO:<you@example.com>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        String lfMessage = "Subject: from stdin\n\nline one\n.dot line\n";
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Run run = run(new ByteArrayInputStream(lfMessage.getBytes(StandardCharsets.UTF_8)), temp,
                    args(server, "--tls", "none", "--to", "you@example.com"));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(run.out()).contains("message:  standard input, " + lfMessage.length() + " bytes");
            server.awaitScriptDone(WAIT);
            assertThat(new String(server.messageReceived(0), StandardCharsets.UTF_8))
                    .isEqualTo("Subject: from stdin\r\n\r\nline one\r\n.dot line\r\n");
        }
        assertThat(temp.toFile().list()).as("temporary copy of standard input deleted").isEmpty();
    }

    @Test
    void emptyStandardInputIsAUsageError() {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(greetedWith("PIPELINING").ignoreRest())) {
            Run run = run(args(server, "--tls", "none", "--to", "you@example.com"));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertOneErrorLine(run, "standard input is empty");
            assertThat(server.connectionCount()).isZero();
        }
    }

    @Test
    void userWithoutPasswordEnvIsAUsageError() {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(greetedWith("PIPELINING").ignoreRest())) {
            Run run = run(args(server, "--to", "you@example.com", "--user", "alice", "--body", bodyFile.toString()));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(run.out()).isEmpty();
            assertOneErrorLine(run, "--user needs --password-env");
            assertThat(server.connectionCount()).isZero();
        }
    }

    @Test
    void passwordEnvWithoutUserIsAUsageError() {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(greetedWith("PIPELINING").ignoreRest())) {
            Run run = run(args(server, "--to", "you@example.com", "--password-env", PASSWORD_VAR,
                    "--body", bodyFile.toString()));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertOneErrorLine(run, "--password-env needs --user");
            assertThat(server.connectionCount()).isZero();
        }
    }

    @Test
    void missingOrEmptyEnvironmentVariableIsAUsageErrorNamingIt() {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(greetedWith("PIPELINING").ignoreRest())) {
            for (String var : List.of("NO_SUCH_VAR_FOR_RSMTP", "EMPTY_VAR")) {
                Run run = run(args(server, "--to", "you@example.com", "--user", "alice", "--password-env", var,
                        "--body", bodyFile.toString(), "--json"));

                assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
                assertThat(run.out()).isEmpty();
                assertOneErrorLine(run, "environment variable " + var + " is not set or is empty");
            }
            assertThat(server.connectionCount()).isZero();
        }
    }

    @Test
    void passwordTypedInsteadOfAVariableNameIsNotEchoed() {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(greetedWith("PIPELINING").ignoreRest())) {
            // run() asserts that PASSWORD appears nowhere in the output.
            Run run = run(args(server, "--to", "you@example.com", "--user", "alice", "--password-env", PASSWORD,
                    "--body", bodyFile.toString()));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertOneErrorLine(run, "--password-env expects the name of an environment variable");
            assertThat(server.connectionCount()).isZero();
        }
    }

    @Test
    void badRecipientIsAUsageErrorBeforeAnyConnection() {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(greetedWith("PIPELINING").ignoreRest())) {
            Run run = run(args(server, "--to", "you@example.com", "--to", "a@b\r\nRCPT TO:<x@y>",
                    "--body", bodyFile.toString(), "--json"));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(run.out()).isEmpty();
            assertOneErrorLine(run, "--to", "\"a@b\\r\\nRCPT TO:<x@y>\"");
            assertThat(server.connectionCount()).isZero();
        }
    }

    @Test
    void missingBodyFileIsAUsageError() {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(greetedWith("PIPELINING").ignoreRest())) {
            Path missing = dir.resolve("no-such-message.eml");
            Run run = run(args(server, "--tls", "none", "--to", "you@example.com", "--body", missing.toString()));

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertOneErrorLine(run, "--body", missing.toString());
            assertThat(server.connectionCount()).isZero();
        }
    }

    @Test
    void zeroTimeoutIsAUsageError() {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(greetedWith("PIPELINING").ignoreRest())) {
            Run run = run("send", "--server", "localhost:" + server.port(), "--from", "me@example.com",
                    "--to", "you@example.com", "--timeout-seconds", "0", "--body", bodyFile.toString());

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertOneErrorLine(run, "--timeout-seconds must be a positive integer");
            assertThat(server.connectionCount()).isZero();
        }
    }

    @Test
    void invalidHeloNameIsAUsageErrorWithCoresMessage() {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(greetedWith("PIPELINING").ignoreRest())) {
            Run run = run("send", "--server", "localhost:" + server.port(), "--from", "me@example.com",
                    "--to", "you@example.com", "--helo", "bad name\r\nMAIL", "--body", bodyFile.toString());

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertOneErrorLine(run, "invalid HELO name");
            assertThat(server.connectionCount()).isZero();
        }
    }

    @Test
    void missingTrustPemAndUnknownTlsPolicyAreUsageErrors() {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(greetedWith("PIPELINING").ignoreRest())) {
            Run noPem = run(args(server, "--to", "you@example.com", "--trust-pem", dir.resolve("nope.pem").toString(),
                    "--body", bodyFile.toString()));
            assertThat(noPem.code()).as(noPem.toString()).isEqualTo(ExitCodes.USAGE);
            assertOneErrorLine(noPem, "--trust-pem", "nope.pem");

            Run badPolicy = run(args(server, "--to", "you@example.com", "--tls", "sometimes",
                    "--body", bodyFile.toString()));
            assertThat(badPolicy.code()).as(badPolicy.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(badPolicy.err()).contains("--tls", "expected none, opportunistic, required or implicit");

            Run plaintextAuth = run(args(server, "--to", "you@example.com", "--tls", "none", "--user", "alice",
                    "--password-env", PASSWORD_VAR, "--body", bodyFile.toString()));
            assertThat(plaintextAuth.code()).as(plaintextAuth.toString()).isEqualTo(ExitCodes.USAGE);
            assertOneErrorLine(plaintextAuth, "--tls none");
            assertThat(server.connectionCount()).isZero();
        }
    }

    @Test
    void badServerIsAUsageError() {
        Run run = run("send", "--server", "localhost", "--from", "me@example.com", "--to", "you@example.com",
                "--body", bodyFile.toString());

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
        assertOneErrorLine(run, "invalid server \"localhost\"");
    }

    @Test
    void helpListsTheInterface() {
        Run run = run("help", "send");

        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("--server=HOST:PORT", "--from=ADDR", "--to=ADDR",
                "--tls=none|opportunistic|required|implicit", "--trust-pem=FILE", "--user=USER",
                "--password-env=VARNAME", "--helo=NAME", "--timeout-seconds=N", "--json", "--body=FILE");
        assertThat(run("--help").out()).contains("send");
    }
}
