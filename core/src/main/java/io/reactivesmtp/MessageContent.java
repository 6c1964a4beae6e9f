package io.reactivesmtp;

import io.netty.buffer.ByteBuf;
import io.reactivesmtp.dkim.DkimSigner;
import io.reactivesmtp.dkim.DkimStreamSigner;
import io.reactivesmtp.internal.ByteScan;
import io.reactivesmtp.internal.content.ArraySource;
import io.reactivesmtp.internal.content.BufSource;
import io.reactivesmtp.internal.content.ContentOpener;
import io.reactivesmtp.internal.content.ContentThreads;
import io.reactivesmtp.internal.content.FileSource;
import io.reactivesmtp.internal.content.PublisherSource;
import io.reactivesmtp.internal.content.SignedSource;
import io.reactivesmtp.protocol.ContentSource;
import java.io.IOException;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.Flow;
import java.util.function.Supplier;

/**
 * The content of one message: its RFC 5322 bytes, header and body, kept apart from the envelope (who
 * receives it is decided by the envelope only, never by {@code To:}/{@code Cc:} headers).
 *
 * <p>Content is a stream: the protocol engine pulls it chunk by chunk through {@link #open()}, normalises
 * line endings, dot-stuffs and terminates it while it goes out, so a large message is never held in memory
 * twice and a file is never held in memory at all. The same {@code MessageContent} may be sent any number of
 * times (retries, several destinations); each send opens its own stream.
 *
 * <p>Line endings in the content may be CRLF, LF or CR: they are sent as CRLF.
 */
public final class MessageContent {

    /** What the content is read from: decides how a signed send reads it twice. */
    private enum Kind { ARRAY, BUFFER, FILE, PUBLISHER }

    private final Kind kind;
    private final ContentOpener opener;
    private final OptionalLong size;
    private final Supplier<BodyType> bodyType;
    private final String description;
    /** The message bytes when {@link Kind#ARRAY}: a signature is checked against them at once. */
    private final byte[] bytes;
    /** Without signatures: what {@link #signedWith} adds signers to. */
    private final MessageContent unsigned;
    private final List<DkimSigner> signers;

    private MessageContent(Kind kind, ContentOpener opener, OptionalLong size, Supplier<BodyType> bodyType,
            String description, byte[] bytes, MessageContent unsigned, List<DkimSigner> signers) {
        this.kind = kind;
        this.opener = opener;
        this.size = size;
        this.bodyType = bodyType;
        this.description = description;
        this.bytes = bytes;
        this.unsigned = unsigned;
        this.signers = signers;
    }

    private static MessageContent plain(Kind kind, ContentOpener opener, OptionalLong size, Supplier<BodyType> type,
            String description, byte[] bytes) {
        return new MessageContent(kind, opener, size, type, description, bytes, null, List.of());
    }

    /**
     * Content from a byte array, sent as it is (wrapped, not copied, because bulk senders pass big arrays).
     *
     * @param bytes the message bytes; must not be changed while any send of this content is in progress
     * @return the content
     */
    public static MessageContent of(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return ofArray("bytes", bytes);
    }

    /**
     * Content from text, encoded as UTF-8 (announce 8BITMIME or SMTPUTF8 in the envelope if it is not ASCII).
     *
     * @param text the message, headers and body
     * @return the content
     */
    public static MessageContent of(String text) {
        Objects.requireNonNull(text, "text");
        return ofArray("string", text.getBytes(StandardCharsets.UTF_8));
    }

    private static MessageContent ofArray(String what, byte[] bytes) {
        return plain(Kind.ARRAY, () -> new ArraySource(bytes), OptionalLong.of(bytes.length),
                new ScannedOnce(bytes), "MessageContent[" + what + ", " + bytes.length + " bytes]", bytes);
    }

    /**
     * Content from a buffer's readable bytes at the time of this call. The caller keeps ownership: the
     * content reads retained slices, never moves the buffer's reader index, and each send reads it again.
     * The caller must not release the buffer, nor change those bytes, until it no longer sends this content;
     * a send in progress holds its own reference, so releasing during a send is safe for that send.
     *
     * @param buf the message bytes
     * @return the content
     */
    public static MessageContent of(ByteBuf buf) {
        Objects.requireNonNull(buf, "buf");
        int index = buf.readerIndex();
        int length = buf.readableBytes();
        return plain(Kind.BUFFER, () -> BufSource.open(buf, index, length), OptionalLong.of(length),
                // Scanned at each call: the caller owns the buffer, and a released one cannot be read.
                () -> {
                    if (buf.refCnt() == 0) {
                        return BodyType.UNKNOWN;
                    }
                    return ByteScan.hasEightBit(buf, index, index + length) ? BodyType.EIGHT_BIT : BodyType.SEVEN_BIT;
                }, "MessageContent[ByteBuf, " + length + " bytes]", null);
    }

