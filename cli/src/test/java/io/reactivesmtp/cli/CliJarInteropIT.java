package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.dkim.DkimKeys;
import io.reactivesmtp.interop.PostfixInstance;
import io.reactivesmtp.testing.DkimTestKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged program ({@link PackagedCli}) against the real Postfix that {@code interop/postfix/start.sh}
 * started (STARTTLS, AUTH, the instance's CA given with {@code --trust-pem}, the password through
 * {@code --password-env}), and its DKIM signatures (RSA and Ed25519) checked on the copy Postfix delivered by
 * Debian's dkimpy ({@code interop/dkim/verify.py}), a verifier that is not ours.
 *
 * <p>Runs with {@code -Pinterop}; fails, never skips, when Postfix or the verifier is missing there.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CliJarInteropIT {

    private static final Duration RUN = Duration.ofSeconds(90);
    private static final Duration DELIVERY = Duration.ofSeconds(30);
    private static final String PYTHON = System.getProperty("interop.dkim.python", "/usr/bin/python3");

    private static PostfixInstance postfix;

    @TempDir
    Path dir;

    private PackagedCli cli;

    @BeforeAll
    static void findPostfix() {
        postfix = PostfixInstance.fromSystemProperties();
    }

    @BeforeEach
    void setUp() {
        cli = new PackagedCli(dir);
    }

    private static String message(String token) {
        return "From: sender@example.com\r\nTo: dest@example.com\r\nSubject: " + token + "\r\n"
                + "Date: Sun, 06 Dec 2026 04:00:00 +0000\r\nMessage-ID: <" + token + "@reactivesmtp.test>\r\n\r\n"
                + "sent by the packaged jar\r\n.dot line\r\n  indented   line  \r\n";
    }

    private PackagedCli.Command submission(Path body, String... more) {
        String[] args = {"send", "--server", postfix.serverName() + ":" + postfix.submissionPort(),
            "--trust-pem", postfix.caFile().toString(), "--user", postfix.saslUser(), "--password-env", "SMTP_PASSWORD",
            "--from", "sender@example.com", "--to", "dest@example.com", "--body", body.toString()};
        String[] all = new String[args.length + more.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return cli.command(all).env("SMTP_PASSWORD", postfix.saslPassword());
    }

    @Test
    void sendWithStartTlsAndAuthOnTheSubmissionPortDelivers() throws Exception {
        String token = "jar-tls-auth-" + UUID.randomUUID();
        Path body = Files.writeString(dir.resolve("m.eml"), message(token));
        PackagedCli.Result r = submission(body).run(RUN).assertExit(ExitCodes.OK);
        assertThat(r.out()).contains("tls:      TLSv1.", "DELIVERED (1 of 1 recipients accepted)");
        assertThat(r.out().lines()).filteredOn(l -> l.matches("\\s+dest@example\\.com\\s+ACCEPTED\\s+250\\s.*"))
                .hasSize(1);
        assertThat(r.out() + r.err()).doesNotContain(postfix.saslPassword());
        String stored = Files.readString(postfix.awaitDelivered(token, 1, DELIVERY).get(0), StandardCharsets.UTF_8);
        assertThat(stored).contains("Subject: " + token, "\n.dot line\n", "ESMTPSA");
    }

    @Test
    void aWrongPasswordFailsWithoutShowingIt() throws Exception {
        Path body = Files.writeString(dir.resolve("m.eml"), message("jar-wrong-" + UUID.randomUUID()));
        PackagedCli.Result r = submission(body).env("SMTP_PASSWORD", "Not-the-password-71x").run(RUN)
                .assertExit(ExitCodes.FAILED);
        assertThat(r.out() + r.err()).contains("535").doesNotContain("Not-the-password-71x");
    }

    @Test
    void probeShowsTheCapabilitiesBeforeAndAfterTls() {
        PackagedCli.Result r = cli.command("probe", "--server", postfix.serverName() + ":" + postfix.submissionPort(),
                "--trust-pem", postfix.caFile().toString()).run(RUN).assertExit(ExitCodes.OK);
        assertThat(r.out()).contains("capabilities before TLS (EHLO ", "  STARTTLS", "capabilities after TLS",
                "result:       OK");
        assertThat(r.out()).containsPattern("auth: .*PLAIN");
    }

    @Test
    void dkimSignaturesOfTheJarVerifyWithDkimpyOnThePostfixCopy() throws Exception {
        Path rsa = DkimTestKeys.rsaPkcs8(dir.resolve("rsa.pem"));
        Path ed = DkimTestKeys.ed25519Pkcs8(dir.resolve("ed25519.pem"));
        Path keys = Files.writeString(dir.resolve("keys.txt"),
                "rsa._domainkey.example.com " + DkimKeys.dnsRecord(DkimKeys.readPem(rsa)) + "\n"
                        + "ed._domainkey.example.com " + DkimKeys.dnsRecord(DkimKeys.readPem(ed)) + "\n");
        String token = "jar-dkim-" + UUID.randomUUID();
        Path body = Files.writeString(dir.resolve("m.eml"), message(token));
        submission(body, "--dkim-key", rsa.toString(), "--dkim-selector", "rsa", "--dkim-domain", "example.com",
                "--dkim-key", ed.toString(), "--dkim-selector", "ed", "--dkim-domain", "example.com")
                .run(RUN).assertExit(ExitCodes.OK);
        Path stored = postfix.awaitDelivered(token, 1, DELIVERY).get(0);

        String verdict = verify(keys, stored, 0);
        assertThat(verdict.lines().filter(l -> l.startsWith("PASS"))).as(verdict).hasSize(2);
        assertThat(verdict).contains("a=rsa-sha256", "a=ed25519-sha256");
        // The verifier does fail: the same copy with its body changed.
        String text = Files.readString(stored, StandardCharsets.ISO_8859_1);
        Path tampered = Files.writeString(dir.resolve("tampered.eml"),
                text.replace("sent by the packaged jar", "sent by someone else"), StandardCharsets.ISO_8859_1);
        String failed = verify(keys, tampered, 1);
        assertThat(failed.lines().filter(l -> l.startsWith("FAIL"))).as(failed).hasSize(2);
    }

    /** Runs verify.py and checks its exit status (0 all pass, 1 one fails). */
    private static String verify(Path keys, Path message, int expectedExit) throws IOException, InterruptedException {
        Path script = findUp(Path.of("interop", "dkim", "verify.py"));
        Process p = new ProcessBuilder(PYTHON, script.toString(), keys.toString(), message.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("verify.py did not finish within 60 s");
        }
        assertThat(p.exitValue()).as("verify.py (dkimpy; interop/dkim/install.sh installs it): %s", out)
                .isEqualTo(expectedExit);
        return out;
    }

    /** The project's file, found from the module directory the tests run in. */
    private static Path findUp(Path relative) {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve(relative))) {
                return d.resolve(relative);
            }
        }
        throw new AssertionError(relative + " not found above " + Path.of("").toAbsolutePath());
    }
}
