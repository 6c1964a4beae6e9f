package io.reactivesmtp.bounce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Random, truncated and mutated MIME fed to the parser (seeded, bounded iterations): it either reads a report or
 * throws {@link BounceParseException}, never anything else; and what it keeps stays within its bounds however large
 * the input.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BounceParserFuzzTest {

    private static final long SEED = 0x5EED_B0B_CAFEL;
    private static final String[] CORPUS = {"rfc3464-simple.eml", "rfc3464-multi-recipient.eml",
        "rfc3464-gateway.eml", "rfc5965-full.eml", "rfc6533-global.eml", "postfix-unknown-user.eml",
        "exim-remote-unknown-user.eml", "microsoft-ndr-malformed.eml", "microsoft-jmrp-complaint.eml",
        "qmail-failure-notice.eml", "exim-text-list-only.eml"};
    /** Fragments that steer mutations into the parser's interesting corners. */
    private static final String[] TOKENS = {"\r\n", "\n", "\r", "\r\n\r\n", "--", ":", ";", " ", "\t", "=?utf-8?B?",
        "?=", "\\x{", "}", "<", ">", "@", "Content-Type: multipart/report; boundary=\"b\"\r\n", "\r\n--b\r\n",
        "Content-Type: message/delivery-status\r\n\r\n", "Content-Type: message/feedback-report\r\n\r\n",
        "Content-Type: message/rfc822\r\n\r\n", "Content-Transfer-Encoding: base64\r\n",
        "Content-Transfer-Encoding: quoted-printable\r\n", "Final-Recipient: utf-8; \\x{D800}@x\r\n",
        "Status: 5.", "Action: ", "X-Failed-Recipients: ", "=\r\n", "=ZZ", "\u00ff\u00fe", "\0"};

    private static final BounceParser SMALL = BounceParser.builder().maxMessageBytes(1 << 20).maxPartBytes(4096)
            .maxHeaderFields(64).maxLineBytes(2048).maxParts(32).maxRecipients(16).build();

    static byte[] corpus(String name) throws IOException {
        try (InputStream in = BounceParserFuzzTest.class.getResourceAsStream("/bounces/" + name)) {
            return in.readAllBytes();
        }
    }

    /** Parses; only BounceParseException may come out, and what is kept stays within the parser's bounds. */
    private static void check(BounceParser parser, byte[] input, String what) {
        try {
            BounceReport r = parser.parse(input);
            assertThat(r.recipients().size()).as(what).isLessThanOrEqualTo(parser.maxRecipients);
            assertThat(r.notes().size()).as(what).isLessThanOrEqualTo(Notes.MAX);
            for (BounceRecipient x : r.recipients()) {
                assertThat(x.address().length()).as(what).isLessThanOrEqualTo(parser.maxPartBytes);
                if (x.diagnosticCode() != null) {
                    assertThat(x.diagnosticCode().length()).as(what).isLessThanOrEqualTo(parser.maxPartBytes);
                }
            }
        } catch (BounceParseException expected) {
            assertThat(expected.reason()).isNotNull();
            assertThat(expected.getMessage()).isNotBlank();
        } catch (Throwable t) {
            fail(what + ": " + t + " on input " + new String(input, 0, Math.min(input.length, 300),
                    StandardCharsets.ISO_8859_1), t);
        }
    }

    @Test
    void randomBytesGiveAReportOrTheTypedException() {
        Random random = new Random(SEED);
        for (int i = 0; i < 500; i++) {
            byte[] input = new byte[random.nextInt(4000)];
            random.nextBytes(input);
            check(SMALL, input, "random #" + i);
            check(BounceParser.defaults(), input, "random #" + i);
        }
    }

    @Test
    void everyTruncationOfTheCorpusParses() throws IOException {
        Random random = new Random(SEED + 1);
        for (String name : CORPUS) {
            byte[] whole = corpus(name);
            for (int i = 0; i < 60; i++) {
                int at = random.nextInt(whole.length + 1);
                check(BounceParser.defaults(), Arrays.copyOf(whole, at), name + " cut at " + at);
                check(SMALL, Arrays.copyOf(whole, at), name + " cut at " + at + " (small bounds)");
            }
        }
    }

    @Test
    void mutatedCorpusGivesAReportOrTheTypedException() throws IOException {
        Random random = new Random(SEED + 2);
        List<byte[]> samples = new ArrayList<>();
        for (String name : CORPUS) {
            samples.add(corpus(name));
        }
        for (int i = 0; i < 1500; i++) {
            byte[] input = samples.get(random.nextInt(samples.size()));
            int edits = 1 + random.nextInt(8);
            for (int e = 0; e < edits; e++) {
                input = mutate(input, random);
            }
            check(i % 2 == 0 ? SMALL : BounceParser.defaults(), input, "mutation #" + i);
        }
    }

    private static byte[] mutate(byte[] in, Random random) {
        int at = in.length == 0 ? 0 : random.nextInt(in.length);
        return switch (random.nextInt(4)) {
            case 0 -> { // flip a byte
                byte[] out = in.clone();
                if (out.length > 0) {
                    out[at] = (byte) random.nextInt(256);
                }
                yield out;
            }
            case 1 -> { // delete a run
                int len = Math.min(in.length - at, random.nextInt(64));
                byte[] out = new byte[in.length - len];
                System.arraycopy(in, 0, out, 0, at);
                System.arraycopy(in, at + len, out, at, in.length - at - len);
                yield out;
            }
            case 2 -> { // insert a token
                byte[] token = TOKENS[random.nextInt(TOKENS.length)].getBytes(StandardCharsets.UTF_8);
                byte[] out = new byte[in.length + token.length];
                System.arraycopy(in, 0, out, 0, at);
                System.arraycopy(token, 0, out, at, token.length);
                System.arraycopy(in, at, out, at + token.length, in.length - at);
                yield out;
            }
            default -> { // duplicate a run (repeated fields, parts)
                int len = Math.min(in.length - at, random.nextInt(400));
                byte[] out = new byte[in.length + len];
                System.arraycopy(in, 0, out, 0, at + len);
                System.arraycopy(in, at, out, at + len, in.length - at);
                yield out;
            }
        };
    }

    @Test
    void boundsAreEnforcedWithTheTypedException() {
        String head = "From: MAILER-DAEMON@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n";
        // Too many header fields.
        assertThatThrownBy(() -> SMALL.parse((head + "X-A: b\r\n".repeat(200) + "\r\nbody\r\n")
                .getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOfSatisfying(BounceParseException.class, e -> assertThat(e.reason())
                        .isEqualTo(BounceParseException.Reason.LIMIT_EXCEEDED));
        // A header line longer than the bound.
        assertThatThrownBy(() -> SMALL.parse((head + "X-A: " + "b".repeat(50_000) + "\r\n\r\nbody\r\n")
                .getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOfSatisfying(BounceParseException.class, e -> assertThat(e.reason())
                        .isEqualTo(BounceParseException.Reason.LIMIT_EXCEEDED));
        // More MIME parts than the bound.
        StringBuilder parts = new StringBuilder(head + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
        for (int i = 0; i < 100; i++) {
            parts.append("--b\r\nContent-Type: text/plain\r\n\r\npart ").append(i).append("\r\n");
        }
        parts.append("--b--\r\n");
        assertThatThrownBy(() -> SMALL.parse(parts.toString().getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOfSatisfying(BounceParseException.class, e -> assertThat(e.reason())
                        .isEqualTo(BounceParseException.Reason.LIMIT_EXCEEDED));
        // An endless stream stops at maxMessageBytes.
        assertThatThrownBy(() -> SMALL.parse(endless(head + "\r\n", "all work and no play\r\n")))
                .isInstanceOfSatisfying(BounceParseException.class, e -> assertThat(e.reason())
                        .isEqualTo(BounceParseException.Reason.TOO_LARGE));
        // A failing stream is a READ_ERROR.
        assertThatThrownBy(() -> SMALL.parse(new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("disk on fire");
            }
        })).isInstanceOfSatisfying(BounceParseException.class, e -> {
            assertThat(e.reason()).isEqualTo(BounceParseException.Reason.READ_ERROR);
            assertThat(e.getMessage()).contains("disk on fire");
        });
    }

    @Test
    void aHugeDeliveryStatusPartIsReadOnlyUpToThePartBound() throws IOException {
        // 64 MiB of recipient groups in one part: the parser keeps 4 KiB of it and at most 16 recipients.
        BounceParser parser = BounceParser.builder().maxMessageBytes(128L << 20).maxPartBytes(4096)
                .maxRecipients(16).build();
        String head = "From: MAILER-DAEMON@example.org\r\nContent-Type: multipart/report; "
                + "report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n"
                + "\r\nReporting-MTA: dns; mx.example.org\r\n\r\n";
        InputStream in = new Bounded(endless(head, "Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\n"
                + "Status: 5.1.1\r\n\r\n"), 64L << 20);
        BounceReport r = parser.parse(in);
        assertThat(r.recipients()).hasSizeLessThanOrEqualTo(16).isNotEmpty();
        assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("longer than 4096 bytes"));
    }

    /** {@code head}, then {@code unit} again and again, forever. */
    private static InputStream endless(String head, String unit) {
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] u = unit.getBytes(StandardCharsets.US_ASCII);
        return new InputStream() {
            private long pos;

            @Override
            public int read() {
                long p = pos++;
                return p < h.length ? h[(int) p] : u[(int) ((p - h.length) % u.length)];
            }

            @Override
            public int read(byte[] b, int off, int len) {
                for (int i = 0; i < len; i++) {
                    b[off + i] = (byte) read();
                }
                return len;
            }
        };
    }

    /** At most {@code limit} bytes of a stream. */
    private static final class Bounded extends InputStream {
        private final InputStream in;
        private long left;

        Bounded(InputStream in, long limit) {
            this.in = in;
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            return left-- > 0 ? in.read() : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            left -= n;
            return n;
        }
    }
}
