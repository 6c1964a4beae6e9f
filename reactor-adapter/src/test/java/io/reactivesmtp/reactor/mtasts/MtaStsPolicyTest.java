package io.reactivesmtp.reactor.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** {@link MtaStsPolicy}: the strict parser of RFC 8461 3.2 and the MX matching of 4.1. */
class MtaStsPolicyTest {

    private static final String GOOD = "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\n"
            + "mx: backupmx.example.com\nmax_age: 604800\n";

    @Test
    void readsTheRfcExample() {
        MtaStsPolicy p = MtaStsPolicy.parse("20160831085700Z", GOOD);
        assertThat(p.id()).isEqualTo("20160831085700Z");
        assertThat(p.mode()).isEqualTo(MtaStsPolicy.Mode.ENFORCE);
        assertThat(p.mxPatterns()).containsExactly("mail.example.com", "*.example.net", "backupmx.example.com");
        assertThat(p.maxAge()).isEqualTo(Duration.ofDays(7));
        assertThat(p.policyLines()).containsExactly("version: STSv1", "mode: enforce", "mx: mail.example.com",
                "mx: *.example.net", "mx: backupmx.example.com", "max_age: 604800");
        assertThat(p.ignored()).isEmpty();
    }

    @Test
    void acceptsCrlfBlankLinesUnknownFieldsAndSpacesAfterTheColon() {
        MtaStsPolicy p = MtaStsPolicy.parse("1", "version:STSv1\r\nmode:   testing\r\n\r\nmx: MX.Example.COM \r\n"
                + "future_field: anything\r\nmax_age: 86400\r\n");
        assertThat(p.mode()).isEqualTo(MtaStsPolicy.Mode.TESTING);
        assertThat(p.mxPatterns()).containsExactly("mx.example.com");
        assertThat(p.policyLines()).hasSize(5);
    }

    @Test
    void modeNoneNeedsNoMx() {
        MtaStsPolicy p = MtaStsPolicy.parse("2", "version: STSv1\nmode: none\nmax_age: 86400\n");
        assertThat(p.mode()).isEqualTo(MtaStsPolicy.Mode.NONE);
        assertThat(p.mxPatterns()).isEmpty();
    }

    @Test
    void repeatedFieldsKeepTheFirstValue() {
        MtaStsPolicy p = MtaStsPolicy.parse("3", "version: STSv1\nmode: enforce\nmode: none\nmx: a.example\n"
                + "max_age: 100\nmax_age: 200\n");
        assertThat(p.mode()).isEqualTo(MtaStsPolicy.Mode.ENFORCE);
        assertThat(p.maxAge()).isEqualTo(Duration.ofSeconds(100));
        assertThat(p.ignored()).hasSize(2).allMatch(s -> s.contains("repeated"));
    }

    @Test
    void capsMaxAgeAtTheRfcMaximum() {
        MtaStsPolicy p = MtaStsPolicy.parse("4", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 9999999999\n");
        assertThat(p.maxAge()).isEqualTo(Duration.ofSeconds(31_557_600));
        assertThat(p.ignored()).singleElement().asString().contains("31557600");
    }

    @ParameterizedTest
    @ValueSource(strings = {"*.*.example.com", "mail.*.example.com", "*", "*.", "*example.com", ".example.com",
            "mail..example.com", "-mail.example.com", "mail-.example.com", "ex_ample.com", "mail.example.com.",
            "mail example.com", "**.example.com", "*.example.*"})
    void ignoresAnMxLineThatIsNotAPatternAndKeepsTheRest(String odd) {
        MtaStsPolicy p = MtaStsPolicy.parse("5", "version: STSv1\nmode: enforce\nmx: " + odd
                + "\nmx: good.example.com\nmax_age: 86400\n");
        assertThat(p.mxPatterns()).containsExactly("good.example.com");
        assertThat(p.ignored()).singleElement().asString().contains("line 3").contains("ignored");
        assertThat(p.matches("good.example.com")).isTrue();
        assertThat(p.matches("mail.x.example.com")).isFalse();
        assertThat(p.matches("a.b.example.com")).isFalse();
    }

    @Test
    void enforceWithOnlyOddPatternsIsInvalid() {
        assertThatThrownBy(() -> MtaStsPolicy.parse("6", "version: STSv1\nmode: enforce\nmx: *.*.example\n"
                + "mx: mail.*.example\nmax_age: 86400\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid MTA-STS policy (id 6)")
                .hasMessageContaining("without a valid mx pattern");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "mode: enforce\nmx: a.example\nmax_age: 1\n",                           // no version
        "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n",            // wrong version
        "version: stsv1\nmode: enforce\nmx: a.example\nmax_age: 1\n",            // case-sensitive
        "version: STSv1\nmx: a.example\nmax_age: 1\n",                           // no mode
        "version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n",            // unknown mode
        "version: STSv1\nmode: report\nmx: a.example\nmax_age: 1\n",             // draft mode
        "version: STSv1\nmode: enforce\nmx: a.example\n",                        // no max_age
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",           // not digits
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n",  // 11 digits
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1d\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\ngarbage\n",   // not name: value
        "version: STSv1\nmode : enforce\nmx: a.example\nmax_age: 1\n",          // space before the colon
        "<html><body>Not Found</body></html>",
        "",
        "version: STSv1\nmode: enforce\nmx: a.example\u00e9\nmax_age: 1\n",      // not ASCII
        "version: STSv1\nmode: enforce\nmx: a.example\u0000\nmax_age: 1\n",      // control
    })
    void refusesMalformedPolicies(String text) {
        assertThatThrownBy(() -> MtaStsPolicy.parse("7", text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid MTA-STS policy (id 7): ");
    }

    @Test
    void matchesExactNamesAndOneLeadingLabelForAWildcard() {
        MtaStsPolicy p = MtaStsPolicy.of("8", MtaStsPolicy.Mode.ENFORCE, List.of("mail.example.com", "*.example.net"),
                Duration.ofDays(1));
        assertThat(p.matches("mail.example.com")).isTrue();
        assertThat(p.matches("MAIL.Example.Com.")).isTrue();
        assertThat(p.matches("example.com")).isFalse();
        assertThat(p.matches("x.mail.example.com")).isFalse();
        assertThat(p.matches("mx1.example.net")).isTrue();
        assertThat(p.matches("example.net")).isFalse();
        assertThat(p.matches(".example.net")).isFalse();
        assertThat(p.matches("a.b.example.net")).isFalse();
        assertThat(p.matches("mx1.example.net.evil")).isFalse();
        assertThat(p.matches("mx1example.net")).isFalse();
        assertThat(p.policyLines()).containsExactly("version: STSv1", "mode: enforce", "mx: mail.example.com",
                "mx: *.example.net", "max_age: 86400");
    }

    @Test
    void ofRefusesAnInvalidPatternOrMaxAge() {
        assertThatThrownBy(() -> MtaStsPolicy.of("9", MtaStsPolicy.Mode.ENFORCE, List.of("mail.*.example"),
                Duration.ofDays(1))).hasMessageContaining("\"mail.*.example\"");
        assertThatThrownBy(() -> MtaStsPolicy.of("9", MtaStsPolicy.Mode.ENFORCE, List.of("a.example"),
                Duration.ofDays(400))).hasMessageContaining("max_age");
    }
}
