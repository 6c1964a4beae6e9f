package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.testing.SubethaSmtpServer;
import io.reactivesmtp.testing.SubethaSmtpServer.ReceivedMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code send} composing the message from --subject, --text, --html, --attach and --list-unsubscribe. */
class ComposeOptionsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void composedMessageIsSentWithItsPartsAndUnsubscribeHeaders() throws Exception {
        Path text = Files.writeString(dir.resolve("body.txt"), "Grüße\nline two\n");
        Path html = Files.writeString(dir.resolve("body.html"), "<p>Hello</p>\n");
        byte[] data = {0, 1, 2, (byte) 0xFF, 'a', '\r', '\n'};
        Path attachment = Files.write(dir.resolve("data.bin"), data);
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            SendCommandTest.Run run = SendCommandTest.run("send", "--server", "127.0.0.1:" + server.port(), "--tls",
                    "none", "--from", "me@example.com", "--to", "you@example.org", "--subject", "Grüße",
                    "--text", text.toString(), "--html", html.toString(), "--attach", attachment.toString(),
                    "--list-unsubscribe", "https://example.com/u?id=1", "--list-unsubscribe", "mailto:u@example.com");
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            List<ReceivedMessage> received = server.awaitMessages(1, WAIT);
            String message = new String(received.get(0).data(), StandardCharsets.US_ASCII).replace("\r\n ", " ");
            assertThat(message).contains("From: me@example.com\r\n", "To: you@example.org\r\n",
                    "Subject: =?UTF-8?",
                    "List-Unsubscribe: <https://example.com/u?id=1>, <mailto:u@example.com>\r\n",
                    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", "multipart/alternative",
                    "Gr=C3=BC=C3=9Fe\r\nline two\r\n", "<p>Hello</p>\r\n", "filename=data.bin",
                    "\r\n\r\n" + Base64.getEncoder().encodeToString(data) + "\r\n--");
        }
    }

    @Test
    void composeOptionsAreCheckedBeforeAnyConnection() throws Exception {
        Path body = Files.writeString(dir.resolve("m.eml"), "From: a@b.test\r\n\r\nhi\r\n");
        SendCommandTest.Run both = SendCommandTest.run("send", "--server", "127.0.0.1:1", "--tls", "none", "--from",
                "me@example.com", "--to", "you@example.org", "--body", body.toString(), "--subject", "x");
        assertThat(both.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(both.err()).contains("--body and the compose options");
        SendCommandTest.Run missing = SendCommandTest.run("send", "--server", "127.0.0.1:1", "--tls", "none",
                "--from", "me@example.com", "--to", "you@example.org", "--attach", dir.resolve("gone.pdf").toString());
        assertThat(missing.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).contains("--attach: ").contains("gone.pdf");
        SendCommandTest.Run http = SendCommandTest.run("send", "--server", "127.0.0.1:1", "--tls", "none",
                "--from", "me@example.com", "--to", "you@example.org", "--subject", "x", "--list-unsubscribe",
                "http://example.com/u");
        assertThat(http.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(http.err()).contains("--list-unsubscribe: ").contains("https");
    }
}
