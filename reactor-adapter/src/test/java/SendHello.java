import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.mime.Attachment;
import io.reactivesmtp.mime.ComposedMessage;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

public class SendHello {

    public static void main(String[] args) {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 2525;
        SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                .relay("127.0.0.1", port)
                .session(SmtpSessionOptions.builder()
                        .tls(TlsPolicy.NONE)   // a relay on this machine; the default is REQUIRED (STARTTLS, verified)
                        .build())
                .build());
        try {
            ComposedMessage message = ComposedMessage.builder()
                    .from("Example News", "sender@example.com")
                    .to("alice@example.com", "nobody@example.net")   // the envelope: To, Cc and Bcc
                    .subject("Grüße, Alice")                         // RFC 2047 encoded words
                    .text("Hi Alice!\nThe report is attached.\n")
                    .html("<p>Hi Alice!</p><p>The report is attached.</p>")
                    .attach(Attachment.of("report.csv", "text/csv",
                            "week,sent\n48,1200\n".getBytes(StandardCharsets.UTF_8)))   // or a Path, a Publisher
                    .listUnsubscribe("https://example.com/unsubscribe?u=alice", "mailto:unsubscribe@example.com")
                    .build();                                        // Date and Message-ID generated

            SendReport report = client.send(message.envelope(), message.content())   // cold: nothing sent yet
                    .block(Duration.ofSeconds(30));

            System.out.println(report.outcome());
            for (RecipientResult r : report.recipients()) {
                System.out.println(r.address() + " " + r.status() + " " + r.code() + " " + r.text());
            }
        } finally {
            client.disposeLater().block(Duration.ofSeconds(10));   // QUIT on the pooled session
        }
    }
}
