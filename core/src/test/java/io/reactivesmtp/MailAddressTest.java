package io.reactivesmtp;

import io.reactivesmtp.testing.Properties;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class MailAddressTest {

    // ----------------------------------------------------------------------------------------- valid forms

    @Test
    void plainAddress() {
        MailAddress a = MailAddress.of("user@example.com");
        assertThat(a.localPart()).isEqualTo("user");
        assertThat(a.domain()).isEqualTo("example.com");
        assertThat(a.asciiDomain()).isEqualTo("example.com");
        assertThat(a.requiresSmtpUtf8()).isFalse();
        assertThat(a.toString()).isEqualTo("user@example.com");
        assertThat(a.toAsciiForm()).isEqualTo("user@example.com");
    }

    @Test
    void domainCaseIsKeptAsGiven() {
        MailAddress a = MailAddress.of("User@Example.COM");
        assertThat(a.localPart()).isEqualTo("User");
        assertThat(a.domain()).isEqualTo("Example.COM");
        assertThat(a.asciiDomain()).isEqualTo("Example.COM");
        assertThat(a.toString()).isEqualTo("User@Example.COM");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "john.smith+newsletter@mail.example.co.uk",
        "!#$%&'*+-/=?^_`{|}~@example.com",
        "a@localhost",
        "x@x-1.example",
        "1@123.example",
        "\"john doe\"@example.com",
        "\"a\\\"b@c\"@example.com",
        "\"a..b.\"@example.com",
        "\"\"@example.com",
        "postmaster@[127.0.0.1]",
        "postmaster@[255.255.255.255]",
        "postmaster@[IPv6:::1]",
        "postmaster@[ipv6:::1]",
        "postmaster@[IPv6:2001:db8::1]",
        "postmaster@[IPv6:2001:db8:0:0:0:0:0:1]",
        "postmaster@[IPv6:2001:DB8:0:0:0:0:0:1]",
        "postmaster@[IPv6:::ffff:192.0.2.1]",
        "postmaster@[IPv6:1:2:3:4:5:6:192.0.2.1]",
        "postmaster@[IPv6:1:2:3::4:5:6]",
        "jörg@bücher.example",
    })
    void acceptsValidForms(String input) {
        MailAddress a = MailAddress.of(input);
        assertThat(a.toString()).isEqualTo(input);
        assertThat(a.localPart() + "@" + a.domain()).isEqualTo(input);
    }

    @Test
    void quotedLocalPartMayContainAtSign() {
        MailAddress a = MailAddress.of("\"a@b\"@example.com");
        assertThat(a.localPart()).isEqualTo("\"a@b\"");
        assertThat(a.domain()).isEqualTo("example.com");
        assertThat(a.requiresSmtpUtf8()).isFalse();
    }

    @Test
    void addressLiteralIsItsOwnAsciiForm() {
        MailAddress a = MailAddress.of("postmaster@[IPv6:2001:db8::1]");
        assertThat(a.domain()).isEqualTo("[IPv6:2001:db8::1]");
        assertThat(a.asciiDomain()).isEqualTo("[IPv6:2001:db8::1]");
        assertThat(a.toAsciiForm()).isEqualTo("postmaster@[IPv6:2001:db8::1]");
    }

    @Test
    void idnDomainGoesAsALabelsWithoutSmtpUtf8() {
        MailAddress a = MailAddress.of("user@bücher.example");
        assertThat(a.domain()).isEqualTo("bücher.example");
        assertThat(a.asciiDomain()).isEqualTo("xn--bcher-kva.example");
        assertThat(a.requiresSmtpUtf8()).isFalse();
        assertThat(a.toString()).isEqualTo("user@bücher.example");
        assertThat(a.toAsciiForm()).isEqualTo("user@xn--bcher-kva.example");
    }

    @Test
    void utf8LocalPartRequiresSmtpUtf8() {
        MailAddress a = MailAddress.of("jörg@example.com");
        assertThat(a.requiresSmtpUtf8()).isTrue();
        assertThat(a.toString()).isEqualTo("jörg@example.com");
        assertThatIllegalStateException().isThrownBy(a::toAsciiForm).withMessageContaining("jörg@example.com")
                .withMessageContaining("SMTPUTF8");
    }

    @Test
    void utf8LocalPartAndIdnDomain() {
        MailAddress a = MailAddress.of("用户@例子.广告");
        assertThat(a.requiresSmtpUtf8()).isTrue();
        assertThat(a.asciiDomain()).isEqualTo("xn--fsqu00a.xn--4rr70v");
    }

    @Test
    void quotedUtf8LocalPartRequiresSmtpUtf8() {
        assertThat(MailAddress.of("\"jörg x\"@example.com").requiresSmtpUtf8()).isTrue();
    }

    @Test
    void limitsAreInclusive() {
        String local64 = "a".repeat(64);
        assertThat(MailAddress.of(local64 + "@example.com").localPart()).hasSize(64);
        String label63 = "b".repeat(63);
        assertThat(MailAddress.of("a@" + label63 + ".com").domain()).startsWith(label63);
        // 64 + 1 + 189 = 254 octets
        String domain189 = "c".repeat(63) + "." + "d".repeat(63) + "." + "e".repeat(61);
        assertThat(MailAddress.of(local64 + "@" + domain189).toString()).hasSize(254);
        // 32 two-octet characters = 64 octets
        assertThat(MailAddress.of("ü".repeat(32) + "@example.com").requiresSmtpUtf8()).isTrue();
    }

    // --------------------------------------------------------------------------------------- invalid forms

    static Stream<Arguments> invalidForms() {
        return Stream.of(
                // controls, anywhere
                invalid("a\r\nRCPT TO:<x@y>", "a\\r\\nRCPT TO:<x@y>", "contains CR"),
                invalid("a@example.com\r", "a@example.com\\r", "contains CR"),
                invalid("a@exa\nmple.com", "a@exa\\nmple.com", "contains LF"),
                invalid("a\0@example.com", "a\\0@example.com", "contains NUL"),
                invalid("\"a\rb\"@example.com", "\\\"a\\rb\\\"@example.com", "contains CR"),
                invalid("\"a\0b\"@example.com", "\\\"a\\0b\\\"@example.com", "contains NUL"),
                invalid("a\u0001@example.com", "a\\u0001@example.com", "contains control character U+0001"),
                invalid("a\t@example.com", "a\\t@example.com", "contains control character U+0009"),
                invalid("a\u001b@example.com", "a\\u001b@example.com", "contains control character U+001B"),
                invalid("a\u007f@example.com", "a\\u007f@example.com", "contains control character U+007F"),
                invalid("a@example.com\u0085", "a@example.com\\u0085", "contains control character U+0085"),
                invalid("a\u2028@example.com", "a\\u2028@example.com", "contains line separator U+2028"),
                invalid("a\ud800@example.com", "a\\ud800@example.com", "unpaired surrogate"),
                // angle brackets, anywhere
                invalid("<a@example.com>", "<a@example.com>", "contains '<'"),
                invalid("a@example.com>", "a@example.com>", "contains '>'"),
                invalid("a@example.com> SIZE=1", "a@example.com> SIZE=1", "contains '>'"),
                invalid("\"a>b\"@example.com", "\\\"a>b\\\"@example.com", "contains '>'"),
                // whitespace outside quotes
                invalid("john doe@example.com", "john doe@example.com", "whitespace outside a quoted local part"),
                invalid(" a@example.com", " a@example.com", "whitespace outside a quoted local part"),
                invalid("a@example.com ", "a@example.com ", "whitespace outside a quoted local part"),
                invalid("a@exa mple.com", "a@exa mple.com", "whitespace outside a quoted local part"),
                invalid("\"a b\"@exa mple.com", "\\\"a b\\\"@exa mple.com", "whitespace outside a quoted local part"),
                invalid("a\u00a0b@example.com", "a\u00a0b@example.com", "whitespace outside a quoted local part"),
                // structure
                invalid("example.com", "example.com", "has no '@'"),
                invalid("@example.com", "@example.com", "empty local part"),
                invalid("user@", "user@", "empty domain"),
                invalid("@", "@", "empty local part"),
                // dot-atom local part
                invalid(".a@example.com", ".a@example.com", "local part starts with '.'"),
                invalid("a.@example.com", "a.@example.com", "local part ends with '.'"),
                invalid("a..b@example.com", "a..b@example.com", "local part contains '..'"),
                invalid("a(b)@example.com", "a(b)@example.com", "local part contains '('"),
                invalid("a,b@example.com", "a,b@example.com", "local part contains ','"),
                invalid("a:b@example.com", "a:b@example.com", "local part contains ':'"),
                invalid("a[b@example.com", "a[b@example.com", "local part contains '['"),
                invalid("a@b@example.com", "a@b@example.com", "local part contains '@'"),
                invalid("a\"b@example.com", "a\\\"b@example.com", "local part contains '\\\"'"),
                invalid("a\\b@example.com", "a\\\\b@example.com", "local part contains '\\\\'"),
                // quoted local part
                invalid("\"abc@example.com", "\\\"abc@example.com", "no closing quote"),
                invalid("\"a\"b@example.com", "\\\"a\\\"b@example.com", "must be followed by '@'"),
                invalid("\"a\"", "\\\"a\\\"", "must be followed by '@'"),
                invalid("\"a\\", "\\\"a\\\\", "lone backslash"),
                invalid("\"a\\ü\"@example.com", "\\\"a\\\\ü\\\"@example.com", "not printable ASCII"),
                // domain
                invalid("a@-example.com", "a@-example.com", "starts or ends with '-'"),
                invalid("a@example-.com", "a@example-.com", "starts or ends with '-'"),
                invalid("a@example..com", "a@example..com", "empty label"),
                invalid("a@.example.com", "a@.example.com", "empty label"),
                invalid("a@example.com.", "a@example.com.", "empty label"),
                invalid("a@exa_mple.com", "a@exa_mple.com", "contains '_'"),
                invalid("a@exa!mple.com", "a@exa!mple.com", "contains '!'"),
                invalid("a@" + "b".repeat(64) + ".com", "a@" + "b".repeat(64) + ".com", "longer than 63"),
                invalid("a@bü_cher.example", "a@bü_cher.example", "not a valid internationalised label"),
                invalid("a@bücher\u3002example", "a@bücher\u3002example", "ideographic full stop"),
                // address literals
                invalid("a@[127.0.0.256]", "a@[127.0.0.256]", "not a valid IPv4"),
                invalid("a@[127.0.0]", "a@[127.0.0]", "not a valid IPv4"),
                invalid("a@[127.0.0.1.2]", "a@[127.0.0.1.2]", "not a valid IPv4"),
                invalid("a@[1234.0.0.1]", "a@[1234.0.0.1]", "not a valid IPv4"),
                invalid("a@[localhost]", "a@[localhost]", "not a valid IPv4"),
                invalid("a@[tag:content]", "a@[tag:content]", "not a valid IPv4"),
                invalid("a@[127.0.0.1", "a@[127.0.0.1", "enclosed in '[' and ']'"),
                invalid("a@[]", "a@[]", "enclosed in '[' and ']'"),
                invalid("a@[IPv6:::g]", "a@[IPv6:::g]", "not a valid IPv6"),
                invalid("a@[IPv6:1:2:3:4:5:6:7]", "a@[IPv6:1:2:3:4:5:6:7]", "not a valid IPv6"),
                invalid("a@[IPv6:1:2:3:4:5:6:7:8:9]", "a@[IPv6:1:2:3:4:5:6:7:8:9]", "not a valid IPv6"),
                invalid("a@[IPv6:1:2:3:4:5:6:7::]", "a@[IPv6:1:2:3:4:5:6:7::]", "not a valid IPv6"),
                invalid("a@[IPv6:1::2::3]", "a@[IPv6:1::2::3]", "not a valid IPv6"),
                invalid("a@[IPv6:12345::1]", "a@[IPv6:12345::1]", "not a valid IPv6"),
                invalid("a@[IPv6:1:2:3:4:5::1.2.3.4]", "a@[IPv6:1:2:3:4:5::1.2.3.4]", "not a valid IPv6"),
                invalid("a@[IPv6:::1.2.3.256]", "a@[IPv6:::1.2.3.256]", "not a valid IPv6"),
                invalid("a@[IPv6:]", "a@[IPv6:]", "not a valid IPv6"),
                // lengths, in UTF-8 octets
                invalid("a".repeat(65) + "@example.com", "a".repeat(65) + "@example.com",
                        "local part is longer than 64 octets"),
                invalid("ü".repeat(33) + "@example.com", "ü".repeat(33) + "@example.com",
                        "local part is longer than 64 octets"),
                invalid("a@" + longDomain(256), "a@" + longDomain(256), "domain is longer than 255 octets"),
                invalid("a".repeat(64) + "@" + longDomain(190), "a".repeat(64) + "@" + longDomain(190),
                        "address is longer than 254 octets"));
    }

    @ParameterizedTest
    @MethodSource("invalidForms")
    void rejectsInvalidFormsNamingTheInput(String input, String shown, String reason) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> MailAddress.of(input))
                .withMessageStartingWith("invalid mail address \"" + shown + "\": ")
                .withMessageContaining(reason);
    }

    @Test
    void crlfInjectionMessageIsExact() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> MailAddress.of("a\r\nRCPT TO:<x@y>"))
                .withMessage("invalid mail address \"a\\r\\nRCPT TO:<x@y>\": contains CR");
    }

    @Test
    void rejectsNullAndEmpty() {
        assertThatIllegalArgumentException().isThrownBy(() -> MailAddress.of(null))
                .withMessage("invalid mail address null: is null");
        assertThatIllegalArgumentException().isThrownBy(() -> MailAddress.of(""))
                .withMessage("invalid mail address \"\": is empty");
    }

    @Test
    void hugeInputIsTruncatedInTheMessage() {
        String huge = "a".repeat(100_000) + "@example.com";
        Throwable t = catchThrowable(() -> MailAddress.of(huge));
        assertThat(t).isInstanceOf(IllegalArgumentException.class);
        assertThat(t.getMessage()).hasSizeLessThan(500).contains("(100012 chars)");
    }

    // ------------------------------------------------------------------------------------------ equality

    @Test
    void domainIsComparedIgnoringCase() {
        MailAddress a = MailAddress.of("User@Example.COM");
        MailAddress b = MailAddress.of("User@example.com");
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a.toString()).isNotEqualTo(b.toString());
    }

    @Test
    void localPartIsCaseSensitive() {
        assertThat(MailAddress.of("user@example.com")).isNotEqualTo(MailAddress.of("User@example.com"));
    }

    @Test
    void idnDomainEqualsItsALabelForm() {
        MailAddress u = MailAddress.of("user@bücher.example");
        MailAddress upper = MailAddress.of("user@BÜCHER.example");
        MailAddress ace = MailAddress.of("user@XN--BCHER-KVA.example");
        assertThat(u).isEqualTo(upper).isEqualTo(ace).hasSameHashCodeAs(ace).hasSameHashCodeAs(upper);
    }

    @Test
    void notEqualToOtherDomainsOrTypes() {
        MailAddress a = MailAddress.of("user@example.com");
        assertThat(a).isNotEqualTo(MailAddress.of("user@example.org"));
        assertThat(a).isNotEqualTo("user@example.com");
        assertThat(a).isNotEqualTo(null);
        assertThat(a).isEqualTo(a);
    }

    // ------------------------------------------------------------------------------------------ properties

    private static final String[] VALID = {
        "user@example.com",
        "\"john doe\"@example.com",
        "\"a\\\"b\"@example.com",
        "jörg@bücher.example",
        "postmaster@[IPv6:2001:db8::1]",
        "postmaster@[127.0.0.1]"};
    private static final String[] CR_LF_NUL = {"\r", "\n", "\0", "\r\n"};
    private static final String ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~";

    /** Any string: mostly printable ASCII, some controls, some non-ASCII, some surrogate pairs. */
    private static String anyString(SplittableRandom random) {
        StringBuilder sb = new StringBuilder();
        int n = random.nextInt(40);
        for (int i = 0; i < n; i++) {
            int kind = random.nextInt(10);
            if (kind < 6) {
                sb.append((char) (0x20 + random.nextInt(0x5f)));
            } else if (kind < 8) {
                sb.append((char) random.nextInt(0x20));
            } else if (kind < 9) {
                sb.append((char) (0xa0 + random.nextInt(0x2000)));
            } else {
                sb.appendCodePoint(0x10000 + random.nextInt(0x1000));
            }
        }
        return sb.toString();
    }

    @Test
    void anyStringContainingCrLfOrNulIsRejected() {
        Properties.forAll(1000, random -> {
            String input = anyString(random) + CR_LF_NUL[random.nextInt(CR_LF_NUL.length)] + anyString(random);
            Throwable t = catchThrowable(() -> MailAddress.of(input));
            assertThat(t).isInstanceOf(IllegalArgumentException.class);
            // The injection is the reason given, whatever else is wrong with the input: the first CR, LF or NUL.
            int first = 0;
            while ("\r\n\0".indexOf(input.charAt(first)) < 0) {
                first++;
            }
            String name = input.charAt(first) == '\r' ? "CR" : input.charAt(first) == '\n' ? "LF" : "NUL";
            assertThat(t.getMessage()).contains(": contains " + name);
            // The message is safe to log: no raw line break or NUL makes it into it.
            assertThat(t.getMessage()).doesNotContain("\r", "\n", "\0");
        });
    }

    @Test
    void crLfOrNulInsertedAnywhereInAValidAddressIsRejected() {
        Properties.forAll(1000, random -> {
            String valid = VALID[random.nextInt(VALID.length)];
            int at = random.nextInt(valid.length() + 1);
            String input = valid.substring(0, at) + CR_LF_NUL[random.nextInt(CR_LF_NUL.length)] + valid.substring(at);
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> MailAddress.of(input))
                    .withMessageContaining(": contains ");
        });
    }

    @Test
    void anyDotAtomOfAtextIsAcceptedAsGiven() {
        Properties.forAll(1000, random -> {
            int atoms = 1 + random.nextInt(5);
            StringBuilder local = new StringBuilder();
            for (int i = 0; i < atoms; i++) {
                if (i > 0) {
                    local.append('.');
                }
                int len = 1 + random.nextInt(10);
                for (int j = 0; j < len; j++) {
                    local.append(ATEXT.charAt(random.nextInt(ATEXT.length())));
                }
            }
            MailAddress a = MailAddress.of(local + "@example.com");
            assertThat(a.localPart()).isEqualTo(local.toString());
            assertThat(a.toAsciiForm()).isEqualTo(local + "@example.com");
        });
    }

    // -------------------------------------------------------------------------------------------- helpers

    private static Arguments invalid(String input, String shown, String reason) {
        return Arguments.of(input, shown, reason);
    }

    /** A valid domain of exactly {@code length} octets, in labels of 50 and a shorter last one. */
    private static String longDomain(int length) {
        StringBuilder b = new StringBuilder();
        while (length - b.length() > 51) {
            b.append("x".repeat(50)).append('.');
        }
        b.append("y".repeat(length - b.length()));
        return b.toString();
    }

    @Test
    void utf8LengthCountsAsTheEncoderDoesForEveryKindOfCharacter() {
        java.util.Random random = new java.util.Random(14);
        char[] kinds = {'a', '\u00e9', '\u0800', '\u4e2d', '\ud83d', '\ude00', '\uffff', '\u007f', '\u0080'};
        for (int round = 0; round < 2_000; round++) {
            StringBuilder b = new StringBuilder();
            for (int i = random.nextInt(12); i > 0; i--) {
                b.append(kinds[random.nextInt(kinds.length)]);
            }
            String s = b.toString();
            assertThat(MailAddress.utf8Length(s)).as("%s", s.chars().boxed().toList())
                    .isEqualTo(s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        }
    }
}
