package io.reactivesmtp.cli.probe;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.testing.TestPki;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 6125 matching of subject alternative names against the host connected to, as the probe reports it. */
class HostNameMatcherTest {

    private static boolean matches(String host, String... names) {
        return HostNameMatcher.matches(List.of(names), host);
    }

    @Test
    void exactNamesMatchWithoutCaseAndWithoutATrailingDot() {
        assertThat(matches("mail.example.com", "DNS:mail.example.com")).isTrue();
        assertThat(matches("MAIL.Example.COM", "DNS:mail.example.com")).isTrue();
        assertThat(matches("mail.example.com.", "DNS:mail.example.com")).isTrue();
        assertThat(matches("mail.example.com", "DNS:Mail.Example.com.")).isTrue();
        assertThat(matches("mail.example.com", "DNS:mx.example.com")).isFalse();
        assertThat(matches("mail.example.com", "DNS:example.com")).isFalse();
    }

    @Test
    void aWildcardMatchesOnlyTheWholeLeftMostLabel() {
        assertThat(matches("mail.example.com", "DNS:*.example.com")).isTrue();
        // One label only, never none or two.
        assertThat(matches("example.com", "DNS:*.example.com")).isFalse();
        assertThat(matches("a.mail.example.com", "DNS:*.example.com")).isFalse();
        // Not in another label, not across a public suffix.
        assertThat(matches("mail.example.com", "DNS:mail.*.com")).isFalse();
        assertThat(matches("example.com", "DNS:*.com")).isFalse();
        assertThat(matches("mail.example.com", "DNS:*.*.com")).isFalse();
        assertThat(matches("mail.example.com", "DNS:*")).isFalse();
    }

    @Test
    void noPartialLabelWildcards() {
        assertThat(matches("mail.example.com", "DNS:m*.example.com")).isFalse();
        assertThat(matches("mail.example.com", "DNS:*il.example.com")).isFalse();
        assertThat(matches("mail.example.com", "DNS:ma*l.example.com")).isFalse();
        assertThat(matches("xn--bcher-kva.example.com", "DNS:xn--*.example.com")).isFalse();
    }

    @Test
    void ipLiteralsMatchOnlyIpAddressEntries() {
        assertThat(matches("127.0.0.1", "IP:127.0.0.1")).isTrue();
        assertThat(matches("127.0.0.2", "IP:127.0.0.1")).isFalse();
        assertThat(matches("127.0.0.1", "DNS:127.0.0.1")).isFalse();
        assertThat(matches("127.0.0.1", "DNS:*.0.0.1")).isFalse();
        // IPv6 by address, not by spelling; brackets as in HOST:PORT.
        assertThat(matches("[::1]", "IP:0:0:0:0:0:0:0:1")).isTrue();
        assertThat(matches("::1", "IP:0:0:0:0:0:0:0:1")).isTrue();
        assertThat(matches("::2", "IP:0:0:0:0:0:0:0:1")).isFalse();
        // A DNS name never matches an IP entry.
        assertThat(matches("localhost", "IP:127.0.0.1")).isFalse();
    }

    @Test
    void internationalNamesCompareAsALabels() {
        assertThat(matches("xn--bcher-kva.example", "DNS:xn--bcher-kva.example")).isTrue();
        assertThat(matches("b\u00fccher.example", "DNS:xn--bcher-kva.example")).isTrue();
        assertThat(matches("b\u00fccher.example.com", "DNS:*.example.com")).isTrue();
        assertThat(matches("bucher.example", "DNS:xn--bcher-kva.example")).isFalse();
        // A U-label in a certificate is not a valid dNSName and is not converted.
        assertThat(matches("xn--bcher-kva.example", "DNS:b\u00fccher.example")).isFalse();
    }

    @Test
    void namesComeFromTheSubjectAltNamesOfTheCertificate() {
        assertThat(HostNameMatcher.subjectAltNames(TestPki.good().certificate()))
                .contains("DNS:localhost", "IP:127.0.0.1");
        List<String> good = HostNameMatcher.subjectAltNames(TestPki.good().certificate());
        List<String> wrongHost = HostNameMatcher.subjectAltNames(TestPki.wrongHost().certificate());
        assertThat(HostNameMatcher.matches(good, "localhost")).isTrue();
        assertThat(HostNameMatcher.matches(good, "LOCALHOST.")).isTrue();
        assertThat(HostNameMatcher.matches(good, "127.0.0.1")).isTrue();
        assertThat(HostNameMatcher.matches(good, "127.0.0.2")).isFalse();
        assertThat(HostNameMatcher.matches(wrongHost, "localhost")).isFalse();
        assertThat(HostNameMatcher.matches(wrongHost, "mail.example.org")).isTrue();
    }
}
