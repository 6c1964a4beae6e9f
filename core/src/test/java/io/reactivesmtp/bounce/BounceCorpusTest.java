package io.reactivesmtp.bounce;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.bounce.BounceRecipient.Action;
import io.reactivesmtp.bounce.BounceReport.Confidence;
import io.reactivesmtp.bounce.BounceReport.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The corpus under {@code src/test/resources/bounces}: the RFCs' examples (RFC 3464 §10, RFC 5965 appendix B,
 * RFC 6533's UTF-8 forms), real bounces from Postfix 3.7 and Exim 4.96 ({@code postfix-*}, {@code exim-*}, made by
 * {@code interop/bounces/generate.sh}), the malformed shapes providers send (written from their documented formats),
 * and bounces without a delivery status part.
 */
class BounceCorpusTest {

    static BounceReport parse(String name) throws IOException {
        try (InputStream in = BounceCorpusTest.class.getResourceAsStream("/bounces/" + name)) {
            assertThat(in).as(name).isNotNull();
            return BounceParser.defaults().parse(in);
        }
    }

    private static BounceRecipient only(BounceReport r) {
        assertThat(r.recipients()).as(r.toString()).hasSize(1);
        return r.recipients().get(0);
    }

    @Test
    void rfc3464SimpleDsn() throws IOException {
        BounceReport r = parse("rfc3464-simple.eml");
        assertThat(r.kind()).isEqualTo(Kind.DELIVERY_STATUS);
        assertThat(r.confidence()).isEqualTo(Confidence.CERTAIN);
        assertThat(r.reportingMta()).isEqualTo("cs.utk.edu");
        BounceRecipient x = only(r);
        assertThat(x).isEqualTo(new BounceRecipient("louisl@larry.slip.umd.edu", "rfc822", "louisl@larry.slip.umd.edu",
                Action.FAILED, "4.0.0", "smtp; 426 connection timed out", null, "Thu, 7 Jul 1994 17:15:49 -0400",
                null));
        // Failed after days of 4xx: not a hard bounce, so not suppressed.
        assertThat(x.hardBounce()).isFalse();
        assertThat(x.softBounce()).isTrue();
        assertThat(r.suppressions()).isEmpty();
        assertThat(r.notes()).isEmpty();
    }

