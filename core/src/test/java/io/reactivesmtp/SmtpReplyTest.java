package io.reactivesmtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.testing.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Enhanced status codes (RFC 3463) read off the first reply line, and the text without them. */
class SmtpReplyTest {

    /** The grammar as a regex: the reference the hand-written parser must agree with. */
    private static final Pattern ENHANCED = Pattern.compile("^([245])\\.(\\d{1,3})\\.(\\d{1,3})(?:\\s+|$)");

    @Test
    void readsTheEnhancedCodeOfTheSameClass() {
        SmtpReply r = SmtpReply.of(550, "5.1.1  no such user", "5.1.1 really");
        assertThat(r.enhancedStatus()).contains("5.1.1");
        assertThat(r.text()).isEqualTo("no such user really");
        assertThat(SmtpReply.of(250, "2.0.0").enhancedStatus()).contains("2.0.0");
        assertThat(SmtpReply.of(250, "2.0.0").text()).isEmpty();
    }

    @Test
    void ignoresACodeOfAnotherClassOrAMalformedOne() {
        assertThat(SmtpReply.of(250, "5.1.1 odd").enhancedStatus()).isEmpty();
        assertThat(SmtpReply.of(250, "5.1.1 odd").text()).isEqualTo("5.1.1 odd");
        for (String line : new String[] {"2.0.0queued", "2.0 ok", "2.1000.0 x", "3.0.0 x", "2..0 x", "2.0.", "", "ok"}) {
            assertThat(SmtpReply.of(250, line).enhancedStatus()).as(line).isEmpty();
        }
    }

    @Test
    void theParserAgreesWithTheGrammarOnArbitraryLines() {
        String alphabet = "2459.0. \t1x";
        Properties.forAll(5000, random -> {
            StringBuilder sb = new StringBuilder();
            int n = random.nextInt(12);
            for (int i = 0; i < n; i++) {
                sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String line = sb.toString();
            Matcher m = ENHANCED.matcher(line);
            int expected = m.find() ? m.end() : -1;
            assertThat(SmtpReply.enhancedEnd(line)).as("'%s'", line).isEqualTo(expected);
        });
    }
}
