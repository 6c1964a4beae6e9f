package io.reactivesmtp.mime;

import java.nio.charset.StandardCharsets;

/** What a text part decodes to: its canonical form, CRLF line breaks, in UTF-8. */
final class BodyLayoutTestSupport {

    private BodyLayoutTestSupport() {
    }

    static byte[] crlf(String text) {
        return BodyLayout.canonical(text).getBytes(StandardCharsets.UTF_8);
    }
}