    @Test
    void rfc3464MultiRecipientDsnWithCommentsAndFolds() throws IOException {
        BounceReport r = parse("rfc3464-multi-recipient.eml");
        assertThat(r.recipients()).extracting(BounceRecipient::address, BounceRecipient::action,
                        BounceRecipient::status)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("arathib@vnet.ibm.com", Action.FAILED, "5.0.0"),
                        org.assertj.core.groups.Tuple.tuple("johnh@hpnjld.njd.hp.com", Action.DELAYED, "4.0.0"),
                        org.assertj.core.groups.Tuple.tuple("wsnell@sdcc13.ucsd.edu", Action.FAILED, "5.0.0"));
        assertThat(r.recipients().get(0).diagnosticCode())
                .isEqualTo("smtp; 550 'arathib@vnet.IBM.COM' is not a registered gateway user");
        assertThat(r.recipients().get(0).remoteMta()).isEqualTo("vnet.ibm.com");
        assertThat(r.suppressions()).containsExactly("arathib@vnet.ibm.com", "wsnell@sdcc13.ucsd.edu");
    }

    @Test
    void rfc3464GatewayWithAForeignAddressType() throws IOException {
        BounceReport r = parse("rfc3464-gateway.eml");
        assertThat(r.envelopeId()).isEqualTo("01HEGJ0WNBY28Y95LN");
        assertThat(r.reportingMta()).isEqualTo("corp.timeplex.com");
        assertThat(r.originalMessageId()).isEqualTo("<9407072102.AA05432@corp.timeplex.com>");
        BounceRecipient x = only(r);
        assertThat(x.address()).isEqualTo("nair_s");
        assertThat(x.addressType()).isEqualTo("x-mr10");
        assertThat(x.originalRecipient()).isEqualTo("nair_s@mr.timeplex.com");
        assertThat(x.diagnosticCode()).isEqualTo("MR; 1 (invalid address)");
        assertThat(x.hardBounce()).isTrue();
    }

    @Test
    void rfc5965SimpleReportHasNoComplainant() throws IOException {
        BounceReport r = parse("rfc5965-simple.eml");
        assertThat(r.kind()).isEqualTo(Kind.FEEDBACK);
        assertThat(r.feedback().feedbackType()).isEqualTo("abuse");
        assertThat(r.feedback().userAgent()).isEqualTo("SomeGenerator/1.0");
        assertThat(r.feedback().version()).isEqualTo("1");
        assertThat(r.originalMessageId()).isEqualTo("8787KJKJ3K4J3K4J3K4J3.mail@example.net");
        // "To: <Undisclosed Recipients>" names nobody: the complainant is unknown, nothing is suppressed.
        assertThat(r.confidence()).isEqualTo(Confidence.UNCERTAIN);
        assertThat(r.feedback().complainants()).isEmpty();
        assertThat(r.suppressions()).isEmpty();
    }

    @Test
    void rfc5965FullReport() throws IOException {
        BounceReport r = parse("rfc5965-full.eml");
        FeedbackReport f = r.feedback();
        assertThat(r.confidence()).isEqualTo(Confidence.CERTAIN);
        assertThat(f.originalMailFrom()).isEqualTo("somespammer@example.net");
        assertThat(f.originalRcptTo()).containsExactly("user@example.com");
        assertThat(f.arrivalDate()).isEqualTo("Thu, 8 Mar 2005 14:00:00 EDT");
        assertThat(r.reportingMta()).isEqualTo("mail.example.com");
        assertThat(f.sourceIp()).isEqualTo("192.0.2.1");
        assertThat(f.authenticationResults()).isEqualTo("mail.example.com; spf=fail smtp.mail=somespammer@example.com");
        assertThat(f.reportedDomains()).containsExactly("example.net");
        assertThat(f.reportedUris()).containsExactly("http://example.net/earn_money.html", "mailto:user@example.com");
        assertThat(f.complaint()).isTrue();
        assertThat(r.suppressions()).containsExactly("user@example.com");
    }

    @Test
    void rfc6533GlobalDeliveryStatusWithUtf8Addresses() throws IOException {
        BounceReport r = parse("rfc6533-global.eml");
        assertThat(r.kind()).isEqualTo(Kind.DELIVERY_STATUS);
        assertThat(r.envelopeId()).isEqualTo("envid-ü-42");
        assertThat(r.originalMessageId()).isEqualTo("<global-news-1@example.com>");
        BounceRecipient x = only(r);
        assertThat(x.address()).isEqualTo("用户@例子.广告");
        assertThat(x.addressType()).isEqualTo("utf-8");
        assertThat(x.originalRecipient()).isEqualTo("用户@例子.广告");
        assertThat(x.remoteMta()).isEqualTo("mx.例子.广告");
        assertThat(r.suppressions()).containsExactly("用户@例子.广告");
    }

    @Test
    void rfc6533Utf8AddressTypeInItsAsciiForm() throws IOException {
        BounceReport r = parse("rfc6533-utf8-address-ascii-form.eml");
        BounceRecipient x = only(r);
        assertThat(x.address()).isEqualTo("用户@例子.广告");
        assertThat(x.originalRecipient()).isEqualTo("Jörg@example.de");
    }

    @Test
    void postfixBouncesRealOnes() throws IOException {
        BounceReport unknown = parse("postfix-unknown-user.eml");
        assertThat(unknown.envelopeId()).isEqualTo("env-1");
        assertThat(unknown.reportingMta()).isEqualTo("mta.sender.test");
        assertThat(unknown.originalMessageId()).isEqualTo("<newsletter-1@sender.test>");
        assertThat(only(unknown)).satisfies(x -> {
            assertThat(x.address()).isEqualTo("unknown@users.test");
            assertThat(x.originalRecipient()).isEqualTo("unknown@users.test");
            assertThat(x.status()).isEqualTo("5.1.1");
            assertThat(x.diagnosticCode()).isEqualTo("X-Postfix; unknown user: \"unknown@users.test\"");
        });
        assertThat(only(parse("postfix-mailbox-full.eml"))).satisfies(x -> {
            assertThat(x.address()).isEqualTo("full@users.test");
            assertThat(x.status()).isEqualTo("5.2.2");
            assertThat(x.diagnosticCode()).isEqualTo("x-unix; input/output error");
        });
        assertThat(only(parse("postfix-relay-refused.eml"))).satisfies(x -> {
            assertThat(x.address()).isEqualTo("anyone@refused.test");
            assertThat(x.status()).isEqualTo("5.7.1");
            assertThat(x.remoteMta()).isEqualTo("127.0.0.1");
            assertThat(x.diagnosticCode()).isEqualTo("smtp; 554 5.7.1 <anyone@refused.test>: Relay access denied");
        });
        BounceReport remote = parse("postfix-remote-unknown-user.eml");
        assertThat(remote.envelopeId()).isEqualTo("env-4");
        assertThat(only(remote).status()).isEqualTo("5.1.1");
        assertThat(only(remote).diagnosticCode()).startsWith("smtp; 550 5.1.1 <ghost@remote.test>: Recipient address "
                + "rejected:").endsWith("User unknown");
        for (String name : List.of("postfix-unknown-user.eml", "postfix-mailbox-full.eml", "postfix-relay-refused.eml",
                "postfix-remote-unknown-user.eml")) {
            BounceReport r = parse(name);
            assertThat(r.kind()).isEqualTo(Kind.DELIVERY_STATUS);
            assertThat(r.confidence()).isEqualTo(Confidence.CERTAIN);
            assertThat(r.notes()).as(name).isEmpty();
            assertThat(r.suppressions()).as(name).containsExactly(only(r).address());
        }
    }

    @Test
    void eximBouncesRealOnes() throws IOException {
        BounceReport unknown = parse("exim-unknown-user.eml");
        assertThat(unknown.envelopeId()).isEqualTo("exim-env-1");
        assertThat(unknown.reportingMta()).isEqualTo("mx.exim.test");
        assertThat(unknown.originalMessageId()).isEqualTo("<exim-newsletter-1@sender.test>");
        assertThat(only(unknown)).satisfies(x -> {
            assertThat(x.address()).isEqualTo("unknown@users.test");
            assertThat(x.originalRecipient()).isEqualTo("unknown@users.test");
            assertThat(x.action()).isEqualTo(Action.FAILED);
            assertThat(x.status()).isEqualTo("5.0.0");
        });
        assertThat(only(parse("exim-mailbox-full.eml")).status()).isEqualTo("5.0.0");
        // Exim writes Status: 5.0.0; the diagnostic's 5.1.1 is more precise and of the same class.
        BounceReport remote = parse("exim-remote-unknown-user.eml");
        assertThat(only(remote).status()).isEqualTo("5.1.1");
        assertThat(only(remote).remoteMta()).isEqualTo("127.0.0.1");
        assertThat(remote.notes()).contains("status 5.1.1 taken from the diagnostic code");
        assertThat(only(parse("exim-relay-refused.eml")).status()).isEqualTo("5.7.1");
        for (String name : List.of("exim-unknown-user.eml", "exim-mailbox-full.eml", "exim-relay-refused.eml",
                "exim-remote-unknown-user.eml")) {
            BounceReport r = parse(name);
            assertThat(r.kind()).isEqualTo(Kind.DELIVERY_STATUS);
            assertThat(r.confidence()).isEqualTo(Confidence.CERTAIN);
            assertThat(r.suppressions()).as(name).containsExactly(only(r).address());
        }
    }

    @Test
    void microsoftNdrWithMissingFieldsLowerCaseNamesAndNoBlankLines() throws IOException {
        BounceReport r = parse("microsoft-ndr-malformed.eml");
        assertThat(r.kind()).isEqualTo(Kind.DELIVERY_STATUS);
        assertThat(r.confidence()).isEqualTo(Confidence.CERTAIN);
        assertThat(r.reportingMta()).isNull();
        assertThat(r.arrivalDate()).isEqualTo("Sun, 6 Dec 2026 10:00:00 +0000");
        assertThat(r.originalMessageId()).isEqualTo("<ms-news-1@example.com>");
        assertThat(r.recipients()).extracting(BounceRecipient::address, BounceRecipient::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("gone@contoso.example", "5.1.10"),
                        org.assertj.core.groups.Tuple.tuple("full@contoso.example", "5.2.2"));
        assertThat(r.recipients().get(0).diagnosticCode()).isEqualTo(
                "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup");
        assertThat(r.recipients().get(0).remoteMta()).isEqualTo("BN8PR01MB1234.namprd01.prod.outlook.example");
        assertThat(r.recipients().get(1).diagnosticCode()).endsWith(
                "mailbox full; QuotaExceededException MapiExceptionShutoffQuotaExceeded");
        assertThat(r.notes()).contains("no Reporting-MTA", "no blank line after the per-message fields",
                "recipient groups not separated by a blank line",
                "a line without a colon taken as the continuation of diagnostic-code");
        assertThat(r.suppressions()).containsExactly("gone@contoso.example", "full@contoso.example");
    }

    @Test
    void microsoftJmrpComplaintNamesTheRecipientOnlyInTheReturnedMessage() throws IOException {
        BounceReport r = parse("microsoft-jmrp-complaint.eml");
        assertThat(r.kind()).isEqualTo(Kind.FEEDBACK);
        assertThat(r.confidence()).isEqualTo(Confidence.HEURISTIC);
        assertThat(r.feedback().version()).isEqualTo("0.1");
        assertThat(r.feedback().arrivalDate()).isEqualTo("Sun, 6 Dec 2026 11:59:00 -0800");
        assertThat(r.feedback().complainants()).containsExactly("complainer@hotmail.example");
        assertThat(r.originalMessageId()).isEqualTo("<jmrp-news-7@example.com>");
        assertThat(r.suppressions()).containsExactly("complainer@hotmail.example");
    }

    @Test
    void yahooComplaintWithLowerCaseFieldsAndAFoldedValue() throws IOException {
        BounceReport r = parse("yahoo-arf-complaint.eml");
        assertThat(r.confidence()).isEqualTo(Confidence.CERTAIN);
        FeedbackReport f = r.feedback();
        assertThat(f.userAgent()).isEqualTo("Yahoo!-Mail-Feedback/2.0");
        assertThat(f.originalMailFrom()).isEqualTo("bounces+42@example.com");
        assertThat(f.authenticationResults()).isEqualTo("mta1000.mail.yahoo.example  from=example.com; "
                + "domainkeys=neutral (no sig);  from=example.com; dkim=pass (ok)");
        assertThat(r.originalMessageId()).isEqualTo("<yahoo-news-9@example.com>");
        assertThat(r.suppressions()).containsExactly("grace@yahoo.example");
    }

    @Test
    void aRedactedComplaintNamesNobody() throws IOException {
        BounceReport r = parse("aol-redacted-complaint.eml");
        assertThat(r.kind()).isEqualTo(Kind.FEEDBACK);
        assertThat(r.confidence()).isEqualTo(Confidence.UNCERTAIN);
        assertThat(r.feedback().complainants()).isEmpty();
        assertThat(r.originalMessageId()).isEqualTo("<aol-news-3@example.com>");
        assertThat(r.suppressions()).isEmpty();
    }

    @Test
    void qmailFailureNotice() throws IOException {
        BounceReport r = parse("qmail-failure-notice.eml");
        assertThat(r.kind()).isEqualTo(Kind.NON_STANDARD_BOUNCE);
        assertThat(r.confidence()).isEqualTo(Confidence.HEURISTIC);
        assertThat(r.recipients()).extracting(BounceRecipient::address, BounceRecipient::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("nosuchuser@qmail.example", "5.1.1"),
                        org.assertj.core.groups.Tuple.tuple("bob@remote.example", "5.1.1"));
        assertThat(r.originalMessageId()).isEqualTo("<qmail-news-1@example.com>");
        assertThat(r.suppressions()).containsExactly("nosuchuser@qmail.example", "bob@remote.example");
    }

    @Test
    void eximTextBounceWithXFailedRecipients() throws IOException {
        BounceReport r = parse("exim-text-x-failed-recipients.eml");
        assertThat(r.kind()).isEqualTo(Kind.NON_STANDARD_BOUNCE);
        assertThat(r.confidence()).isEqualTo(Confidence.HEURISTIC);
        BounceRecipient x = only(r);
        assertThat(x.address()).isEqualTo("nobody@old-exim.example");
        assertThat(x.status()).isEqualTo("5.1.1");
        assertThat(x.diagnosticCode()).contains("550 5.1.1 <nobody@old-exim.example>: unknown user");
        assertThat(r.originalMessageId()).isEqualTo("<oldexim-news-1@example.com>");
        assertThat(r.suppressions()).containsExactly("nobody@old-exim.example");
    }

    @Test
    void eximTextBounceReadFromItsListOfFailedAddresses() throws IOException {
        BounceReport r = parse("exim-text-list-only.eml");
        assertThat(r.confidence()).isEqualTo(Confidence.HEURISTIC);
        assertThat(r.recipients()).extracting(BounceRecipient::address, BounceRecipient::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("first@old-exim.example", "5.0.0"),
                        org.assertj.core.groups.Tuple.tuple("second@old-exim.example", "5.1.1"));
        assertThat(r.originalMessageId()).isEqualTo("<oldexim-news-2@example.com>");
    }

    @Test
    void aVagueBounceIsRecognisedButItsAddressIsOnlyAGuess() throws IOException {
        BounceReport r = parse("vague-bounce-guessed.eml");
        assertThat(r.kind()).isEqualTo(Kind.NON_STANDARD_BOUNCE);
        assertThat(r.confidence()).isEqualTo(Confidence.UNCERTAIN);
        assertThat(only(r).address()).isEqualTo("someone@legacy.example");
        assertThat(r.notes()).contains("failed addresses guessed from lines with a reply code: not certain");
        assertThat(r.suppressions()).isEmpty();

        BounceReport none = parse("vague-bounce-no-address.eml");
        assertThat(none.kind()).isEqualTo(Kind.NON_STANDARD_BOUNCE);
        assertThat(none.confidence()).isEqualTo(Confidence.UNCERTAIN);
        assertThat(none.recipients()).isEmpty();
        assertThat(none.notes()).contains("a bounce, but no failed address could be found in it");
    }

    @Test
    void anAutoReplyIsNotAReport() throws IOException {
        BounceReport r = parse("vacation-autoreply.eml");
        assertThat(r.kind()).isEqualTo(Kind.NOT_A_REPORT);
        assertThat(r.recipients()).isEmpty();
        assertThat(r.suppressions()).isEmpty();
    }
}
