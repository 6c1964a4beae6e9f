package io.reactivesmtp.bounce;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.testing.ReadmeCode;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the Java example of the README's "Bounces and complaints" section (the code between the markers, with the
 * file a real Postfix bounce of the corpus and what it prints collected) and checks that the README shows exactly
 * that code.
 */
class ReadmeBounceExampleTest {

    @TempDir
    Path dir;

    @Test
    void theBounceExampleReadsARealPostfixBounce() throws Exception {
        Path eml = dir.resolve("bounce.eml");
        try (InputStream sample = getClass().getResourceAsStream("/bounces/postfix-remote-unknown-user.eml")) {
            Files.copy(sample, eml);
        }
        List<String> printed = new ArrayList<>();

        // README-BEGIN
        try (InputStream in = Files.newInputStream(Path.of(eml.toString()))) {
            BounceReport r = BounceParser.defaults().parse(in);   // BounceParseException: the one failure
            printed.add(r.kind() + " " + r.confidence());  // DELIVERY_STATUS CERTAIN
            for (BounceRecipient rcpt : r.recipients()) {
                printed.add(rcpt.address() + " " + rcpt.action() + " " + rcpt.status());  // ... FAILED 5.1.1
            }
            printed.add(r.envelopeId() + " " + r.originalMessageId());  // ties it to what you sent
            printed.add(String.valueOf(r.suppressions()));  // hard bounces (5.x.x) and complainants; none when UNCERTAIN
        }
        // README-END

        assertThat(printed).containsExactly("DELIVERY_STATUS CERTAIN", "ghost@remote.test FAILED 5.1.1",
                "env-4 <newsletter-4@sender.test>", "[ghost@remote.test]");
        assertThat(ReadmeCode.normalise(ReadmeCode.blockAfter("## Bounces and complaints"))).isEqualTo(ReadmeCode.normalise(
                ReadmeCode.markedCode(ReadmeBounceExampleTest.class)
                        .replace("printed.add(String.valueOf(r.suppressions()));", "System.out.println(r.suppressions());")
                        .replace("printed.add(", "System.out.println(")
                        .replace("Path.of(eml.toString())", "Path.of(\"bounce.eml\")")));
    }
}
