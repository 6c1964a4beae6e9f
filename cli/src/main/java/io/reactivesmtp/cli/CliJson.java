package io.reactivesmtp.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.UncheckedIOException;

/**
 * The program's JSON, through Jackson: the records of the {@code --json} summaries and of the bulk report are
 * written with {@code ": "} after a name and {@code ", "} between members (as the README shows them), every
 * character outside ASCII escaped so that the output is ASCII whatever the platform encoding; readers ignore
 * unknown fields. JSON written field by field, without databind, goes through {@link JsonLines} in the same style.
 */
final class CliJson {

    /** The mapper: records in declaration order, nulls written, unknown fields ignored on reading. */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private static final ObjectWriter LINE = MAPPER.writer(new JsonLines.Spaced(false));
    private static final ObjectWriter DOCUMENT = MAPPER.writer(new JsonLines.Spaced(true));

    private CliJson() {
    }

    /**
     * One JSON line: {@code {"id": 10, "outcome": "DELIVERED", ...}}.
     *
     * @param value a record, map, list or scalar
     * @return its JSON on one line
     */
    static String line(Object value) {
        return write(LINE, value);
    }

    /**
     * A JSON document for a terminal: each member of the outer object on a line of its own (indented by two),
     * nested values on that line.
     *
     * @param value a record or map
     * @return its JSON
     */
    static String document(Object value) {
        return write(DOCUMENT, value);
    }

    /**
     * A string as a JSON string literal (also how error messages quote what the user typed).
     *
     * @param s the string, or null
     * @return the literal, or {@code null}
     */
    static String quote(String s) {
        return line(s);
    }

    /**
     * Lets a {@link JsonLines} generator write objects ({@code writeObject}) through {@link #MAPPER}.
     *
     * @param g the generator
     */
    static void setCodec(com.fasterxml.jackson.core.JsonGenerator g) {
        g.setCodec(MAPPER);
    }

    private static String write(ObjectWriter writer, Object value) {
        try {
            return writer.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            // Only the program's own records are written: a failure is a bug, not bad input.
            throw new UncheckedIOException(e);
        }
    }
}
