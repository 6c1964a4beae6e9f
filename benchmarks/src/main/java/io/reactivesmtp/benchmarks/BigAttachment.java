package io.reactivesmtp.benchmarks;

import io.reactivesmtp.mime.Attachment;
import io.reactivesmtp.mime.ComposedMessage;
import io.reactivesmtp.reactor.SmtpClient;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The composed-message heap check (issue 15): a message built by {@link ComposedMessage#builder()} with a text and
 * an HTML body and one big binary attachment from a {@link Path}, sent once through {@link SmtpClient} to a sink, to
 * show that the attachment is base64-encoded as it streams: run it with a small heap.
 * <pre>
 * java -Xmx64m -cp benchmarks/target/benchmarks.jar io.reactivesmtp.benchmarks.BigAttachment HOST PORT SIZE_MB [FILE]
 * attachment_mb=1024 message_bytes=... seconds=... mb_per_s=... peak_heap_mb=... peak_direct_mb=... ok=true
 * </pre>
 * The attachment (default {@code /tmp/reactive-smtp-attachment-SIZE_MBmb.bin}) is written first unless it already
 * exists with the right size: SIZE_MB x 1 MiB of pseudo-random bytes (one random MiB repeated). {@code message_bytes}
 * is the built message's size, known in advance and declared with SIZE when the server offers it (Postfix's smtp-sink
 * does not); {@code mb_per_s} counts those bytes. {@code peak_heap_mb} and {@code peak_direct_mb} are measured as
 * in {@link BigMessage}: the sum of the heap pools' peaks from just before the send (an upper bound), and the highest
 * direct memory in use sampled every 20 ms. Exits 0 with {@code ok=true} when the server accepted the message;
 * otherwise prints {@code ok=false} and the reason, and exits 1.
 */
public final class BigAttachment {

    private BigAttachment() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || args.length > 4) {
            System.err.println("usage: BigAttachment HOST PORT SIZE_MB [FILE]");
            System.exit(2);
            return;
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int sizeMb = Integer.parseInt(args[2]);
        Path file = Path.of(args.length == 4 ? args[3] : "/tmp/reactive-smtp-attachment-" + sizeMb + "mb.bin");
        ensureFile(file, sizeMb * 1024L * 1024L);

        SmtpClient client = BigMessage.client(host, port);
        String result;
        boolean ok = false;
        try {
            ComposedMessage message = ComposedMessage.builder()
                    .from("Benchmarks", "sender@example.com").to("rcpt01@example.com")
                    .subject("reactive-smtp composed message with a " + sizeMb + " MB attachment")
                    .text("The attachment is " + sizeMb + " MB.\n")
                    .html("<p>The attachment is " + sizeMb + " MB.</p>")
                    .attach(Attachment.of(file, "application/octet-stream"))
                    .build();
            long bytes = message.content().size().orElse(-1);
            BigMessage.Run run = BigMessage.Run.of(() -> client.send(message.envelope(), message.content()));
            ok = run.ok();
            result = String.format(Locale.ROOT, "attachment_mb=%d message_bytes=%d seconds=%.3f mb_per_s=%.1f "
                            + "peak_heap_mb=%.1f peak_direct_mb=%.1f max_heap_mb=%.0f ok=%s",
                    sizeMb, bytes, run.seconds(), bytes / 1048576.0 / run.seconds(), run.peakHeap() / 1048576.0,
                    run.peakDirect() / 1048576.0, Runtime.getRuntime().maxMemory() / 1048576.0, ok) + run.errorField();
        } finally {
            client.disposeLater().block(Duration.ofSeconds(10));
        }
        System.out.println(result);
        System.exit(ok ? 0 : 1);
    }

    /** Writes the attachment unless one of the right size is there (written to a temporary name, then moved). */
    static void ensureFile(Path file, long size) throws IOException {
        if (Files.isRegularFile(file) && Files.size(file) == size) {
            return;
        }
        byte[] block = new byte[1024 * 1024];
        new SplittableRandom(15).nextBytes(block);
        Path tmp = file.resolveSibling(file.getFileName() + ".part");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            for (long left = size; left > 0; left -= block.length) {
                out.write(block, 0, (int) Math.min(block.length, left));
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
}
