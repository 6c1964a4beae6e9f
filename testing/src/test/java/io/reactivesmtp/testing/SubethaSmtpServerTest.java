package io.reactivesmtp.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.testing.ScriptedSmtpServerTest.Client;
import io.reactivesmtp.testing.SubethaSmtpServer.ReceivedMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(30)
class SubethaSmtpServerTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private static List<String> readReply(Client client) throws Exception {
        List<String> lines = new ArrayList<>();
        String line;
        do {
            line = client.readLine();
            lines.add(line);
        } while (line.length() > 3 && line.charAt(3) == '-');
        return lines;
    }

    @Test
    void advertisesPipeliningOnlyWhenAsked() throws Exception {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().pipelining(true).maxMessageSize(1_000_000).start()) {
            assertThat(server.ehloKeywords())
                    .containsExactly("8BITMIME", "SIZE 1000000", "PIPELINING", "CHUNKING", "SMTPUTF8");
        }
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().pipelining(false).start()) {
            assertThat(server.ehloKeywords()).containsExactly("8BITMIME", "CHUNKING", "SMTPUTF8");
        }
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().pipelining(false).maxMessageSize(1000).start()) {
            assertThat(server.ehloKeywords()).containsExactly("8BITMIME", "SIZE 1000", "CHUNKING", "SMTPUTF8");
        }
    }

    @ParameterizedTest(name = "pipelining={0}")
    @ValueSource(booleans = {true, false})
    void recordsMessageAndRejectsRecipient(boolean pipelining) throws Exception {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder()
                .pipelining(pipelining)
                .rejectRecipient("nobody@example.com", 550, "5.1.1 no such user")
                .rejectRecipient("Later@Example.com", 451, "4.2.1 try later")
                .start();
             Client client = new Client(server.port())) {
            assertThat(readReply(client).get(0)).startsWith("220 ");
            client.write("EHLO client.test\r\n");
            List<String> ehlo = readReply(client);
            assertThat(ehlo.contains("250-PIPELINING")).isEqualTo(pipelining);

            String[] commands = {
                "MAIL FROM:<sender@example.com>\r\n",
                "RCPT TO:<ok@example.com>\r\n",
                "RCPT TO:<nobody@example.com>\r\n",
                "RCPT TO:<later@example.com>\r\n",
                "RCPT TO:<second@example.com>\r\n",
                "DATA\r\n"};
            List<String> replies = new ArrayList<>();
            if (pipelining) {
                client.write(String.join("", commands)); // one write, one group
                for (int i = 0; i < commands.length; i++) {
                    replies.add(client.readLine());
                }
            } else {
                for (String command : commands) {
                    client.write(command);
                    replies.add(client.readLine());
                }
            }
            assertThat(replies.get(0)).startsWith("250");
            assertThat(replies.get(1)).startsWith("250");
            assertThat(replies.get(2)).isEqualTo("550 5.1.1 no such user");
            assertThat(replies.get(3)).isEqualTo("451 4.2.1 try later");
            assertThat(replies.get(4)).startsWith("250");
            assertThat(replies.get(5)).startsWith("354");

            // dot-stuffed content; with pipelining the next command follows the dot in the same write
            client.write("Subject: t\r\n\r\n..leading dot\r\nbody\r\n.\r\n" + (pipelining ? "QUIT\r\n" : ""));
            assertThat(client.readLine()).startsWith("250");
            if (!pipelining) {
                client.write("QUIT\r\n");
            }
            assertThat(client.readLine()).startsWith("221");

            List<ReceivedMessage> messages = server.awaitMessages(1, WAIT);
            assertThat(messages).hasSize(1);
            ReceivedMessage m = messages.get(0);
            assertThat(m.from()).isEqualTo("sender@example.com");
            assertThat(m.recipients()).containsExactly("ok@example.com", "second@example.com");
            assertThat(new String(m.data(), StandardCharsets.US_ASCII))
                    .isEqualTo("Subject: t\r\n\r\n.leading dot\r\nbody\r\n");
        }
    }

    @Test
    void dataAfterAllRecipientsRejectedIsRefused() throws Exception {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder()
                .rejectRecipient("nobody@example.com", 550, "5.1.1 no such user")
                .start();
             Client client = new Client(server.port())) {
            readReply(client);
            client.write("EHLO client.test\r\n");
            readReply(client);
            client.write("MAIL FROM:<>\r\nRCPT TO:<nobody@example.com>\r\nDATA\r\n");
            assertThat(client.readLine()).startsWith("250");
            assertThat(client.readLine()).isEqualTo("550 5.1.1 no such user");
            assertThat(client.readLine()).startsWith("503");
            client.write("RSET\r\nQUIT\r\n");
            assertThat(client.readLine()).startsWith("250");
            assertThat(client.readLine()).startsWith("221");
            assertThat(server.messages()).isEmpty();
        }
    }

    @Test
    void rejectDataRefusesAfterTheDot() throws Exception {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().rejectData(554, "5.7.1 spam").start();
             Client client = new Client(server.port())) {
            readReply(client);
            client.write("HELO client.test\r\n");
            readReply(client);
            client.write("MAIL FROM:<a@example.com>\r\n");
            client.readLine();
            client.write("RCPT TO:<b@example.com>\r\n");
            client.readLine();
            client.write("DATA\r\n");
            assertThat(client.readLine()).startsWith("354");
            client.write("x\r\n.\r\n");
            assertThat(client.readLine()).isEqualTo("554 5.7.1 spam");
            client.write("QUIT\r\n");
            client.readLine();
            assertThat(server.messages()).isEmpty();
        }
    }
}
