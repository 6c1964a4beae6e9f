package io.reactivesmtp.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.reactivesmtp.RecipientResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What a previous {@link BulkReport} says for {@code --retry-from}, read with Jackson: whatever the spacing, unknown
 * fields ignored, a torn line (a killed run) reported and not fatal.
 *
 * @param skip the addresses (as {@code MailAddress.toString()}) not to send to again: those whose last result
 *     was {@code ACCEPTED} or {@code PERMANENT_FAILURE}, and those left out by {@code --suppress}
 * @param unknown the addresses whose last result was unknown: {@code UNKNOWN_AFTER_DATA} (the message went out, no
 *     reply to it came) or {@code UNDETERMINED} (given up on in flight, or a report of an older version, which
 *     wrote every failure without a verdict so); the server may have the message, so they are sent to again
 *     only with {@code --retry-unknown}
 * @param mayRepeat how many messages of the previous runs may have reached a server without a final line
 *     here (a run killed before its {@code end} line: its {@code maxUnreported}; messages abandoned in flight)
 * @param killed whether the last run in the file has no {@code end} line
 */
record PreviousReport(Set<String> skip, Set<String> unknown, long mayRepeat, boolean killed) {

    /** A recipient's last result, as far as sending again goes. */
    private enum Last {
        /** Accepted or refused for good: never again. */
        DONE,
        /** The server may have the message: only when asked. */
        UNKNOWN,
        /** Transient: again. */
        OPEN
    }

    private static void warn(PrintWriter err, String command, String file, long line, String what) {
        ReportPrinter.printError(err, command, "warning: --retry-from " + file + ":" + line + ": " + what);
    }

    /** Records a recipient's last result: done (accepted or refused for good), unknown, or to send again. */
    private static void remember(String address, String status, Map<String, Last> last) {
        last.put(address, status.equals(RecipientResult.Status.ACCEPTED.name())
                || status.equals(RecipientResult.Status.PERMANENT_FAILURE.name()) ? Last.DONE
                : status.equals(RecipientResult.Status.UNKNOWN_AFTER_DATA.name())
                        || status.equals(RecipientResult.Status.UNDETERMINED.name()) ? Last.UNKNOWN : Last.OPEN);
    }

    /**
     * Reads a torn line as far as it goes: each recipient whose address and status were read before the tear counts
     * (what follows them, code and text, decides nothing).
     *
     * @return how many recipients it used, or -1 when it did not start as a message line (an object whose first
     *     member is {@code id})
     */
    private static int salvage(String line, Map<String, Last> last) {
        int used = 0;
        try (JsonParser p = CliJson.MAPPER.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT || p.nextToken() != JsonToken.FIELD_NAME
                    || !"id".equals(p.currentName())) {
                return -1;
            }
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                if (p.nextToken() != JsonToken.START_ARRAY || !"recipients".equals(field)) {
                    p.skipChildren();
                    continue;
                }
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    String address = null;
                    String status = null;
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String name = p.currentName();
                        JsonToken value = p.nextToken();
                        if (value == JsonToken.VALUE_STRING && name.equals("address")) {
                            address = p.getText();
                        } else if (value == JsonToken.VALUE_STRING && name.equals("status")) {
                            status = p.getText();
                        } else {
                            p.skipChildren();
                        }
                        if (address != null && status != null) {
                            remember(address, status, last);
                            used++;
                            address = null;
                            status = null;
                        }
                    }
                }
                return used;
            }
        } catch (IOException e) {
            // The tear: the recipients read before it are remembered.
        }
        return used;
    }

    /**
     * Reads a previous report. A recipient whose last result was transient, or who is not in the report at all, is
     * sent to again; one whose last result was unknown is in {@link #unknown()}. A line cut short (the run was killed while writing it) keeps the recipient
     * results that are complete in it and is reported on {@code err}; so is any other line that is not a report
     * line. Neither is fatal.
     *
     * @param file the previous report
     * @param err where to report unreadable lines
     * @param command the command name for those messages
     * @return the addresses to skip and what may have been sent without a line
     * @throws IOException if the file cannot be read
     */
    static PreviousReport read(Path file, PrintWriter err, String command) throws IOException {
        Map<String, Last> last = new HashMap<>();
        long mayRepeat = 0;
        long openRunMax = -1; // the maxUnreported of a run whose end line has not been seen
        String name = ReportPrinter.oneLine(file.toString());
        // A decoder that replaces: a line torn inside a character must not make the file unreadable.
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(Files.newInputStream(file),
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                        .onUnmappableCharacter(CodingErrorAction.REPLACE)))) {
            String line;
            long n = 0;
            while ((line = reader.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = CliJson.MAPPER.readTree(line);
                } catch (JsonProcessingException e) {
                    // A line cut short (killed while writing it): keep the recipient results complete in it.
                    int used = salvage(line, last);
                    warn(err, command, name, n, used >= 0 ? "cut short (the run was killed while writing it?): "
                            + used + " complete recipient result(s) used, the rest ignored"
                            : "not a report line, ignored");
                    continue;
                }
                if (node.path("run").isObject()) {
                    if (openRunMax >= 0) {
                        mayRepeat += openRunMax;
                    }
                    openRunMax = Math.max(0, node.path("run").path("maxUnreported").asLong());
                } else if (node.path("end").isObject()) {
                    mayRepeat += Math.max(0, node.path("end").path("abandoned").asLong());
                    openRunMax = -1;
                } else if (node.path("suppressed").path("address").isTextual()) {
                    // Left out by --suppress: not to be sent to by a retry either.
                    last.put(node.path("suppressed").path("address").asText(), Last.DONE);
                } else if (node.has("id") && node.path("recipients").isArray()) {
                    for (JsonNode r : node.path("recipients")) {
                        if (r.path("address").isTextual()) {
                            remember(r.path("address").asText(), r.path("status").asText(""), last);
                        }
                    }
                } else {
                    warn(err, command, name, n, "not a report line, ignored");
                }
            }
        }
        boolean killed = openRunMax >= 0;
        if (killed) {
            mayRepeat += openRunMax;
        }
        Set<String> skip = new HashSet<>();
        Set<String> unknown = new HashSet<>();
        last.forEach((address, what) -> {
            if (what == Last.DONE) {
                skip.add(address);
            } else if (what == Last.UNKNOWN) {
                unknown.add(address);
            }
        });
        return new PreviousReport(skip, unknown, mayRepeat, killed);
    }
}
