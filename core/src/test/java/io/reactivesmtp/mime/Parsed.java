package io.reactivesmtp.mime;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.protocol.ContentReceiver;
import io.reactivesmtp.protocol.ContentSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.dom.Body;
import org.apache.james.mime4j.dom.Entity;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.dom.Multipart;
import org.apache.james.mime4j.dom.SingleBody;
import org.apache.james.mime4j.message.DefaultMessageBuilder;
import org.apache.james.mime4j.stream.MimeConfig;

/**
 * A built message read back: its bytes, and its leaf parts as two independent parsers decode them. Public for the
 * tests of other modules (cli, the interop tests), which need {@code apache-mime4j-dom} in their test scope.
 */
public final class Parsed {

    /**
     * A leaf part.
     *
     * @param type the MIME type, lower case
     * @param fileName the file name, or null
     * @param bytes the decoded content
     */
    public record Leaf(String type, String fileName, byte[] bytes) {
    }

    private Parsed() {
    }

    /** @return the content's bytes, pulled chunk by chunk as a send would (bounded waits) */
    public static byte[] bytes(MessageContent content) throws Exception {
        ContentSource source = content.open();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            for (int i = 0; i < 1_000_000; i++) {
                BlockingQueue<Object> answer = new LinkedBlockingQueue<>();
                source.next(PooledByteBufAllocator.DEFAULT, new ContentReceiver() {
                    @Override
                    public void onChunk(ByteBuf chunk) {
                        answer.add(chunk);
                    }

                    @Override
                    public void onEnd() {
                        answer.add("end");
                    }

                    @Override
                    public void onError(Throwable error) {
                        answer.add(error);
                    }
                });
                Object a = answer.poll(30, TimeUnit.SECONDS);
                if (a == null) {
                    throw new AssertionError("no answer within 30 s");
                } else if (a instanceof Throwable t) {
                    throw new AssertionError("content failed", t);
                } else if (a.equals("end")) {
                    return out.toByteArray();
                }
                ByteBuf chunk = (ByteBuf) a;
                try {
                    chunk.readBytes(out, chunk.readableBytes());
                } finally {
                    chunk.release();
                }
            }
            throw new AssertionError("content did not end");
        } finally {
            source.close();
        }
    }

    /** @return the message as mime4j's strict parser reads it */
    public static Message mime4j(byte[] message) throws IOException {
        DefaultMessageBuilder builder = new DefaultMessageBuilder();
        builder.setMimeEntityConfig(MimeConfig.STRICT);
        builder.setDecodeMonitor(DecodeMonitor.STRICT);
        return builder.parseMessage(new ByteArrayInputStream(message));
    }

    /** @return the leaves of the message as mime4j decodes them, depth first */
    public static List<Leaf> mime4jLeaves(byte[] message) throws IOException {
        List<Leaf> leaves = new ArrayList<>();
        collect(mime4j(message), leaves);
        return leaves;
    }

    private static void collect(Entity entity, List<Leaf> leaves) throws IOException {
        Body body = entity.getBody();
        if (body instanceof Multipart multipart) {
            for (Entity part : multipart.getBodyParts()) {
                collect(part, leaves);
            }
            return;
        }
        try (InputStream in = ((SingleBody) body).getInputStream()) {
            leaves.add(new Leaf(entity.getMimeType(), entity.getFilename(), in.readAllBytes()));
        }
    }

    /** Python's email package, default policy, raising on any defect; prints one tab-separated line per item. */
    private static final String PYTHON = String.join("\n",
            "import sys, base64, email, email.policy",
            "policy = email.policy.default.clone(raise_on_defect=True)",
            "m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy)",
            "b = lambda s: base64.b64encode(s if isinstance(s, bytes) else s.encode()).decode()",
            "if m.defects: raise SystemExit('defects: %r' % m.defects)",
            "for k in ('From', 'To', 'Cc', 'Bcc', 'Subject', 'Sender', 'Reply-To', 'Message-ID'):",
            "    if m[k] is not None: print('H', k.lower(), b(str(m[k])), sep='\\t')",
            "for p in m.walk():",
            "    if p.defects: raise SystemExit('defects: %r' % p.defects)",
            "    if p.is_multipart(): continue",
            "    f = p.get_filename()",
            "    print('L', p.get_content_type(), '-' if f is None else b(f), b(p.get_payload(decode=True)), sep='\\t')");

    /**
     * What Python's email package reads.
     *
     * @param headers decoded header values by lower-case name
     * @param leaves the leaf parts, decoded
     */
    public record Python(Map<String, String> headers, List<Leaf> leaves) {
    }

    /** @return what Python's email package reads, with the strict default policy */
    public static Python python(byte[] message) throws Exception {
        Process p = new ProcessBuilder("python3", "-c", PYTHON).start();
        try {
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
                try {
                    return p.getErrorStream().readAllBytes();
                } catch (IOException e) {
                    return new byte[0];
                }
            });
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
                try {
                    return p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    return new byte[0];
                }
            });
            try (var in = p.getOutputStream()) {
                in.write(message);
            }
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("python3 ended").isTrue();
            assertThat(p.exitValue()).as("python3: " + new String(err.get(10, TimeUnit.SECONDS),
                    StandardCharsets.UTF_8)).isZero();
            Map<String, String> headers = new HashMap<>();
            List<Leaf> leaves = new ArrayList<>();
            Base64.Decoder b64 = Base64.getDecoder();
            for (String line : new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII).split("\n")) {
                String[] f = line.split("\t", -1);
                if (f[0].equals("H")) {
                    headers.put(f[1], new String(b64.decode(f[2]), StandardCharsets.UTF_8));
                } else if (f[0].equals("L")) {
                    leaves.add(new Leaf(f[1], f[2].equals("-") ? null
                            : new String(b64.decode(f[2]), StandardCharsets.UTF_8), b64.decode(f[3])));
                }
            }
            return new Python(headers, leaves);
        } finally {
            p.destroyForcibly();
        }
    }

    /** @return a publisher of the bytes in chunks, honouring demand, new for each subscription */
    public static Flow.Publisher<ByteBuf> publisher(byte[] bytes, int chunk) {
        return subscriber -> subscriber.onSubscribe(new Flow.Subscription() {
            private final AtomicLong requested = new AtomicLong();
            private int position;
            private boolean done;
            private boolean emitting;

            @Override
            public synchronized void request(long n) {
                requested.addAndGet(n);
                if (emitting) {
                    return;
                }
                emitting = true;
                while (!done && requested.get() > 0) {
                    if (position == bytes.length) {
                        done = true;
                        subscriber.onComplete();
                        break;
                    }
                    int length = Math.min(chunk, bytes.length - position);
                    requested.decrementAndGet();
                    ByteBuf buf = Unpooled.copiedBuffer(bytes, position, length);
                    position += length;
                    subscriber.onNext(buf);
                }
                emitting = false;
            }

            @Override
            public synchronized void cancel() {
                done = true;
            }
        });
    }
}
