package io.reactivesmtp.bounce;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.stream.BodyDescriptor;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.apache.james.mime4j.stream.RecursionMode;

/**
 * The parts of a message a report is made of, read through mime4j's {@link MimeTokenStream} in one pass: the
 * top-level header fields, the first delivery status part, the first feedback report part, the header fields of
 * the returned message (from {@code message/rfc822}, {@code text/rfc822-headers} or their RFC 6533 global forms)
 * and the first plain text part. Each is kept up to the parser's part bound; every other part is skipped unread.
 */
final class MessageParts {

    private static final Pattern REPORT_TYPE = Pattern.compile("(?i)report-type\\s*=\\s*\"?([A-Za-z0-9-]+)");
    private static final Pattern BLANK_LINE = Pattern.compile("\r?\n[ \t]*\r?\n");

    /** The top-level header fields, by lower-case name (first value), unfolded, encoded words decoded. */
    final Map<String, String> headers = new LinkedHashMap<>();
    /** The top-level Content-Type's report-type parameter, lower case, or null. */
    String reportType;
    String deliveryStatus;
    boolean globalDeliveryStatus;
    String feedbackReport;
    /** The returned message's header fields, by lower-case name (first value), or null. */
    Map<String, String> returnedHeaders;
    String text = "";
    final Notes notes = new Notes();
    private boolean textSeen;

    private MessageParts() {
    }

    static MessageParts read(InputStream in, BounceParser bounds) throws IOException, MimeException {
        MimeConfig config = new MimeConfig.Builder()
                .setStrictParsing(false)
                .setMaxLineLen(bounds.maxLineBytes)
                .setMaxHeaderCount(bounds.maxHeaderFields)
                .setMaxHeaderLen(Math.max(bounds.maxLineBytes, 10_000))
                .setMaxTotalHeaderCount(bounds.maxHeaderFields * 4)
                .setMaxTotalHeaderLen(Math.max(bounds.maxLineBytes, 10_000) * 4L)
                .setMaxPartCount(bounds.maxParts)
                .setMaxNestingDepth(16)
                .setMaxContentLen(-1)
                .build();
        MimeTokenStream tokens = new MimeTokenStream(config, DecodeMonitor.SILENT, null);
        tokens.setRecursionMode(RecursionMode.M_NO_RECURSE);
        tokens.parse(in);
        MessageParts parts = new MessageParts();
        boolean top = true;
        for (EntityState state = tokens.getState(); state != EntityState.T_END_OF_STREAM; state = tokens.next()) {
            switch (state) {
                case T_FIELD -> {
                    if (top) {
                        parts.topField(tokens.getField());
                    }
                }
                case T_END_HEADER -> top = false;
                case T_BODY -> parts.body(tokens.getBodyDescriptor(), tokens, bounds.maxPartBytes);
                default -> {
                }
            }
        }
        return parts;
    }

    private void topField(Field field) {
        String name = field.getName().strip().toLowerCase(Locale.ROOT);
        String body = field.getBody() == null ? "" : field.getBody().replaceAll("\r?\n[ \t]*", " ").strip();
        if (name.equals("content-type")) {
            Matcher m = REPORT_TYPE.matcher(body);
            if (m.find()) {
                reportType = m.group(1).toLowerCase(Locale.ROOT);
            }
        }
        if (!headers.containsKey(name)) {
            headers.put(name, body.contains("=?") ? DecoderUtil.decodeEncodedWords(body, DecodeMonitor.SILENT) : body);
        }
    }

    private void body(BodyDescriptor bd, MimeTokenStream tokens, int maxBytes) throws IOException {
        String type = bd.getMimeType() == null ? "text/plain" : bd.getMimeType().toLowerCase(Locale.ROOT);
        switch (type) {
            case "message/delivery-status", "message/global-delivery-status", "text/delivery-status" -> {
                if (deliveryStatus == null) {
                    deliveryStatus = utf8(read(tokens.getDecodedInputStream(), maxBytes, type));
                    globalDeliveryStatus = type.equals("message/global-delivery-status");
                }
            }
            case "message/feedback-report" -> {
                if (feedbackReport == null) {
                    feedbackReport = utf8(read(tokens.getDecodedInputStream(), maxBytes, type));
                }
            }
            case "message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers",
                 "message/rfc822-headers" -> {
                if (returnedHeaders == null) {
                    returnedHeaders = headerFields(utf8(read(tokens.getDecodedInputStream(), maxBytes, null)));
                }
            }
            case "text/plain" -> {
                if (!textSeen) {
                    textSeen = true;
                    text = decode(read(tokens.getDecodedInputStream(), maxBytes, type), bd.getCharset());
                }
            }
            default -> {
                // Skipped: mime4j passes over what is not read.
            }
        }
    }

    /** Reads at most {@code max} bytes of a part; the rest is left for mime4j to skip, with a note if it was kept. */
    private byte[] read(InputStream in, int max, String noteAs) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(max, 8192));
        byte[] buf = new byte[8192];
        int n;
        while (out.size() < max && (n = in.read(buf, 0, Math.min(buf.length, max - out.size()))) > 0) {
            out.write(buf, 0, n);
        }
        if (noteAs != null && out.size() >= max && in.read() >= 0) {
            notes.add("the " + noteAs + " part is longer than " + max + " bytes: only its start was read");
        }
        return out.toByteArray();
    }

    /** The header fields at the start of a returned message, up to its first blank line. */
    private Map<String, String> headerFields(String message) {
        Matcher blank = BLANK_LINE.matcher(message);
        String head = blank.find() ? message.substring(0, blank.start()) : message;
        Map<String, String> fields = new LinkedHashMap<>();
        for (FieldBlock.Field f : FieldBlock.parse(head, 1000, new Notes())) {
            fields.putIfAbsent(f.name(), f.value());
        }
        return fields;
    }

    static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8); // malformed input replaced, never fails
    }

    /** Text in its declared charset; US-ASCII, an unknown or a missing charset read as UTF-8 (never fails). */
    private static String decode(byte[] bytes, String charset) {
        Charset cs = StandardCharsets.UTF_8;
        try {
            if (charset != null && !charset.equalsIgnoreCase("us-ascii") && Charset.isSupported(charset)) {
                cs = Charset.forName(charset);
            }
        } catch (IllegalArgumentException e) {
            cs = StandardCharsets.UTF_8;
        }
        try {
            return cs.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return utf8(bytes);
        }
    }
}
