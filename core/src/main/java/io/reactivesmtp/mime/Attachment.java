package io.reactivesmtp.mime;

import io.netty.buffer.ByteBuf;
import io.reactivesmtp.internal.content.ArraySource;
import io.reactivesmtp.internal.content.ContentOpener;
import io.reactivesmtp.internal.content.ContentThreads;
import io.reactivesmtp.internal.content.FileSource;
import io.reactivesmtp.internal.content.PublisherSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.regex.Pattern;

/**
 * A file carried by a message: an attachment, or an inline part (an image an HTML body shows through
 * {@code cid:}). Its bytes are base64-encoded as they stream, from an array, a file or a publisher, so a large
 * attachment never sits in memory. Immutable.
 *
 * <pre>{@code
 * Attachment report = Attachment.of(Path.of("report.pdf"), "application/pdf");
 * Attachment logo = Attachment.of("logo.png", "image/png", pngBytes).inline("logo@example.com");
 * }</pre>
 */
public final class Attachment {

    private static final Pattern CONTENT_TYPE = Pattern.compile(
            "[A-Za-z0-9!#$&^_.+-]{1,64}/[A-Za-z0-9!#$&^_.+-]{1,64}");
    private static final Pattern CONTENT_ID = Pattern.compile("[!#-;=?-~&&[^<>]]+@[!#-;=?-~&&[^<>\\[\\]]]+");

    private final String fileName;
    private final String contentType;
    private final ContentOpener opener;
    private final boolean reopenable;
    private final String contentId;
    private final String what;
    /** The size in bytes before encoding, or -1 when not known in advance (a publisher). */
    private final long size;

    private Attachment(String fileName, String contentType, ContentOpener opener, boolean reopenable,
            String contentId, String what, long size) {
        this.fileName = fileName;
        this.contentType = contentType;
        this.opener = opener;
        this.reopenable = reopenable;
        this.contentId = contentId;
        this.what = what;
        this.size = size;
    }

    /**
     * An attachment from bytes in memory (wrapped, not copied: do not change them while the message is sent).
     *
     * @param fileName the name the recipient sees (any Unicode; written per RFC 2231)
     * @param contentType e.g. {@code application/pdf}
     * @param bytes the content
     * @return the attachment
     * @throws IllegalArgumentException if the name or type is invalid
     */
    public static Attachment of(String fileName, String contentType, byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return new Attachment(checkName(fileName), checkType(contentType), () -> new ArraySource(bytes), true, null,
                bytes.length + " bytes", bytes.length);
    }

    /**
     * An attachment streamed from a file, read in chunks off the event loop at each send (never whole). Its size
     * now is the one the message declares (SIZE): a file that changes before the send should be built again.
     *
     * @param file a readable regular file; its name is the attachment's name
     * @param contentType e.g. {@code application/pdf}
     * @return the attachment
     * @throws IllegalArgumentException if the file is not readable now, or the type is invalid
     */
    public static Attachment of(Path file, String contentType) {
        Objects.requireNonNull(file, "file");
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException("attachment file is not a readable regular file: " + file);
        }
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            size = -1; // readable a moment ago: the send reads it, or fails naming it
        }
        return new Attachment(checkName(String.valueOf(file.getFileName())), checkType(contentType),
                () -> new FileSource(file, ContentThreads.fileOpens()), true, null, "file " + file, size);
    }

    /**
     * An attachment from a publisher, subscribed once per send (twice never: a signed send spools it). The buffers
     * it emits belong to the client, which releases them.
     *
     * @param fileName the name the recipient sees
     * @param contentType e.g. {@code text/csv}
     * @param publisher emits the bytes in order; must support a new subscription per send
     * @return the attachment
     */
    public static Attachment of(String fileName, String contentType, Flow.Publisher<? extends ByteBuf> publisher) {
        Objects.requireNonNull(publisher, "publisher");
        return new Attachment(checkName(fileName), checkType(contentType), () -> new PublisherSource(publisher),
                false, null, "publisher", -1);
    }

    /**
     * This file as an inline part of the HTML body ({@code Content-Disposition: inline}, in a
     * {@code multipart/related} with the body), shown where the HTML says {@code cid:contentId}.
     *
     * @param contentId e.g. {@code logo@example.com}, without angle brackets
     * @return the inline part
     * @throws IllegalArgumentException if the id is not {@code left@right} of printable ASCII
     */
    public Attachment inline(String contentId) {
        if (contentId == null || !CONTENT_ID.matcher(contentId).matches()) {
            throw new IllegalArgumentException("Content-ID " + contentId
                    + " is not an id of the form left@right in printable ASCII without <, > or spaces");
        }
        return new Attachment(fileName, contentType, opener, reopenable, contentId, what, size);
    }

    /** @return the name the recipient sees */
    public String fileName() {
        return fileName;
    }

    /** @return the MIME type */
    public String contentType() {
        return contentType;
    }

    /** @return the Content-ID of an inline part, or null for an attachment */
    public String contentId() {
        return contentId;
    }

    ContentOpener opener() {
        return opener;
    }

    boolean reopenable() {
        return reopenable;
    }

    /** @return the size before encoding, or -1 when not known in advance */
    long size() {
        return size;
    }

    @Override
    public String toString() {
        return "Attachment[" + fileName + ", " + contentType + ", " + what
                + (contentId == null ? "" : ", inline <" + contentId + ">") + "]";
    }

    private static String checkName(String fileName) {
        if (fileName == null || fileName.isBlank()) {
            throw new IllegalArgumentException("attachment file name is empty");
        }
        HeaderWriter.checkValue("Content-Disposition (file name " + fileName.replaceAll("\\p{Cntrl}", "?") + ")",
                fileName);
        return fileName;
    }

    private static String checkType(String contentType) {
        if (contentType == null || !CONTENT_TYPE.matcher(contentType).matches()) {
            throw new IllegalArgumentException("Content-Type " + contentType + " is not a type/subtype");
        }
        return contentType;
    }
}