    /**
     * Content streamed from a file, never read whole into memory. The file is opened for each send, on a thread
     * of its own (opening can block on a slow disk or NFS), and read in 64 KiB chunks with an
     * {@link AsynchronousFileChannel}, so no event-loop thread waits on the disk. A file that cannot be opened
     * at send time (deleted, no permission) fails that send with an {@link SmtpContentException} naming it.
     * Each send sends the file's bytes as they are when it opens the file; a file that shrinks during the
     * send fails that send rather than sending a truncated message.
     *
     * @param file a readable regular file
     * @return the content
     * @throws IllegalArgumentException if the file is not a readable regular file now (checked eagerly so
     *                                  the mistake shows where the content is built, not in a send report)
     */
    public static MessageContent of(Path file) {
        Objects.requireNonNull(file, "file");
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException("Message content file is not a readable regular file: " + file);
        }
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read the size of message content file " + file, e);
        }
        return plain(Kind.FILE, () -> new FileSource(file, ContentThreads.fileOpens()), OptionalLong.of(size),
                () -> BodyType.UNKNOWN, "MessageContent[file " + file + ", " + size + " bytes]", null);
    }

    /**
     * Content from a publisher of buffers. Each send subscribes anew and requests one buffer at a time, as
     * fast as the connection takes them. The buffers it emits belong to the client, which releases them.
     * A publisher error fails the send with an {@link SmtpContentException} and the partial message is
     * discarded by the server (no final dot is sent).
     *
     * @param publisher emits the message bytes in order; must support a new subscription per send
     * @return the content, of unknown size
     */
    public static MessageContent of(Flow.Publisher<? extends ByteBuf> publisher) {
        Objects.requireNonNull(publisher, "publisher");
        return plain(Kind.PUBLISHER, () -> new PublisherSource(publisher), OptionalLong.empty(),
                () -> BodyType.UNKNOWN, "MessageContent[publisher, size unknown]", null);
    }

    /**
     * Content that a composer streams from sources of its own making, such as the message builder of
     * {@link io.reactivesmtp.mime}: each send calls {@code opener} for a fresh pass and closes what it returns.
     *
     * @param opener returns a new source positioned at the first byte, doing no I/O before its first {@code next}
     * @param bodyType what the composer knows of the bytes
     * @param reopenable true if the opener may be called twice for one send (DKIM hashes a first pass, then sends a
     *                   second); false if a pass reads something that can be read once per send (a publisher), so a
     *                   signed send spools the first pass instead
     * @param description says what the content is, never what it contains
     * @return the content, of unknown size
     */
    public static MessageContent ofSource(Supplier<? extends ContentSource> opener, BodyType bodyType,
            boolean reopenable, String description) {
        return ofSource(opener, OptionalLong.empty(), bodyType, reopenable, description);
    }

    /**
     * Like {@link #ofSource(Supplier, BodyType, boolean, String)}, for a composer that knows the size of what its
     * sources will give (then declared with SIZE, and checked against the server's limit before MAIL).
     *
     * @param opener returns a new source positioned at the first byte, doing no I/O before its first {@code next}
     * @param size the exact number of bytes a pass gives, when known in advance
     * @param bodyType what the composer knows of the bytes
     * @param reopenable see {@link #ofSource(Supplier, BodyType, boolean, String)}
     * @param description says what the content is, never what it contains
     * @return the content
     */
    public static MessageContent ofSource(Supplier<? extends ContentSource> opener, OptionalLong size,
            BodyType bodyType, boolean reopenable, String description) {
        Objects.requireNonNull(opener, "opener");
        Objects.requireNonNull(size, "size");
        Objects.requireNonNull(bodyType, "bodyType");
        return plain(reopenable ? Kind.FILE : Kind.PUBLISHER, opener::get, size, () -> bodyType,
                "MessageContent[" + description + (size.isPresent() ? ", " + size.getAsLong() + " bytes" : "")
                        + "]", null);
    }

    /**
     * The size in bytes before encoding, when known in advance (for the SIZE extension).
     *
     * @return the size, or empty for a publisher
     */
    public OptionalLong size() {
        return size;
    }

    /**
     * Starts one independent pass over the content. Used by the protocol engine, once per send; it must
     * {@link ContentSource#close() close} the source when it stops reading. This method does no I/O: a file
     * is opened, and a publisher subscribed, on the first {@link ContentSource#next}.
     *
     * @return a new source positioned at the first byte
     */
    public ContentSource open() {
        return opener.open();
    }

    /**
     * Whether the content is 7-bit or 8-bit, for the {@code BODY} parameter (RFC 6152). Arrays, strings and
     * buffers are scanned once; files and publishers are {@link BodyType#UNKNOWN} unless declared with
     * {@link #withBodyType(BodyType)}.
     *
     * @return the body type
     */
    public BodyType bodyType() {
        return bodyType.get();
    }

    /**
     * Declares the body type of content whose bytes the client cannot see in advance (a file, a publisher),
     * typically {@link BodyType#SEVEN_BIT} for content known to be ASCII (then no BODY parameter is sent and a
     * server without 8BITMIME takes it).
     *
     * @param type what the caller knows of the bytes
     * @return the same content with that body type
     */
    public MessageContent withBodyType(BodyType type) {
        Objects.requireNonNull(type, "type");
        MessageContent base = unsigned != null ? unsigned : this;
        MessageContent declared = new MessageContent(base.kind, base.opener, base.size, () -> type,
                base.description + "[" + type + "]", base.bytes, null, List.of());
        return signers.isEmpty() ? declared : declared.signedWith(signers);
    }

    /**
     * This content with DKIM signatures (RFC 6376), one {@code DKIM-Signature} header per signer (e.g. an RSA
     * and an Ed25519 one), put in front of the message when it is sent. Each send hashes the content first, in a
     * streaming pass with constant memory, then sends the headers and the content: an array, string or buffer is
     * read twice in place, a file twice from disk, and a publisher (subscribed once per send) is copied to an
     * owner-only temporary file while it is hashed and sent from there (the file is deleted afterwards). The
     * hashing runs on a small pool of daemon threads, never on an event loop. A message that cannot be signed
     * (no From header, a header block over {@link DkimSigner#MAX_HEADER_BLOCK_BYTES}) is refused here for an
     * array or string; for the other kinds it fails its send with an {@link SmtpContentException} before any of
     * its bytes is written (the transaction is abandoned without its final dot).
     *
     * <pre>{@code
     * MessageContent signed = MessageContent.of(Path.of("newsletter.eml")).signedWith(rsaSigner, ed25519Signer);
     * }</pre>
     *
     * @param signers one or more signers; signing signed content adds to its signers
     * @return the signed content; its {@link #size()} includes an upper bound of the headers' size
     * @throws io.reactivesmtp.dkim.DkimSigningException if an array or string cannot be signed
     */
    public MessageContent signedWith(DkimSigner... signers) {
        return signedWith(List.of(signers));
    }

    /**
     * Like {@link #signedWith(DkimSigner...)}.
     *
     * @param signers one or more signers
     * @return the signed content
     */
    public MessageContent signedWith(List<DkimSigner> signers) {
        if (signers.isEmpty()) {
            throw new IllegalArgumentException("signedWith needs at least one DKIM signer");
        }
        MessageContent base = unsigned != null ? unsigned : this;
        List<DkimSigner> all = new ArrayList<>(this.signers);
        all.addAll(signers);
        List<DkimSigner> chosen = List.copyOf(all);
        if (base.kind == Kind.ARRAY) {
            // In memory: a message that cannot be signed is refused here, not in the middle of a send.
            DkimSigner.checkSignable(base.bytes);
        }
        // A publisher may be read once per send: it is spooled while hashed. The others are read twice.
        boolean spool = base.kind == Kind.PUBLISHER;
        ContentOpener signedOpener = () -> new SignedSource(base.opener, chosen, spool, ContentThreads.signing(),
                ContentThreads.fileOpens());
        OptionalLong signedSize = base.size.isPresent()
                ? OptionalLong.of(base.size.getAsLong() + DkimStreamSigner.headerSizeBound(chosen)) : base.size;
        // The signature headers are ASCII: the body type is the content's.
        return new MessageContent(base.kind, signedOpener, signedSize, base.bodyType,
                base.description + "[DKIM " + chosen + "]", base.bytes, base, chosen);
    }

    /**
     * Says what kind of content this is and its size, never the content itself (it may be confidential).
     *
     * @return a short description
     */
    @Override
    public String toString() {
        return description;
    }

    /** The body type of an array, scanned for a byte of 128 or more the first time it is asked for. */
    private static final class ScannedOnce implements Supplier<BodyType> {
        private final byte[] bytes;
        private volatile BodyType type;

        ScannedOnce(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public BodyType get() {
            BodyType t = type;
            if (t == null) {
                t = ByteScan.hasEightBit(bytes, 0, bytes.length) ? BodyType.EIGHT_BIT : BodyType.SEVEN_BIT;
                type = t;
            }
            return t;
        }
    }
}
