package io.reactivesmtp.interop;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A delivered Maildir file split into the header lines the server prepended on delivery (each with its folded
 * continuation lines) and the rest: the message as the client transmitted it, with LF line ends.
 *
 * @param prependedNames the names of the prepended header fields, in order
 * @param prepended the prepended header lines, unfolded, e.g. "Delivered-To: a@example.com"
 * @param message the rest of the file
 */
record DeliveredCopy(List<String> prependedNames, List<String> prepended, byte[] message) {

    static DeliveredCopy read(Path file, MtaInstance mta) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        List<String> known = mta.prependedHeaders().stream().map(h -> h.toLowerCase(Locale.ROOT) + ":").toList();
        List<String> names = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        int pos = 0;
        while (pos < bytes.length) {
            int eol = pos;
            while (eol < bytes.length && bytes[eol] != '\n') {
                eol++;
            }
            String line = new String(bytes, pos, eol - pos, StandardCharsets.UTF_8);
            if (!lines.isEmpty() && (line.startsWith(" ") || line.startsWith("\t"))) {
                lines.set(lines.size() - 1, lines.get(lines.size() - 1) + " " + line.strip());
            } else if (known.stream().anyMatch(k -> line.toLowerCase(Locale.ROOT).startsWith(k))) {
                names.add(line.substring(0, line.indexOf(':')));
                lines.add(line);
            } else {
                break;
            }
            pos = Math.min(bytes.length, eol + 1);
        }
        return new DeliveredCopy(names, lines, Arrays.copyOfRange(bytes, pos, bytes.length));
    }

    /** @return the value of a prepended header (case-insensitive name) */
    String header(String name) {
        String prefix = name.toLowerCase(Locale.ROOT) + ":";
        return prepended.stream().filter(l -> l.toLowerCase(Locale.ROOT).startsWith(prefix))
                .map(l -> l.substring(prefix.length()).strip()).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " in " + prepended));
    }

    /** @return the message as text */
    String text() {
        return new String(message, StandardCharsets.UTF_8);
    }

    /**
     * @param transmitted what the client meant to transmit (CRLF line ends)
     * @return the same bytes as a Maildir stores them: CRLF as LF
     */
    static byte[] asStored(byte[] transmitted) {
        byte[] out = new byte[transmitted.length];
        int n = 0;
        for (int i = 0; i < transmitted.length; i++) {
            if (transmitted[i] == '\r' && i + 1 < transmitted.length && transmitted[i + 1] == '\n') {
                continue;
            }
            out[n++] = transmitted[i];
        }
        return Arrays.copyOf(out, n);
    }
}
