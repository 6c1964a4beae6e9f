package io.reactivesmtp.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.reactivesmtp.reactor.LearnedPace;
import io.reactivesmtp.reactor.Pacing;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --pacing-state FILE}: what adaptive pacing learned about the sites that asked to slow down
 * ({@link LearnedPace}), read before a run and written after it, so that a run starts where the last one left off
 * instead of probing every site again. JSON:
 * <pre>{@code {"version":1,"sites":[{"site":"mx.example.com:25","limit":5,"rate":240.5,"rateOrigin":700.0,
 *   "at":"2026-12-07T04:10:00Z"}]}}</pre>
 * A missing file is an empty one; entries whose site last asked to slow down more than {@link #MAX_AGE} ago are
 * dropped (the server's limits may have changed; probing again costs a few refusals). Written to a temporary file
 * beside it and moved over it, so a run that dies while writing leaves the old file. Through Jackson's streaming layer
 * only, as {@link JsonLines} (databind would cost a bulk run half a second before its first message).
 */
final class PacingStateFile {

    /** How old an entry may be before it is dropped. */
    static final Duration MAX_AGE = Duration.ofDays(7);
    private static final int VERSION = 1;

    private PacingStateFile() {
    }

    /**
     * @param file the file
     * @param now the time, for {@link #MAX_AGE}
     * @return its entries, those older than {@link #MAX_AGE} left out; empty when the file does not exist
     * @throws IllegalArgumentException naming the option, the file and what is wrong with it
     */
    static List<LearnedPace> read(Path file, Instant now) {
        Object root;
        try (JsonParser p = JsonLines.FACTORY.createParser(Files.readString(file, StandardCharsets.UTF_8))) {
            root = value(p, p.nextToken());
            if (p.nextToken() != null) {
                throw bad(file, "not JSON (more after the end of the object at line "
                        + p.currentLocation().getLineNr() + ")");
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (JsonProcessingException e) {
            throw bad(file, "not JSON (" + e.getOriginalMessage() + " at line " + e.getLocation().getLineNr() + ")");
        } catch (IOException e) {
            throw bad(file, "cannot read it: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> top) || !(top.get("sites") instanceof List<?> sites)) {
            throw bad(file, "expected {\"version\":1,\"sites\":[...]}");
        }
        if (!(top.get("version") instanceof BigInteger v) || v.intValue() != VERSION) {
            throw bad(file, "version " + top.get("version") + " is not " + VERSION);
        }
        List<LearnedPace> entries = new ArrayList<>();
        int i = 0;
        for (Object item : sites) {
            String where = "sites[" + i++ + "]";
            try {
                if (!(item instanceof Map<?, ?> s)) {
                    throw new IllegalArgumentException("expected an object");
                }
                LearnedPace l = new LearnedPace(text(s, "site"), integer(s, "limit"), number(s, "rate"),
                        number(s, "rateOrigin"), Instant.parse(text(s, "at")));
                if (!l.at().isBefore(now.minus(MAX_AGE))) {
                    entries.add(l);
                }
            } catch (DateTimeParseException e) {
                throw bad(file, where + ".at: not an ISO-8601 instant such as 2026-12-07T04:10:00Z");
            } catch (IllegalArgumentException e) {
                throw bad(file, where + ": " + e.getMessage());
            }
        }
        try {
            return Pacing.builder().learned(entries).build().learned();
        } catch (IllegalArgumentException e) {
            throw bad(file, e.getMessage());
        }
    }

    /**
     * Writes the entries: to a temporary file beside {@code file}, then moved over it.
     *
     * @param file the file
     * @param entries what pacing learned
     * @throws IOException when it cannot be written (the old file, if any, is left as it was)
     */
    static void write(Path file, List<LearnedPace> entries) throws IOException {
        String json = JsonLines.document(g -> {
            g.writeStartObject();
            g.writeNumberField("version", VERSION);
            g.writeArrayFieldStart("sites");
            for (LearnedPace l : entries) {
                g.writeStartObject();
                g.writeStringField("site", l.site());
                g.writeNumberField("limit", l.limit());
                g.writeNumberField("rate", l.rate());
                g.writeNumberField("rateOrigin", l.rateOrigin());
                g.writeStringField("at", l.at().toString());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, json + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** @return the value that starts at {@code t}: a Map, a List, a String, a BigInteger, a BigDecimal, a Boolean or null */
    private static Object value(JsonParser p, JsonToken t) throws IOException {
        if (t == null) {
            throw new JsonProcessingException("no JSON value", p.currentLocation()) { };
        }
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (JsonToken n = p.nextToken(); n != JsonToken.END_OBJECT; n = p.nextToken()) {
                    String name = p.currentName();
                    m.put(name, value(p, p.nextToken()));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                for (JsonToken n = p.nextToken(); n != JsonToken.END_ARRAY; n = p.nextToken()) {
                    l.add(value(p, n));
                }
                return l;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT -> {
                return p.getBigIntegerValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return p.getDecimalValue();
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return p.getBooleanValue();
            }
            default -> {
                return null;
            }
        }
    }

    private static String text(Map<?, ?> s, String field) {
        if (!(s.get(field) instanceof String v)) {
            throw new IllegalArgumentException(field + ": expected a string");
        }
        return v;
    }

    private static int integer(Map<?, ?> s, String field) {
        if (!(s.get(field) instanceof BigInteger v) || v.bitLength() > 31) {
            throw new IllegalArgumentException(field + ": expected a whole number");
        }
        return v.intValue();
    }

    private static double number(Map<?, ?> s, String field) {
        Object v = s.get(field);
        if (v instanceof BigInteger i) {
            return i.doubleValue();
        }
        if (!(v instanceof BigDecimal d)) {
            throw new IllegalArgumentException(field + ": expected a number");
        }
        return d.doubleValue();
    }

    private static IllegalArgumentException bad(Path file, String what) {
        return new IllegalArgumentException("--pacing-state " + file + ": " + what);
    }
}
