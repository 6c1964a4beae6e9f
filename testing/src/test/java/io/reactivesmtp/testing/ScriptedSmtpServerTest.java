package io.reactivesmtp.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.testing.Script;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ScriptedSmtpServerTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /** A blocking line client with bounded reads. */
    static final class Client implements AutoCloseable {
        final Socket socket = new Socket();
        final InputStream in;
        final OutputStream out;

        Client(int port) throws IOException {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(5000);
            socket.setTcpNoDelay(true);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        String readLine() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int prev = -1;
            while (true) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("EOF after \"" + line + "\"");
                }
                if (prev == '\r' && b == '\n') {
                    byte[] bytes = line.toByteArray();
                    return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
                }
                line.write(b);
                prev = b;
            }
        }

        void write(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void happyPath() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .send("220 mx.test ESMTP")
                .expect("EHLO client.test").send("250-mx.test", "250 PIPELINING")
                .expect("MAIL FROM:<a@b.test>").send("250 2.1.0 ok")
                .expectMatching("RCPT TO:<.*>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 2.0.0 queued")
                .expect("QUIT").send("221 bye")
                .close());
             Client client = new Client(server.port())) {
            assertThat(client.readLine()).isEqualTo("220 mx.test ESMTP");
            client.write("EHLO client.test\r\n");
            assertThat(client.readLine()).isEqualTo("250-mx.test");
            assertThat(client.readLine()).isEqualTo("250 PIPELINING");
            // pipelined group in one write
            client.write("MAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\nDATA\r\n");
            assertThat(client.readLine()).isEqualTo("250 2.1.0 ok");
            assertThat(client.readLine()).isEqualTo("250 ok");
            assertThat(client.readLine()).isEqualTo("354 go");
            client.write("Subject: hi\r\n\r\n..dot\r\n.\r\nQUIT\r\n");
            assertThat(client.readLine()).isEqualTo("250 2.0.0 queued");
            assertThat(client.readLine()).isEqualTo("221 bye");
            assertThat(client.in.read()).isEqualTo(-1);

            server.awaitScriptDone(WAIT);
            server.awaitConnectionClosed(WAIT);
            assertThat(server.connectionCount()).isEqualTo(1);
            assertThat(server.dataReceived(0)).isEqualTo("Subject: hi\r\n\r\n..dot\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(server.messageReceived(0)).isEqualTo("Subject: hi\r\n\r\n.dot\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(server.linesReceived(0)).containsExactly(
                    "EHLO client.test", "MAIL FROM:<a@b.test>", "RCPT TO:<x@y.test>", "DATA", "QUIT");
            assertThat(server.transcript())
                    .contains("[0] S: 220 mx.test ESMTP", "[0] C: EHLO client.test", "[0] C: ..dot\\r\\n")
                    .contains("[0] * script done");
            assertThat(server.failures()).isEmpty();
        }
    }

    @Test
    void mismatchIsRepliedWith500AndReported() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .send("220 mx.test")
                .expect("EHLO client.test").send("250 ok"));
             Client client = new Client(server.port())) {
            client.readLine();
            client.write("HELO client.test\r\nNOOP\r\n");
            assertThat(client.readLine()).isEqualTo("500 5.5.1 unexpected");
            assertThat(client.readLine()).isEqualTo("500 5.5.1 unexpected");
            assertThatThrownBy(() -> server.awaitScriptDone(WAIT))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("expected \"EHLO client.test\", but got \"HELO client.test\"")
                    .hasMessageContaining("Transcript:")
                    .hasMessageContaining("[0] C: HELO client.test");
        }
    }

    @Test
    void extraLineAfterTheScriptEndedIsAFailure() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create().send("220 mx.test"));
             Client client = new Client(server.port())) {
            client.readLine();
            client.write("NOOP\r\n");
            assertThat(client.readLine()).isEqualTo("500 5.5.1 unexpected");
            assertThatThrownBy(() -> server.awaitScriptDone(WAIT))
                    .hasMessageContaining("unexpected input after the script ended: \"NOOP\"");
        }
    }

    @Test
    void bareLfIsAFailure() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .send("220 mx.test").expect("EHLO a").send("250 ok"));
             Client client = new Client(server.port())) {
            client.readLine();
            client.write("EHLO a\n");
            assertThat(client.readLine()).isEqualTo("500 5.5.1 unexpected");
            assertThatThrownBy(() -> server.awaitScriptDone(WAIT)).hasMessageContaining("bare LF");
        }
    }

    @Test
    void unmetExpectationTimesOutWithPosition() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .send("220 mx.test").expect("EHLO a").send("250 ok"));
             Client client = new Client(server.port())) {
            client.readLine();
            assertThatThrownBy(() -> server.awaitScriptDone(Duration.ofMillis(200)))
                    .hasMessageContaining("Script not done within PT0.2S")
                    .hasMessageContaining("[0] waiting at step 1 (expected \"EHLO a\")");
        }
    }

    @Test
    void clientClosingEarlyIsAFailure() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .send("220 mx.test").expect("EHLO a").send("250 ok"))) {
            try (Client client = new Client(server.port())) {
                client.readLine();
            }
            assertThatThrownBy(() -> server.awaitScriptDone(WAIT))
                    .hasMessageContaining("connection closed by the client before the script ended, at step 1");
        }
    }

    @Test
    void holdAndReleaseDeliverAllRepliesInOneWrite() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .send("220 mx.test")
                .holdReplies()
                .expect("MAIL FROM:<a@b.test>").send("250 ok 1")
                .repeat(3, s -> s.expectMatching("RCPT TO:<r[0-9]@b\\.test>").send("250 ok rcpt"))
                .expect("DATA").send("354 go")
                .releaseReplies()
                .expectData().send("250 queued")
                .close());
             Client client = new Client(server.port())) {
            client.readLine();
            client.write("MAIL FROM:<a@b.test>\r\nRCPT TO:<r1@b.test>\r\nRCPT TO:<r2@b.test>\r\n");
            client.write("RCPT TO:<r3@b.test>\r\nDATA\r\n");
            String expected = "250 ok 1\r\n250 ok rcpt\r\n250 ok rcpt\r\n250 ok rcpt\r\n354 go\r\n";
            byte[] buf = new byte[4096];
            int n = client.in.read(buf); // one read gets everything: it was written at once
            assertThat(new String(buf, 0, n, StandardCharsets.US_ASCII)).isEqualTo(expected);
            client.write(".\r\n");
            assertThat(client.readLine()).isEqualTo("250 queued");
            server.awaitScriptDone(WAIT);
            assertThat(server.dataReceived(0)).isEqualTo(".\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(server.messageReceived(0)).isEmpty();
            assertThat(server.transcript()).contains("releasing " + expected.length() + " held byte(s) in one write");
        }
    }

    @Test
    void expectDataRecordsExactBytesAcrossSegments() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .send("220 mx.test")
                .expect("DATA").send("354 go")
                .expectData().send("250 one")
                .expect("DATA").send("354 go")
                .expectData().send("250 two")
                .expect("QUIT").send("221 bye")
                .close());
             Client client = new Client(server.port())) {
            client.readLine();
            client.write("DATA\r\n");
            client.readLine();
            // terminator split across writes, a bare LF and a lone dot line inside (stuffed)
            client.write("a\nb\r\n..\r\n\r");
            Thread.sleep(20);
            client.write("\n.");
            Thread.sleep(20);
            client.write("\r\nDATA\r\n");
            assertThat(client.readLine()).isEqualTo("250 one");
            assertThat(client.readLine()).isEqualTo("354 go");
            client.write(".\r\nQUIT\r\n");
            assertThat(client.readLine()).isEqualTo("250 two");
            assertThat(client.readLine()).isEqualTo("221 bye");
            server.awaitScriptDone(WAIT);
            assertThat(server.dataCount()).isEqualTo(2);
            assertThat(new String(server.dataReceived(0), StandardCharsets.US_ASCII)).isEqualTo("a\nb\r\n..\r\n\r\n.\r\n");
            assertThat(new String(server.messageReceived(0), StandardCharsets.US_ASCII)).isEqualTo("a\nb\r\n.\r\n\r\n");
            assertThat(server.dataReceived(1)).isEqualTo(".\r\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Test
    void expectBdatReadsTheChunk() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .send("220 mx.test")
                .expectBdat().send("250 chunk")
                .expectBdat().send("250 last")
                .close());
             Client client = new Client(server.port())) {
            client.readLine();
            client.write("BDAT 5\r\nab\r\nc");
            assertThat(client.readLine()).isEqualTo("250 chunk");
            client.write("BDAT 3 LAST\r\n.\r\n");
            assertThat(client.readLine()).isEqualTo("250 last");
            server.awaitScriptDone(WAIT);
            assertThat(server.dataReceived(0)).isEqualTo("ab\r\nc".getBytes(StandardCharsets.US_ASCII));
            assertThat(server.dataReceived(1)).isEqualTo(".\r\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Test
    void expectNothingPassesWhenTheClientIsSilent() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .send("220 mx.test")
                .expectNothing(Duration.ofMillis(150))
                .send("250 quiet")
                .expect("QUIT").send("221 bye"));
             Client client = new Client(server.port())) {
            client.readLine();
            long start = System.nanoTime();
            assertThat(client.readLine()).isEqualTo("250 quiet");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(100));
            client.write("QUIT\r\n");
            client.readLine();
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void expectNothingFailsWhenTheClientSends() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .send("220 mx.test")
                .expectNothing(Duration.ofSeconds(2))
                .send("250 never"));
             Client client = new Client(server.port())) {
            client.readLine();
            client.write("secret content\r\n");
            assertThat(client.readLine()).isEqualTo("500 5.5.1 unexpected");
            assertThatThrownBy(() -> server.awaitScriptDone(WAIT))
                    .hasMessageContaining("expectNothing for PT2S, but the client sent \"secret content\\r\\n\"");
        }
    }

    @Test
    void closeStepClosesTheConnection() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create().send("421 4.3.2 bye").close());
             Client client = new Client(server.port())) {
            assertThat(client.readLine()).isEqualTo("421 4.3.2 bye");
            assertThat(client.in.read()).isEqualTo(-1);
            server.awaitConnectionClosed(WAIT);
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void expectCloseIsMetWhenTheClientCloses() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .send("220 mx.test").expectClose(WAIT))) {
            try (Client client = new Client(server.port())) {
                client.readLine();
            }
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void expectCloseFailsWhenTheClientStays() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .send("220 mx.test").expectClose(Duration.ofMillis(100)));
             Client client = new Client(server.port())) {
            client.readLine();
            assertThatThrownBy(() -> server.awaitScriptDone(WAIT))
                    .hasMessageContaining("but the connection is still open");
            assertThat(client.in.read()).isEqualTo(-1); // and the server closed it
        }
    }

    @Test
    void delayAndOneBytePerSegment() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .delay(Duration.ofMillis(150))
                .sendOneBytePerSegment("220 slow")
                .sendRaw("250-a\r\n250 b\r\n".getBytes(StandardCharsets.US_ASCII))
                .ignoreRest());
             Client client = new Client(server.port())) {
            long start = System.nanoTime();
            byte[] buf = new byte[64];
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            int reads = 0;
            while (got.size() < "220 slow\r\n".length()) {
                int n = client.in.read(buf, 0, "220 slow\r\n".length() - got.size());
                assertThat(n).isPositive();
                got.write(buf, 0, n);
                reads++;
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(140));
            assertThat(got.toString(StandardCharsets.US_ASCII)).isEqualTo("220 slow\r\n");
            assertThat(reads).isGreaterThan(1);
            assertThat(client.readLine()).isEqualTo("250-a");
            assertThat(client.readLine()).isEqualTo("250 b");
            client.write("QUIT\r\n"); // ignored
            server.awaitScriptDone(WAIT);
            assertThat(server.failures()).isEmpty();
        }
    }

    @Test
    void everyConnectionRunsTheScriptFromTheStart() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .send("220 mx.test")
                .expect("DATA").send("354 go")
                .expectData().send("250 ok")
                .expect("QUIT").send("221 bye").close())) {
            for (int i = 0; i < 2; i++) {
                try (Client client = new Client(server.port())) {
                    client.readLine();
                    client.write("DATA\r\n");
                    client.readLine();
                    client.write("m" + i + "\r\n.\r\nQUIT\r\n");
                    assertThat(client.readLine()).isEqualTo("250 ok");
                    assertThat(client.readLine()).isEqualTo("221 bye");
                    assertThat(client.in.read()).isEqualTo(-1);
                }
            }
            server.awaitScriptDone(2, WAIT);
            assertThat(server.connectionCount()).isEqualTo(2);
            assertThat(new String(server.dataReceived(1), StandardCharsets.US_ASCII)).isEqualTo("m1\r\n.\r\n");
            assertThat(server.linesReceived(1)).containsExactly("DATA", "QUIT");
        }
    }

    @Test
    void manyPipelinedLines() throws Exception {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .send("220 mx.test")
                .expectLines(1000, "RCPT TO:<r[0-9]+@b\\.test>")
                .send("250 all")
                .close());
             Client client = new Client(server.port())) {
            client.readLine();
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 1000; i++) {
                sb.append("RCPT TO:<r").append(i).append("@b.test>\r\n");
            }
            client.write(sb.toString());
            assertThat(client.readLine()).isEqualTo("250 all");
            server.awaitScriptDone(WAIT);
            assertThat(server.linesReceived(0)).hasSize(1000);
        }
    }

    private static SslContext tlsContext;

    /** One self-signed EC certificate for the TLS tests (EC: key generation is fast). */
    private static synchronized SslContext serverTlsContext() {
        if (tlsContext == null) {
            try {
                SelfSignedCertificate cert = new SelfSignedCertificate("mx.test", "EC", 256);
                tlsContext = SslContextBuilder.forServer(cert.certificate(), cert.privateKey()).build();
            } catch (Exception | LinkageError e) {
                Assumptions.abort("no self-signed certificate generator available: " + e);
            }
        }
        return tlsContext;
    }

    @Test
    void startTlsUpgradesTheConnection() throws Exception {
        SslContext serverContext = serverTlsContext();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .send("220 mx.test")
                .expect("STARTTLS").send("220 2.0.0 ready")
                .startTls(serverContext)
                .expect("EHLO client.test").send("250 secure")
                .close());
             Client client = new Client(server.port())) {
            client.readLine();
            client.write("STARTTLS\r\n");
            assertThat(client.readLine()).isEqualTo("220 2.0.0 ready");
            SSLContext trustAll = SSLContext.getInstance("TLS");
            trustAll.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            try (SSLSocket tls = (SSLSocket) trustAll.getSocketFactory()
                    .createSocket(client.socket, "127.0.0.1", server.port(), true)) {
                tls.setUseClientMode(true);
                tls.startHandshake();
                tls.getOutputStream().write("EHLO client.test\r\n".getBytes(StandardCharsets.US_ASCII));
                tls.getOutputStream().flush();
                byte[] buf = new byte[64];
                int n = tls.getInputStream().read(buf);
                assertThat(new String(buf, 0, n, StandardCharsets.US_ASCII)).isEqualTo("250 secure\r\n");
            }
            server.awaitScriptDone(WAIT);
            assertThat(server.transcript()).contains("TLS established");
        }
    }

    @Test
    void plaintextBehindStartTlsIsAFailure() throws Exception {
        SslContext serverContext = serverTlsContext();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create()
                .send("220 mx.test")
                .expect("STARTTLS").send("220 2.0.0 ready")
                .startTls(serverContext)
                .expect("EHLO client.test").send("250 secure"));
             Client client = new Client(server.port())) {
            client.readLine();
            client.write("STARTTLS\r\nEHLO client.test\r\n");
            assertThat(client.readLine()).isEqualTo("220 2.0.0 ready");
            assertThatThrownBy(() -> server.awaitScriptDone(WAIT))
                    .hasMessageContaining("byte(s) before the TLS handshake");
        }
    }

    @Test
    void malformedScriptsAreRejected() {
        assertThatThrownBy(() -> ScriptedSmtpServer.start(Script.create().close().send("250 x")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ScriptedSmtpServer.start(Script.create().holdReplies().send("250 x")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Script.create().send("250 a\r\n250 b"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
