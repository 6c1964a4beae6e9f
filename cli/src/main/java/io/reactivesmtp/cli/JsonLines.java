package io.reactivesmtp.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.Instantiatable;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;

/**
 * The program's JSON style ({@link CliJson}'s: {@code ": "} after a name, {@code ", "} between members, everything
 * outside ASCII escaped) through Jackson's streaming layer alone, for JSON written field by field: the lines of the
 * bulk report and bulk's {@code --json} summary. Nothing here loads jackson-databind: in a fresh JVM, building
 * {@link CliJson#MAPPER} and introspecting the first record cost about half a second of CPU (the first
 * {@code CliJson.line} of a record: 600-700 ms, the same line through this class: 110-140 ms, on the loaded
 * 2-core test machine), which a bulk run paid before its first message (its report's {@code run} line) and
 * again at its end (the summary).
 */
final class JsonLines {

    /** Jackson's factory, with the escaping of {@link CliJson#MAPPER}. */
    static final JsonFactory FACTORY = JsonFactory.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

    private JsonLines() {
    }

    /** What writes one JSON value into a generator. */
    @FunctionalInterface
    interface Body {
        /**
         * @param g the generator
         * @throws IOException if the generator's target fails
         */
        void write(JsonGenerator g) throws IOException;
    }

    /**
     * A generator of JSON in the program's style into {@code out}: nothing between root values (the caller ends
     * each line), and neither its flush nor its close reaches {@code out}. It has no codec: {@code writeObject}
     * needs one set first ({@link JsonGenerator#setCodec}).
     *
     * @param out where the JSON goes
     * @param outerLines whether each member of the outer object goes on a line of its own (as
     *     {@link CliJson#document}), rather than all on one line (as {@link CliJson#line})
     * @return the generator (one thread at a time)
     */
    static JsonGenerator generator(Writer out, boolean outerLines) {
        try {
            JsonGenerator g = FACTORY.createGenerator(out);
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.disable(JsonGenerator.Feature.FLUSH_PASSED_TO_STREAM);
            Spaced spaced = new Spaced(outerLines);
            spaced.setRootValueSeparator(null);
            g.setPrettyPrinter(spaced);
            return g;
        } catch (IOException e) {
            throw new UncheckedIOException(e); // not thrown for a new generator, declared by Jackson
        }
    }

    /**
     * @param body writes one value
     * @return that value's JSON on one line, as {@link CliJson#line} writes it
     */
    static String line(Body body) {
        return write(body, false);
    }

    /**
     * @param name the one member's name
     * @param members writes the members of its object
     * @return {@code {"name": {members}}} on one line, as {@link CliJson#line} writes a record holding one record
     */
    static String wrapped(String name, Body members) {
        return line(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart(name);
            members.write(g);
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /**
     * @param body writes one object
     * @return its JSON with each outer member on a line of its own, as {@link CliJson#document} writes it
     */
    static String document(Body body) {
        return write(body, true);
    }

    private static String write(Body body, boolean outerLines) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = generator(out, outerLines)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    /** {@code ": "} and {@code ", "}; with {@code outerLines}, the outer object's members on lines of their own. */
    static final class Spaced extends MinimalPrettyPrinter implements Instantiatable<Spaced> {
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
