package io.reactivesmtp.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reactivesmtp.reactor.LearnedPace;
import io.reactivesmtp.reactor.Pacing;
import java.io.IOException;
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
import java.util.List;

/**
 * {@code --pacing-state FILE}: what adaptive pacing learned about the sites that asked to slow down
 * ({@link LearnedPace}), read before a run and written after it, so that a run starts where the last one left off
 * instead of probing every site again. JSON:
 * <pre>{@code {"version":1,"sites":[{"site":"mx.example.com:25","limit":5,"rate":240.5,"rateOrigin":700.0,
 *   "at":"2026-12-07T04:10:00Z"}]}}</pre>
 * A missing file is an empty one; entries whose site last asked to slow down more than {@link #MAX_AGE} ago are
 * dropped (the server's limits may have changed; probing again costs a few refusals). Written to a temporary file
 * beside it and moved over it, so a run that dies while writing leaves the old file.
 */
final class PacingStateFile {

    /** How old an entry may be before it is dropped. */
    static final Duration MAX_AGE = Duration.ofDays(7);
    private static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private PacingStateFile() {
    }

    /**
     * @param file the file
     * @param now the time, for {@link #MAX_AGE}
     * @return its entries, those older than {@link #MAX_AGE} left out; empty when the file does not exist
     * @throws IllegalArgumentException naming the option, the file and what is wrong with it
     */
    static List<LearnedPace> read(Path file, Instant now) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (JsonProcessingException e) {
            throw bad(file, "not JSON (" + e.getOriginalMessage() + " at line " + e.getLocation().getLineNr() + ")");
        } catch (IOException e) {
            throw bad(file, "cannot read it: " + e.getMessage());
        }
        if (root == null || !root.isObject() || !root.path("sites").isArray()) {
            throw bad(file, "expected {\"version\":1,\"sites\":[...]}");
        }
        if (root.path("version").asInt(-1) != VERSION) {
            throw bad(file, "version " + root.path("version") + " is not " + VERSION);
        }
        List<LearnedPace> entries = new ArrayList<>();
        int i = 0;
        for (JsonNode s : root.get("sites")) {
            String where = "sites[" + i++ + "]";
            try {
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
        ObjectNode root = JSON.createObjectNode().put("version", VERSION);
        ArrayNode sites = root.putArray("sites");
        for (LearnedPace l : entries) {
            sites.addObject().put("site", l.site()).put("limit", l.limit()).put("rate", l.rate())
                    .put("rateOrigin", l.rateOrigin()).put("at", l.at().toString());
        }
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n",
                    StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String text(JsonNode s, String field) {
        JsonNode v = s.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException(field + ": expected a string");
        }
        return v.asText();
    }

    private static int integer(JsonNode s, String field) {
        JsonNode v = s.get(field);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException(field + ": expected a whole number");
        }
        return v.asInt();
    }

    private static double number(JsonNode s, String field) {
        JsonNode v = s.get(field);
        if (v == null || !v.isNumber()) {
            throw new IllegalArgumentException(field + ": expected a number");
        }
        return v.asDouble();
    }

    private static IllegalArgumentException bad(Path file, String what) {
        return new IllegalArgumentException("--pacing-state " + file + ": " + what);
    }
}
