package io.reactivesmtp.cli;

import io.reactivesmtp.MailAddress;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;

/**
 * The suppression list {@code bounces} writes and {@code bulk --suppress} reads: UTF-8 text, one address per line,
 * {@code #} comments and blank lines ignored. Addresses are compared without regard to case (MTAs change the case of
 * what they report; a sender loses nothing by treating {@code Ann@Example.com} and {@code ann@example.com} as one).
 */
final class SuppressionList {

    private SuppressionList() {
    }

    /** @return the key an address is compared by: its text, lower case */
    static String key(String address) {
        return address.strip().toLowerCase(Locale.ROOT);
    }

    /**
     * Reads a suppression list. A line that is not an address is an error: a list that cannot be read whole must
     * not let a suppressed recipient through.
     *
     * @param file the list
     * @return the addresses' {@link #key}s
     * @throws IllegalArgumentException naming the file and the line, when it cannot be read or a line is wrong
     */
    static Set<String> read(Path file) {
        String name = ReportPrinter.oneLine(file.toString());
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException(name + " is not a readable file");
        }
        Set<String> keys = new HashSet<>();
        try (RecipientFile.LineReader reader = new RecipientFile.LineReader(Files.newInputStream(file))) {
            RecipientFile.Line l;
            while ((l = reader.next()) != null) {
                if (l.problem() != null) {
                    throw new IllegalArgumentException(name + ":" + l.number() + ": " + l.problem());
                }
                String text = l.text().strip();
                if (text.isEmpty() || text.startsWith("#")) {
                    continue;
                }
                try {
                    keys.add(key(MailAddress.of(text).toString()));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(name + ":" + l.number() + ": not an address: "
                            + ReportPrinter.oneLine(e.getMessage()), e);
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + name + ": " + e.getMessage(), e);
        }
        return keys;
    }

    /**
     * Writes a suppression list: a comment line, then the addresses sorted, each once (by {@link #key}).
     *
     * @param file the file (replaced)
     * @param addresses the addresses, in any order, repeats allowed
     * @param comment the comment line's text
     * @return how many addresses were written
     * @throws IOException if it cannot be written
     */
    static int write(Path file, Collection<String> addresses, String comment) throws IOException {
        TreeMap<String, String> sorted = new TreeMap<>();
        for (String a : addresses) {
            sorted.putIfAbsent(key(a), a.strip());
        }
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("# " + comment);
            w.newLine();
            for (String a : sorted.values()) {
                w.write(a);
                w.newLine();
            }
        }
        return sorted.size();
    }
}
