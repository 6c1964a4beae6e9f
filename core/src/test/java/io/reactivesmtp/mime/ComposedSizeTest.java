package io.reactivesmtp.mime;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.MessageContent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A built message's {@link MessageContent#size()} (declared with SIZE) is exactly the number of bytes a pass gives
 * when every part's size is known in advance, and unknown otherwise.
 */
class ComposedSizeTest {

    @TempDir
    Path dir;

    @Test
    void base64SizeMatchesTheEncoderAtEveryLineBoundary() throws Exception {
        SplittableRandom random = new SplittableRandom(1);
        for (int n : new int[] {0, 1, 2, 3, 4, 56, 57, 58, 113, 114, 115, 171, 1000, 65_537}) {
            ComposedMessage m = ComposedMessage.builder().from("a@example.com").to("b@example.com")
                    .messageId("size@example.com")
                    .attach(Attachment.of("f.bin", "application/octet-stream", MessageBuilderTest.random(random, n)))
                    .build();
            assertThat(m.content().size()).as("%d bytes", n).hasValue(Parsed.bytes(m.content()).length);
        }
    }

    @Test
    void sizeIsExactForTextHtmlArraysAndFiles() throws Exception {
        SplittableRandom random = new SplittableRandom(2);
        for (int round = 0; round < 30; round++) {
            Path file = Files.write(dir.resolve("f" + round + ".bin"),
                    MessageBuilderTest.random(random, random.nextInt(300_000)));
            ComposedMessage m = ComposedMessage.builder()
                    .from(MessageBuilderTest.line(random, 20), "a@example.com").to("b@example.com")
                    .subject(MessageBuilderTest.line(random, 200))
                    .text(MessageBuilderTest.text(random, 3000))          // quoted-printable when not ASCII
                    .html("<p>" + MessageBuilderTest.text(random, 500) + "</p>")
                    .attach(Attachment.of(file, "application/octet-stream"))
                    .attach(Attachment.of(MessageBuilderTest.line(random, 30) + ".bin", "application/octet-stream",
                            MessageBuilderTest.random(random, random.nextInt(5000))).inline("i" + round + "@x.test"))
                    .eightBitMime(random.nextBoolean())
                    .build();
            byte[] bytes = Parsed.bytes(m.content());
            assertThat(m.content().size()).as("round %d", round).hasValue(bytes.length);
            assertThat(m.content().toString()).contains(bytes.length + " bytes");
        }
    }

    @Test
    void sizeIsUnknownWithAPublisherOrATextFile() throws Exception {
        ComposedMessage published = ComposedMessage.builder().from("a@example.com").to("b@example.com").text("hi")
                .attach(Attachment.of("p.bin", "application/octet-stream", Parsed.publisher(new byte[10], 4))).build();
        assertThat(published.content().size()).isEmpty();
        ComposedMessage textFile = ComposedMessage.builder().from("a@example.com").to("b@example.com")
                .text(Files.writeString(dir.resolve("t.txt"), "hello\n")).build();
        assertThat(textFile.content().size()).isEmpty();
        // Signing adds the signatures' bound to a known size and keeps an unknown one unknown.
        assertThat(published.content().signedWith(io.reactivesmtp.dkim.DkimSigner.builder()
                .key(java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate())
                .domain("example.com").selector("s").build()).size()).isEmpty();
    }
}
