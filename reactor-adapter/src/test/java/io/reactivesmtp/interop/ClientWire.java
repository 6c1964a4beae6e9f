package io.reactivesmtp.interop;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a client sent through a {@link RecordingTcpProxy}, parsed the way a server reads it: command lines, and the
 * message content that went with them. A {@code BDAT n [LAST]} chunk is exactly the n bytes after its command line,
 * taken as they are; {@code DATA} content runs to the first CRLF.CRLF and is un-stuffed (a leading dot removed).
 *
 * @param commands every command line (BDAT and DATA included, the final dot of DATA as ".")
 * @param bdatSizes the size of each BDAT chunk, in order
 * @param bdatContent the BDAT chunks, concatenated
 * @param dataContent the DATA content, un-stuffed, up to and including the CRLF before the final dot
 */
record ClientWire(List<String> commands, List<Long> bdatSizes, byte[] bdatContent, byte[] dataContent) {

    private static final Pattern BDAT = Pattern.compile("BDAT ([0-9]+)( LAST)?", Pattern.CASE_INSENSITIVE);

    static ClientWire parse(RecordingTcpProxy proxy) {
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        for (RecordingTcpProxy.Chunk c : proxy.chunks()) {
            if (c.fromClient()) {
                sent.writeBytes(c.bytes());
            }
        }
        byte[] b = sent.toByteArray();
        List<String> commands = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        ByteArrayOutputStream bdat = new ByteArrayOutputStream();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        int pos = 0;
        while (pos < b.length) {
            int eol = indexOfLf(b, pos);
            if (eol < 0) {
                commands.add(new String(b, pos, b.length - pos, StandardCharsets.UTF_8) + "<no line end>");
                break;
            }
            int end = eol > pos && b[eol - 1] == '\r' ? eol - 1 : eol;
            String line = new String(b, pos, end - pos, StandardCharsets.UTF_8);
            commands.add(line);
            pos = eol + 1;
            Matcher m = BDAT.matcher(line);
            if (m.matches()) {
                int n = Integer.parseInt(m.group(1));
                sizes.add((long) n);
                int take = Math.min(n, b.length - pos);
                bdat.write(b, pos, take);
                pos += take;
            } else if (line.toUpperCase(Locale.ROOT).equals("DATA")) {
                // Content lines up to the lone dot; a leading dot of any other line is removed.
                while (pos < b.length) {
                    int lineEnd = indexOfLf(b, pos);
                    int next = lineEnd < 0 ? b.length : lineEnd + 1;
                    if (next - pos == 3 && b[pos] == '.' && b[pos + 1] == '\r') {
                        commands.add(".");
                        pos = next;
                        break;
                    }
                    int from = b[pos] == '.' ? pos + 1 : pos;
                    data.write(b, from, next - from);
                    pos = next;
                }
            }
        }
        return new ClientWire(commands, sizes, bdat.toByteArray(), data.toByteArray());
    }

    private static int indexOfLf(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** @return the first command that starts with {@code prefix} (case-insensitive) */
    String command(String prefix) {
        return commands.stream().filter(c -> c.regionMatches(true, 0, prefix, 0, prefix.length())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + prefix + " command in " + summary()));
    }

    /** @return every command that starts with {@code prefix} (case-insensitive) */
    List<String> commands(String prefix) {
        return commands.stream().filter(c -> c.regionMatches(true, 0, prefix, 0, prefix.length())).toList();
    }

    /** @return the commands, for assertion messages (never the content) */
    String summary() {
        return String.join("\n", commands);
    }
}
