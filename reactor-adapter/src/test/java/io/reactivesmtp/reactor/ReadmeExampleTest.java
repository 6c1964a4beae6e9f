package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.mime.Parsed;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Keeps the README honest: its first Java example is the whole of {@code src/test/java/SendHello.java}, imports
 * included (modulo indentation), and this test runs that program against a real server and checks what it prints
 * and what the server received (the composed parts, read back with mime4j).
 */
class ReadmeExampleTest {

    @Test
    void theReadmeExampleIsACompleteProgramThatRunsAndMatchesTheReadme() throws Exception {
        ReadmeBlocks.assertReadmeBlockIsTheFile(1, Path.of("src/test/java/SendHello.java"));

        try (SubethaSmtpServer server = SubethaSmtpServer.builder()
                .rejectRecipient("nobody@example.net", 550, "5.1.1 no such user").start()) {
            String printed = runMain("SendHello", String.valueOf(server.port()));

            assertThat(printed.lines()).containsExactly(
                    "PARTIAL",
                    "alice@example.com ACCEPTED 250 Ok",
                    "nobody@example.net PERMANENT_FAILURE 550 no such user");
            assertThat(server.messages()).hasSize(1);
            byte[] data = server.messages().get(0).data();
            assertThat(server.messages().get(0).recipients()).containsExactly("alice@example.com");
            List<Parsed.Leaf> leaves = Parsed.mime4jLeaves(data);
            assertThat(leaves).extracting(Parsed.Leaf::type).containsExactly("text/plain", "text/html", "text/csv");
            assertThat(new String(leaves.get(0).bytes(), StandardCharsets.UTF_8))
                    .isEqualTo("Hi Alice!\r\nThe report is attached.\r\n");
            assertThat(leaves.get(2).fileName()).isEqualTo("report.csv");
            assertThat(new String(leaves.get(2).bytes(), StandardCharsets.UTF_8)).isEqualTo("week,sent\n48,1200\n");
            assertThat(Parsed.mime4j(data).getSubject()).isEqualTo("Grüße, Alice");
            assertThat(new String(data, StandardCharsets.US_ASCII))
                    .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
        }
    }

    /** Runs a class's {@code main} (the README's program is in the default package) and returns what it printed. */
    private static String runMain(String className, String... args) throws Exception {
        Method main = Class.forName(className).getMethod("main", String[].class);
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            main.invoke(null, (Object) args);
        } finally {
            System.setOut(saved);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Not a test of the example: proves the comparison fails when the README and the program drift apart. */
    @Test
    void aDifferentFileDoesNotMatchTheReadmeBlock() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ReadmeBlocks.assertReadmeBlockIsTheFile(1,
                Path.of("src/test/java/io/reactivesmtp/reactor/ReadmeBlocks.java")))
                .isInstanceOf(AssertionError.class);
    }
}
