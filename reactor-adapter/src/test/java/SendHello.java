import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
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
            Envelope envelope = Envelope.of("sender@example.com", "alice@example.com", "nobody@example.net");
            MessageContent content = MessageContent.of(
                    "From: sender@example.com\r\n"
                    + "To: alice@example.com\r\n"
                    + "Subject: Hello\r\n"
                    + "\r\n"
                    + "Hi Alice!\r\n");

            SendReport report = client.send(envelope, content)   // cold: nothing is sent before subscription
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
