package io.reactivesmtp.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.Instantiatable;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;

/**
 * The program's JSON, through Jackson: the records of the {@code --json} summaries and of the bulk report are
 * written with {@code ": "} after a name and {@code ", "} between members (as the README shows them), every
 * character outside ASCII escaped so that the output is ASCII whatever the platform encoding; readers ignore
 * unknown fields.
 */
final class CliJson {

    /** The mapper: records in declaration order, nulls written, unknown fields ignored on reading. */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private static final ObjectWriter LINE = MAPPER.writer(new Spaced(false));
    private static final ObjectWriter DOCUMENT = MAPPER.writer(new Spaced(true));

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
     * A generator of JSON lines like {@link #line}'s into {@code out}, for a writer of many lines: nothing between
     * its root values (the caller ends each line), and neither its flush nor its close reaches {@code out}.
     *
     * @param out where the JSON goes
     * @return the generator (one thread at a time)
     * @throws IOException never for a new generator, declared by Jackson
     */
    static JsonGenerator lineGenerator(Writer out) throws IOException {
        JsonGenerator g = MAPPER.createGenerator(out);
        g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        g.disable(JsonGenerator.Feature.FLUSH_PASSED_TO_STREAM);
        Spaced spaced = new Spaced(false);
        spaced.setRootValueSeparator(null);
        g.setPrettyPrinter(spaced);
        return g;
    }

    private static String write(ObjectWriter writer, Object value) {
        try {
            return writer.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            // Only the program's own records are written: a failure is a bug, not bad input.
            throw new UncheckedIOException(e);
        }
    }

    /** {@code ": "} and {@code ", "}; with {@code outerLines}, the outer object's members on lines of their own. */
    private static final class Spaced extends MinimalPrettyPrinter implements Instantiatable<Spaced> {
        private static final long serialVersionUID = 1L;
        private final boolean outerLines;
        private int depth;

        Spaced(boolean outerLines) {
            this.outerLines = outerLines;
        }

        @Override
        public Spaced createInstance() {
            return new Spaced(outerLines);
        }

        private boolean outer() {
            return outerLines && depth == 1;
        }

        @Override
        public void writeStartObject(JsonGenerator g) throws IOException {
            g.writeRaw('{');
            depth++;
        }

        @Override
        public void beforeObjectEntries(JsonGenerator g) throws IOException {
            if (outer()) {
                g.writeRaw("\n  ");
            }
        }

        @Override
        public void writeEndObject(JsonGenerator g, int entries) throws IOException {
            if (outer() && entries > 0) {
                g.writeRaw('\n');
            }
            depth--;
            g.writeRaw('}');
        }

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(": ");
        }

        @Override
        public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
            g.writeRaw(outer() ? ",\n  " : ", ");
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(", ");
        }
    }
}
