package io.reactivesmtp.bounce;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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
        assertThat(normalise(readmeBlock("## Bounces and complaints"))).isEqualTo(normalise(markedCode()));
    }

    /** The first ```java block after a README heading. */
    private static String readmeBlock(String heading) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        int section = readme.indexOf("\n" + heading + "\n");
        assertThat(section).as("README has the section " + heading).isNotNegative();
        int start = readme.indexOf("```java\n", section) + 8;
        return readme.substring(start, readme.indexOf("```", start));
    }

    /** The code between the markers as the README shows it: printed, and the file by its name. */
    private static String markedCode() throws Exception {
        Path source = Path.of("src/test/java", ReadmeBounceExampleTest.class.getName().replace('.', '/') + ".java");
        String text = Files.readString(source, StandardCharsets.UTF_8);
        int start = text.indexOf('\n', text.indexOf("// README-" + "BEGIN")) + 1;
        return text.substring(start, text.indexOf("// README-" + "END"))
                .replace("printed.add(String.valueOf(r.suppressions()));", "System.out.println(r.suppressions());")
                .replace("printed.add(", "System.out.println(")
                .replace("Path.of(eml.toString())", "Path.of(\"bounce.eml\")");
    }

    private static String normalise(String code) {
        StringBuilder sb = new StringBuilder();
        for (String line : code.split("\n")) {
            if (!line.isBlank()) {
                sb.append(line.strip()).append('\n');
            }
        }
        return sb.toString();
    }
}
