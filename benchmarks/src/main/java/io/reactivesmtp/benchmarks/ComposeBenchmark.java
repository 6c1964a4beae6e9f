package io.reactivesmtp.benchmarks;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.reactivesmtp.mime.Attachment;
import io.reactivesmtp.mime.ComposedMessage;
import io.reactivesmtp.mime.MessageBuilder;
import jakarta.activation.DataHandler;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.message.BodyPartBuilder;
import org.apache.james.mime4j.message.DefaultMessageWriter;
import org.apache.james.mime4j.message.MultipartBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Building a message and encoding it to its bytes, per operation, with three composers: this project's
 * {@link ComposedMessage#builder()} (its content drained chunk by chunk as a send pulls it), Jakarta Mail's
 * {@code MimeMessage} (Angus Mail 2.0, {@code writeTo}) and Apache James mime4j's DOM builder
 * ({@code DefaultMessageWriter}). Each writes From, To, Subject (non-ASCII), Date and Message-ID, and:
 * <ul>
 *   <li>{@code text1k}: a 1 KB text/plain body with a few non-ASCII letters (quoted-printable);</li>
 *   <li>{@code textHtml}: that text and a 2 KB HTML body as multipart/alternative;</li>
 *   <li>{@code attach1m}: the text and a 1 MiB binary attachment from a {@code byte[]} (base64), multipart/mixed.</li>
 * </ul>
 * The primary score is messages/s; the {@code bytes} counter is the encoded message's bytes/s. Compare the rows of
 * one run (ratios), not runs on different days.
 */
public class ComposeBenchmark extends JmhDefaults {

    @Param({"text1k", "textHtml", "attach1m"})
    public String kind;

    private static final String SUBJECT = "Grüße: your weekly report";
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    private String text;
    private String html;
    private byte[] attachment;
    private Session session;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        text = text(1024);
        html = "textHtml".equals(kind) ? "<html><body><p>" + text(2000).replace("\n", "</p>\n<p>") + "</p></body></html>"
                : null;
        if ("attach1m".equals(kind)) {
            attachment = new byte[1024 * 1024];
            new SplittableRandom(15).nextBytes(attachment);
        }
        Properties properties = new Properties();
        // Message-IDs from this address rather than from InetAddress.getLocalHost(), which may ask DNS.
        properties.setProperty("mail.from", "news@example.com");
        session = Session.getInstance(properties);
        // Each composer must produce a whole message: a broken one would measure nothing.
        long min = text.length() + (html == null ? 0 : html.length()) + (attachment == null ? 0 : attachment.length);
        for (long bytes : new long[] {reactiveSmtp(new ByteCounter()), jakartaMail(new ByteCounter()),
            mime4j(new ByteCounter())}) {
            if (bytes < min) {
                throw new IllegalStateException(kind + ": a composer wrote " + bytes + " bytes, less than its input");
            }
        }
    }

    @Benchmark
    public long reactiveSmtp(ByteCounter counter) throws Exception {
        MessageBuilder b = ComposedMessage.builder().from("News", "news@example.com").to("reader@example.org")
                .subject(SUBJECT).text(text);
        if (html != null) {
            b.html(html);
        }
        if (attachment != null) {
            b.attach(Attachment.of("report.bin", "application/octet-stream", attachment));
        }
        long bytes = ContentDrain.drain(b.build().content().open(), ALLOC, 10);
        counter.bytes += bytes;
        return bytes;
    }

    @Benchmark
    public long jakartaMail(ByteCounter counter) throws Exception {
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress("news@example.com", "News"));
        m.setRecipient(RecipientType.TO, new InternetAddress("reader@example.org"));
        m.setSubject(SUBJECT, "UTF-8");
        m.setSentDate(new Date());
        if (html == null && attachment == null) {
            m.setText(text, "UTF-8");
        } else {
            MimeMultipart multipart = new MimeMultipart(html != null ? "alternative" : "mixed");
            MimeBodyPart textPart = new MimeBodyPart();
            textPart.setText(text, "UTF-8");
            multipart.addBodyPart(textPart);
            if (html != null) {
                MimeBodyPart htmlPart = new MimeBodyPart();
                htmlPart.setText(html, "UTF-8", "html");
                multipart.addBodyPart(htmlPart);
            }
            if (attachment != null) {
                MimeBodyPart file = new MimeBodyPart();
                file.setDataHandler(new DataHandler(new ByteArrayDataSource(attachment, "application/octet-stream")));
                file.setFileName("report.bin");
                file.setDisposition("attachment");
                multipart.addBodyPart(file);
            }
            m.setContent(multipart);
        }
        m.saveChanges(); // Message-ID, Content-Transfer-Encoding: what a send does before writing
        Counting out = new Counting();
        m.writeTo(out);
        counter.bytes += out.count;
        return out.count;
    }

    @Benchmark
    public long mime4j(ByteCounter counter) throws Exception {
        Message.Builder m = Message.Builder.of().setFrom("News <news@example.com>").setTo("reader@example.org")
                .setSubject(SUBJECT).setDate(new Date()).generateMessageId("example.com");
        BodyPartBuilder textPart = BodyPartBuilder.create().setBody(text, "plain", StandardCharsets.UTF_8)
                .setContentTransferEncoding("quoted-printable");
        if (html == null && attachment == null) {
            m.setBody(text, "plain", StandardCharsets.UTF_8).setContentTransferEncoding("quoted-printable");
        } else {
            MultipartBuilder multipart = MultipartBuilder.create(html != null ? "alternative" : "mixed")
                    .addBodyPart(textPart);
            if (html != null) {
                multipart.addBodyPart(BodyPartBuilder.create().setBody(html, "html", StandardCharsets.UTF_8)
                        .setContentTransferEncoding("quoted-printable"));
            }
            if (attachment != null) {
                multipart.addBodyPart(BodyPartBuilder.create().setBody(attachment, "application/octet-stream")
                        .setContentTransferEncoding("base64").setContentDisposition("attachment", "report.bin"));
            }
            m.setBody(multipart.build());
        }
        Counting out = new Counting();
        new DefaultMessageWriter().writeMessage(m.build(), out);
        counter.bytes += out.count;
        return out.count;
    }

    /** Text of about {@code size} bytes: lines of words, a few non-ASCII letters. */
    static String text(int size) {
        String[] words = {"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "Grüße", "naïve", "café"};
        StringBuilder b = new StringBuilder(size + 16);
        SplittableRandom r = new SplittableRandom(1);
        int line = 0;
        while (b.length() < size) {
            String w = words[r.nextInt(words.length)];
            if (line + w.length() > 70) {
                b.append('\n');
                line = 0;
            }
            b.append(w).append(' ');
            line += w.length() + 1;
        }
        return b.append('\n').toString();
    }

    /** Counts the bytes written and keeps none of them. */
    private static final class Counting extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            count += len;
        }
    }
}
