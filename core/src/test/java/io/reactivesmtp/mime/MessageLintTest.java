package io.reactivesmtp.mime;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.dkim.DkimSigner;
import io.reactivesmtp.mime.LintFinding.Severity;
import io.reactivesmtp.testing.DkimTestKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pre-send check: each rule on a raw message, and a built message that passes. */
class MessageLintTest {

    private static final String GOOD = "From: Alice <alice@news.example.com>\r\nTo: bob@example.net\r\n"
            + "Date: Sun, 6 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@news.example.com>\r\nSubject: hi\r\n\r\nbody\r\n";

    @TempDir
    Path dir;

    private static List<LintFinding> check(String message, DkimSigner... signers) {
        return MessageLint.check(message.getBytes(StandardCharsets.UTF_8), signers);
    }

    private static DkimSigner signer(String domain) {
        return DkimSigner.builder().key(DkimTestKeys.ed25519().getPrivate()).domain(domain).selector("s").build();
    }

    @Test
    void aGoodMessageHasNoFinding() {
        assertThat(check(GOOD)).isEmpty();
        assertThat(check(GOOD, signer("example.com"), signer("news.example.com"))).isEmpty();
    }

    @Test
    void missingOrRepeatedFromDateAndMessageIdAreErrorsNamingTheField() {
        assertThat(check(GOOD.replace("From: Alice <alice@news.example.com>\r\n", "")))
                .containsExactly(new LintFinding(Severity.ERROR, "From", "missing (exactly one is required)"));
        assertThat(check(GOOD.replace("Date: ", "X-Date: "))).extracting(LintFinding::header).containsExactly("Date");
        assertThat(check(GOOD.replace("Message-ID: ", "X-Id: "))).extracting(LintFinding::header)
                .containsExactly("Message-ID");
        List<LintFinding> twoFroms = check("From: evil@example.org\r\n" + GOOD);
        assertThat(twoFroms).extracting(LintFinding::toString).containsExactly("ERROR From: 2 fields (exactly one is allowed)");
        assertThat(MessageLint.hasErrors(twoFroms)).isTrue();
    }

    @Test
    void bareLineEndingsAndLongLinesNameTheirHeader() {
        assertThat(check(GOOD.replace("Subject: hi\r\n", "Subject: hi\n"))).containsExactly(
                new LintFinding(Severity.ERROR, "Subject", "a bare LF ends a line (only CRLF is allowed)"));
        assertThat(check(GOOD.replace("Subject: hi", "Subject: h\ri"))).extracting(LintFinding::toString)
                .containsExactly("ERROR Subject: a bare CR inside a line");
        assertThat(check(GOOD.replace("Subject: hi", "Subject: " + "x".repeat(100))))
                .extracting(LintFinding::severity, LintFinding::header).containsExactly(
                        org.assertj.core.groups.Tuple.tuple(Severity.WARNING, "Subject"));
        assertThat(check(GOOD.replace("Subject: hi", "X-Long: " + "x".repeat(1000))))
                .extracting(LintFinding::severity, LintFinding::header).containsExactly(
                        org.assertj.core.groups.Tuple.tuple(Severity.ERROR, "X-Long"));
        assertThat(check(GOOD.replace("Subject: hi", "Subject hi"))).extracting(LintFinding::severity)
                .containsExactly(Severity.ERROR);
    }

    @Test
    void dkimDomainsMustAlignWithTheFromDomain() {
        assertThat(check(GOOD, signer("esp.example"))).extracting(LintFinding::toString).containsExactly(
                "ERROR From: the DKIM signing domain d=esp.example is not aligned with the From domain "
                        + "news.example.com (DMARC needs the same domain or a parent of it)");
        assertThat(check(GOOD, signer("ws.example.com"))).extracting(LintFinding::header).containsExactly("From");
        assertThat(check("DKIM-Signature: v=1; a=ed25519-sha256; d=other.example; s=x; h=from; bh=; b=\r\n" + GOOD))
                .extracting(LintFinding::header).containsExactly("From");
    }

    @Test
    void bulkMailWithoutOneClickUnsubscribeIsWarnedAbout() {
        assertThat(check("Precedence: bulk\r\n" + GOOD)).extracting(LintFinding::severity, LintFinding::header)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Severity.WARNING, "List-Unsubscribe"));
        assertThat(check("List-Id: <news.example.com>\r\nList-Unsubscribe: <https://example.com/u>\r\n" + GOOD))
                .extracting(LintFinding::header).containsExactly("List-Unsubscribe-Post");
        assertThat(check("List-Unsubscribe: <mailto:u@example.com>\r\nList-Unsubscribe-Post: "
                + "List-Unsubscribe=One-Click\r\n" + GOOD)).extracting(LintFinding::severity, LintFinding::header)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Severity.ERROR, "List-Unsubscribe-Post"));
    }

    @Test
    void builtMessagesAndFilesAreChecked() throws Exception {
        ComposedMessage built = ComposedMessage.builder().from("news@example.com").to("a@example.org")
                .subject("Grüße, a subject long enough to be folded over two lines by the builder's folding")
                .header("List-Id", "<news.example.com>")
                .listUnsubscribe("https://example.com/u?id=1", null).text("hi").build();
        assertThat(MessageLint.check(built, signer("example.com"))).isEmpty();
        assertThat(MessageLint.check(Parsed.bytes(built.content()), signer("example.com"))).isEmpty();
        ComposedMessage unaligned = ComposedMessage.builder().from("news@example.com").to("a@example.org")
                .header("Precedence", "bulk").build();
        assertThat(MessageLint.check(unaligned, signer("esp.example"))).extracting(LintFinding::header)
                .containsExactly("From", "List-Unsubscribe");
        Path file = Files.writeString(dir.resolve("m.eml"), GOOD.replace("Date: ", "X-Date: "));
        assertThat(MessageLint.check(file)).extracting(LintFinding::header).containsExactly("Date");
    }
}
