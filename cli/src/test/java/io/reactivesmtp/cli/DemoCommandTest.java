package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.testing.SubethaSmtpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** {@code reactive-smtp demo}, run in-process against SubEthaSMTP servers on 127.0.0.1. */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DemoCommandTest {

    /** The exit status and what the program printed. */
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(String text) {
        Object parsed = TestJson.parse(text);
        assertThat(parsed).as("top-level JSON value of %s", text).isInstanceOf(Map.class);
        return (Map<String, Object>) parsed;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> recipients(Map<String, Object> json) {
        assertThat(json.get("recipients")).isInstanceOf(List.class);
        return (List<Map<String, Object>>) json.get("recipients");
    }

    @Test
    void embeddedServerGivesAPartialDeliveryWithOneLinePerRecipient() {
        Run run = run("demo");

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.PARTIAL);
        assertThat(run.err()).as("stderr stays clean (logging at warn)").isEmpty();
        assertThat(run.out()).contains("embedded SubEthaSMTP on 127.0.0.1:").contains("PARTIAL");
        List<String> lines = run.out().lines().toList();
        assertThat(lines).filteredOn(l -> l.matches("\\s+alice@example\\.com\\s+ACCEPTED\\s+250\\s.*"))
                .hasSize(1);
        assertThat(lines).filteredOn(l -> l.matches("\\s+bob@example\\.com\\s+ACCEPTED\\s+250\\s.*"))
                .hasSize(1);
        assertThat(lines).filteredOn(
                        l -> l.matches("\\s+nobody@example\\.net\\s+PERMANENT_FAILURE\\s+550\\s+5\\.1\\.1\\s+no such user"))
                .hasSize(1);
        assertThat(lines).filteredOn(
                        l -> l.matches("\\s+busy@example\\.net\\s+TRANSIENT_FAILURE\\s+451\\s+4\\.2\\.1\\s+mailbox busy"))
                .hasSize(1);
        assertThat(run.out()).contains(
                "embedded server received 1 message", "from demo@example.com for alice@example.com, bob@example.com");
    }

    @Test
    void jsonOutputIsOneObjectWithEveryRecipient() {
        Run run = run("demo", "--json");

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.PARTIAL);
        assertThat(run.out()).contains("\"outcome\": \"PARTIAL\"", "\"error\": null",
                "\"enhancedStatus\": \"5.1.1\"", "\"code\": 451");
        Map<String, Object> json = json(run.out());
        assertThat(json).containsOnlyKeys("outcome", "server", "recipients", "error");
        assertThat(json.get("outcome")).isEqualTo("PARTIAL");
        assertThat((String) json.get("server")).matches("127\\.0\\.0\\.1:\\d+");
        assertThat(json.get("error")).isNull();
        List<Map<String, Object>> rcpts = recipients(json);
        assertThat(rcpts).extracting(r -> r.get("address")).containsExactly(
                "alice@example.com", "bob@example.com", "nobody@example.net", "busy@example.net");
        assertThat(rcpts).extracting(r -> r.get("accepted")).containsExactly(true, true, false, false);
        assertThat(rcpts).extracting(r -> r.get("code")).containsExactly(250L, 250L, 550L, 451L);
        assertThat(rcpts).extracting(r -> r.get("status")).containsExactly(
                "ACCEPTED", "ACCEPTED", "PERMANENT_FAILURE", "TRANSIENT_FAILURE");
        assertThat(rcpts).extracting(r -> r.get("enhancedStatus")).containsExactly(null, null, "5.1.1", "4.2.1");
        assertThat(rcpts.get(2).get("text")).isEqualTo("no such user");
    }

    @Test
    void jsonEscapesQuotesAndBackslashesInAddresses() {
        // A quoted local part with an escaped quote and a backslash: valid, and a JSON escaping test.
        String tricky = "\"john \\\"q\\\\ doe\"@example.com";
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().start()) {
            Run run = run("demo", "--json", "--server", "127.0.0.1:" + server.port(), "--to", tricky);

            assertThat(run.out()).contains("\"address\": \"\\\"john \\\\\\\"q\\\\\\\\ doe\\\"@example.com\"");
            Map<String, Object> json = json(run.out());
            assertThat(recipients(json)).extracting(r -> r.get("address")).containsExactly(tricky);
        }
    }

    @Test
    void addressWithCrLfIsAUsageErrorBeforeAnyConnection() {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().start()) {
            Run run = run("demo", "--server", "127.0.0.1:" + server.port(),
                    "--to", "alice@example.com", "--to", "a@b\r\nRCPT TO:<x@y>");

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(run.out()).isEmpty();
            assertThat(run.err().lines().toList()).hasSize(1);
            assertThat(run.err()).contains("--to", "\"a@b\\r\\nRCPT TO:<x@y>\"");
            assertThat(server.messages()).isEmpty();
        }
    }

    @Test
    void invalidAddressWithoutServerExitsBeforeStartingTheEmbeddedServer() {
        Run run = run("demo", "--from", "demo@example.com\u0000", "--json");

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.out()).as("no report, no server started").isEmpty();
        assertThat(run.err()).startsWith("reactive-smtp demo: --from: invalid mail address");
        assertThat(run.err().lines().toList()).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.0.0.1:", ":25", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:abc",
        "127.0.0.1:-1", "::1:25", "bad host:25"})
    void badServerIsAUsageError(String server) {
        Run run = run("demo", "--server", server);

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).startsWith("reactive-smtp demo: invalid server");
        assertThat(run.err().lines().toList()).hasSize(1);
    }

    @Test
    void serverThatAcceptsEveryoneGivesExitZero() {
        try (SubethaSmtpServer server = SubethaSmtpServer.builder().start()) {
            Run run = run("demo", "--server", "127.0.0.1:" + server.port(), "--from", "me@example.org");

            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(run.out()).contains("DELIVERED (4 of 4 recipients accepted)")
                    .contains("server:   127.0.0.1:" + server.port() + "\n")
                    .doesNotContain("embedded SubEthaSMTP");
            assertThat(server.messages()).hasSize(1);
            SubethaSmtpServer.ReceivedMessage m = server.messages().get(0);
            assertThat(m.from()).isEqualTo("me@example.org");
            assertThat(m.recipients()).containsExactlyElementsOf(DemoCommand.DEFAULT_TO);
            assertThat(m.dataAsString())
                    .startsWith("Date: ")
                    .contains("From: me@example.org\r\n", "Subject: Hello from reactive-smtp demo\r\n")
                    .containsPattern("Message-ID: <[0-9a-f-]{36}@example\\.org>\r\n")
                    .contains("\r\n.A line starting with a dot");
        }
    }

    @Test
    void closedPortIsAFailureWithTheErrorTypeInJson() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = socket.getLocalPort();
        }
        Run run = run("demo", "--json", "--server", "127.0.0.1:" + port, "--to", "alice@example.com");

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
        Map<String, Object> json = json(run.out());
        assertThat(json.get("outcome")).isEqualTo("FAILED");
        assertThat(json.get("server")).isEqualTo("127.0.0.1:" + port);
        assertThat(recipients(json)).isEmpty();
        assertThat(json.get("error")).isInstanceOf(Map.class);
        Map<?, ?> error = (Map<?, ?>) json.get("error");
        assertThat(error.get("type")).isEqualTo("SmtpConnectionException");
        assertThat((String) error.get("message")).contains("127.0.0.1:" + port);
    }

    @Test
    void closedPortInTextModeNamesTheError() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = socket.getLocalPort();
        }
        Run run = run("demo", "--server", "127.0.0.1:" + port);

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.out()).contains("outcome:  FAILED", "error:    SmtpConnectionException: ");
    }
}
