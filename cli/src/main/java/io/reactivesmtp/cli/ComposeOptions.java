package io.reactivesmtp.cli;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.mime.Attachment;
import io.reactivesmtp.mime.ComposedMessage;
import io.reactivesmtp.mime.MessageBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * The options that compose the message instead of reading it whole from {@code --body}: a subject, a text and an HTML
 * body, attachments and one-click unsubscribe, built by core's {@link MessageBuilder} and streamed at send time (the
 * files are never read whole). The envelope stays the command's own (--from, --to; for {@code bulk}, each message's
 * recipients), and each message gets its own Message-ID and Date.
 */
final class ComposeOptions {

    @Option(names = "--subject", paramLabel = "TEXT", description = "Compose the message: its Subject (any Unicode).")
    private String subject;

    @Option(names = "--text", paramLabel = "FILE", description = "Compose the message: its text/plain body (UTF-8).")
    private Path text;

    @Option(names = "--html", paramLabel = "FILE", description = "Compose the message: its text/html body (UTF-8).")
    private Path html;

    @Option(names = "--attach", paramLabel = "FILE", description = "Compose the message: attach FILE; repeatable.")
    private List<Path> attach = new ArrayList<>();

    @Option(names = "--list-unsubscribe", paramLabel = "URI", description = "Compose the message: one-click "
            + "unsubscribe (RFC 8058) to this https URI, plus a mailto: URI if given twice.")
    private List<String> listUnsubscribe = new ArrayList<>();

    /** @return whether any compose option was given */
    boolean composes() {
        return subject != null || text != null || html != null || !attach.isEmpty() || !listUnsubscribe.isEmpty();
    }

    /**
     * Builds the message for the command's envelope.
     *
     * @param envelope the command's envelope: its sender is From, its recipients To
     * @return the streamed content
     * @throws IllegalArgumentException naming the option if a file is unreadable or a value is refused
     */
    MessageContent content(Envelope envelope) {
        return build(envelope, attachments()).content();
    }

    /**
     * Checks every option now, by building one message to the sender, and returns what builds each message of a
     * run: its own To (the envelope's recipients), Message-ID and Date, the files streamed at its send. The
     * attachments' files are checked once here, the body files again at each build.
     *
     * @param sender the run's sender, its From
     * @return builds the content for an envelope; a file gone since throws naming the option
     * @throws IllegalArgumentException naming the option if a file is unreadable or a value is refused
     */
    Function<Envelope, MessageContent> composer(MailAddress sender) {
        List<Attachment> files = attachments();
        build(Envelope.builder().from(sender).to(List.of(sender)).build(), files);
        return envelope -> build(envelope, files).content();
    }

    private ComposedMessage build(Envelope envelope, List<Attachment> files) {
        MessageBuilder b = ComposedMessage.builder().envelope(envelope);
        MailAddress sender = envelope.sender().orElseThrow(() -> new IllegalArgumentException(
                "--from: composing a message needs a sender for its From field"));
        b.from(sender.toString());
        for (MailAddress r : envelope.recipients()) {
            b.to(r.toString());
        }
        b.smtpUtf8(envelope.requiresSmtpUtf8());
        if (subject != null) {
            option("--subject", () -> b.subject(subject));
        }
        if (text != null) {
            option("--text", () -> b.text(text));
        }
        if (html != null) {
            option("--html", () -> b.html(html));
        }
        files.forEach(b::attach);
        if (listUnsubscribe.size() > 2) {
            throw new IllegalArgumentException("--list-unsubscribe: give at most an https and a mailto: URI");
        }
        String https = listUnsubscribe.stream().filter(u -> !u.startsWith("mailto:")).findFirst().orElse(null);
        String mailto = listUnsubscribe.stream().filter(u -> u.startsWith("mailto:")).findFirst().orElse(null);
        if (!listUnsubscribe.isEmpty()) {
            option("--list-unsubscribe", () -> b.listUnsubscribe(https, mailto));
        }
        return b.build();
    }

    private List<Attachment> attachments() {
        List<Attachment> files = new ArrayList<>();
        for (Path file : attach) {
            option("--attach", () -> files.add(Attachment.of(file, contentType(file))));
        }
        return List.copyOf(files);
    }

    private static void option(String name, Runnable apply) {
        try {
            apply.run();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + ReportPrinter.oneLine(e.getMessage()), e);
        }
    }

    /** The type the platform knows for the file's name, or application/octet-stream. */
    private static String contentType(Path file) {
        try {
            String type = Files.probeContentType(file);
            return type != null && type.matches("[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+") ? type
                    : "application/octet-stream";
        } catch (IOException e) {
            return "application/octet-stream"; // the type is a hint; the file's readability was checked already
        }
    }
}
