package io.reactivesmtp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SafeTextTest {

    @Test
    void controlsQuotesAndBackslashesAreEscapedAndLettersKept() {
        assertThat(SafeText.escape("a\r\nb\tc\0d\\e\"f\u0001\u007f\u0085\u2028é"))
                .isEqualTo("a\\r\\nb\\tc\\0d\\\\e\\\"f\\u0001\\u007f\\u0085\\u2028é");
        assertThat(SafeText.quote("a\"b")).isEqualTo("\"a\\\"b\"");
        assertThat(SafeText.escape(null)).isEqualTo("null");
    }

    @Test
    void textThatHidesOrReordersCharactersIsShown() {
        // Trojan Source: a right-to-left override, a zero-width space, a byte order mark
        assertThat(SafeText.escape("ok\u202Eexe.txt\u200B\uFEFF")).isEqualTo("ok\\u202eexe.txt\\u200b\\ufeff");
        assertThat(SafeText.escape("\ud800x")).isEqualTo("\\ud800x");
        assertThat(SafeText.escape("\ud83d\ude00")).isEqualTo("\ud83d\ude00"); // a paired surrogate is a character
    }

    @Test
    void onALineOfItsOwnQuotesAndBackslashesStayAndControlsAreStillShown() {
        assertThat(SafeText.line("550 \"bob\" C:\\x\r\nQUIT\u202e")).isEqualTo("550 \"bob\" C:\\x\\r\\nQUIT\\u202e");
        assertThat(SafeText.line(null)).isEmpty();
        assertThat(SafeText.line("y".repeat(3000))).endsWith("... (3000 chars)").hasSize(SafeText.MAX_LINE_CHARS + 16);
    }

    @Test
    void longTextIsCutAndItsLengthSaid() {
        String s = "x".repeat(1000);
        assertThat(SafeText.escape(s)).isEqualTo("x".repeat(SafeText.MAX_CHARS) + "... (1000 chars)");
        assertThat(SafeText.quote(s)).isEqualTo("\"" + "x".repeat(SafeText.MAX_CHARS) + "\"... (1000 chars)");
    }

    @Test
    void rawBytesKeepPrintableAsciiOnly() {
        byte[] b = "2X0 \u001b[31m\\ é".getBytes(StandardCharsets.UTF_8);
        assertThat(SafeText.bytes(Unpooled.wrappedBuffer(b), 0, b.length, 100)).isEqualTo("2X0 \\x1B[31m\\x5C \\xC3\\xA9");
        assertThat(SafeText.bytes(Unpooled.wrappedBuffer(new byte[400]), 0, 400, 100)).hasSize(103).endsWith("...");
    }
}
