package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.MessageContent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@code bulk --body FILE} holds its message: read once when small, streamed per transaction when large. */
class BulkBodyTest {

    @TempDir
    Path dir;

    @Test
    void aSmallBodyIsReadOnceAndLaterChangesToTheFileDoNotReachTheRun() throws IOException {
        Path body = Files.writeString(dir.resolve("small.eml"), "Subject: hi\r\n\r\nHello.\r\n");
        MessageContent content = BulkOptions.bodyContent(body);
        Files.writeString(body, "changed");

        assertThat(content.toString()).startsWith("MessageContent[bytes, ");
        assertThat(content.size()).hasValue(23);
    }

    @Test
    void aBodyOfExactlyTheLimitIsHeldAndOneByteMoreIsStreamedFromTheFile() throws IOException {
        Path atLimit = Files.write(dir.resolve("limit.eml"), new byte[(int) BulkOptions.HELD_IN_MEMORY]);
        Path over = Files.write(dir.resolve("over.eml"), new byte[(int) BulkOptions.HELD_IN_MEMORY + 1]);

        assertThat(BulkOptions.bodyContent(atLimit).toString()).startsWith("MessageContent[bytes, ");
        assertThat(BulkOptions.bodyContent(over).toString()).startsWith("MessageContent[file ");
    }

    @Test
    void aMissingBodyIsRefusedNamingTheFile() {
        Path missing = dir.resolve("missing.eml");
        assertThatThrownBy(() -> BulkOptions.bodyContent(missing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing.eml");
    }
}
