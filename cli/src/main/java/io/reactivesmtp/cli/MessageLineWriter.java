package io.reactivesmtp.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.util.List;
import java.util.Objects;

/**
 * Writes the message lines of the {@link BulkReport} field by field through one {@link JsonGenerator} kept for the
 * whole run (the JSON of {@link CliJson#line}: same spacing, same escaping, through {@link JsonLines}), so that a
 * line costs neither a record tree, nor a serializer lookup, nor a String of its own. One thread at a time.
 *
 * <pre>{@code
 * {"id": 12, "outcome": "PARTIAL", "recipients": [{"address": "a@example.com", "line": 12, "status": "ACCEPTED",
 *   "code": 250, "enhancedStatus": "2.0.0", "text": "Ok"}, ...], "error": null}
 * }</pre>
 * {@code code} is null for 0 (no reply decided it); {@code tls} is there only when the entry has one (--mx);
 * {@code error} is null or {@code {"type": "...", "message": "..."}}.
 */
final class MessageLineWriter {

    private final JsonGenerator g;

    /**
     * @param out where the lines go; each {@link #write} leaves its line there (without a line end), unflushed
     * @throws IOException declared by Jackson, not thrown for a new generator
     */
    MessageLineWriter(Writer out) throws IOException {
        this.g = JsonLines.generator(out, false);
    }

    /**
     * One message's line as a String (for tests and one-off use).
     *
     * @see #write
     */
    static String line(long id, String outcome, List<BulkReport.Entry> recipients, Throwable error) {
        StringWriter out = new StringWriter();
        try {
            new MessageLineWriter(out).write(id, outcome, recipients, error);
        } catch (IOException e) {
            throw new IllegalStateException("a StringWriter failed", e);
        }
        return out.toString();
    }

    /**
     * Writes one message's line, without its line end, into the writer.
     *
     * @param id the line number of its first recipient
     * @param outcome a {@code MessageResult.Outcome} name
     * @param recipients the recipients and their results
     * @param error the failure that left recipients without a verdict, or null
     * @throws IOException if the writer fails
     */
    void write(long id, String outcome, List<BulkReport.Entry> recipients, Throwable error) throws IOException {
        Objects.requireNonNull(outcome, "outcome");
        g.writeStartObject();
        g.writeNumberField("id", id);
        g.writeStringField("outcome", outcome);
        g.writeArrayFieldStart("recipients");
        for (BulkReport.Entry e : recipients) {
            Objects.requireNonNull(e.address(), "address");
            Objects.requireNonNull(e.status(), "status");
            g.writeStartObject();
            g.writeStringField("address", e.address());
            g.writeNumberField("line", e.line());
            g.writeStringField("status", e.status());
            if (e.code() == 0) {
                g.writeNullField("code");
            } else {
                g.writeNumberField("code", e.code());
            }
            g.writeStringField("enhancedStatus", e.enhancedStatus());
            g.writeStringField("text", e.text());
            if (e.tls() != null) {
                g.writeFieldName("tls");
                if (g.getCodec() == null) {
                    CliJson.setCodec(g); // only with --mx: the generator itself needs no databind
                }
                g.writeObject(ReportPrinter.TlsLevelJson.of(e.tls(), false));
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        if (error == null) {
            g.writeNullField("error");
        } else {
            g.writeObjectFieldStart("error");
            g.writeStringField("type", error.getClass().getSimpleName());
            g.writeStringField("message", String.valueOf(error.getMessage()));
            g.writeEndObject();
        }
        g.writeEndObject();
        g.flush();
    }
}
