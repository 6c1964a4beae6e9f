package io.reactivesmtp.mime;

import io.reactivesmtp.dkim.DkimSigner;
import io.reactivesmtp.mime.LintFinding.Severity;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pre-send check of a message's header block, raw or built: exactly one From, one Date and one Message-ID; no bare
 * CR or LF; lines within RFC 5322's limits (998 octets, 78 recommended); DKIM signers' {@code d=} aligned with the
 * From domain (DMARC); bulk mail ({@code Precedence: bulk} or {@code List-Id}) with one-click unsubscribe. Each
 * finding names its header field.
 *
 * <pre>{@code
 * List<LintFinding> findings = MessageLint.check(Files.readAllBytes(eml), signer);
 * if (MessageLint.hasErrors(findings)) { ... }
 * }</pre>
 */
public final class MessageLint {

    /** The most of a message read for its header block. */
    public static final int MAX_HEADER_BLOCK_BYTES = DkimSigner.MAX_HEADER_BLOCK_BYTES;

    private static final Pattern NAME = Pattern.compile("[!-9;-~]+");
    private static final Pattern D_TAG = Pattern.compile("(?:^|;)\\s*d\\s*=\\s*([^;\\s]+)");

    private MessageLint() {
    }

    /**
     * @param message the message, or at least its header block
     * @param signers the DKIM signers it will be signed with, if any
     * @return the findings, errors and warnings, in the order of the header block; empty when all is well
     */
    public static List<LintFinding> check(byte[] message, DkimSigner... signers) {
        return new Check(message, signers).run();
    }

    /**
     * Reads only the file's header block (at most {@link #MAX_HEADER_BLOCK_BYTES}). Blocking I/O: for tools that
     * check before sending, not for event loops.
     *
     * @param file the message
     * @param signers the DKIM signers it will be signed with, if any
     * @return the findings
     * @throws UncheckedIOException if the file cannot be read
     */
    public static List<LintFinding> check(Path file, DkimSigner... signers) {
        try (InputStream in = Files.newInputStream(file)) {
            return check(in.readNBytes(MAX_HEADER_BLOCK_BYTES), signers);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /**
     * @param message a built message (its header fields are checked without streaming its parts)
     * @param signers the DKIM signers it will be signed with, if any
     * @return the findings
     */
    public static List<LintFinding> check(ComposedMessage message, DkimSigner... signers) {
        return check(message.header(), signers);
    }

    /** @return whether any finding is an error */
    public static boolean hasErrors(List<LintFinding> findings) {
        return findings.stream().anyMatch(f -> f.severity() == Severity.ERROR);
    }

    /** One check of one header block. */
    private static final class Check {
        private final String text;
        private final DkimSigner[] signers;
        private final List<LintFinding> findings = new ArrayList<>();
        /** Unfolded values by lower-case name, in order. */
        private final Map<String, List<String>> fields = new LinkedHashMap<>();

        Check(byte[] message, DkimSigner[] signers) {
            this.text = new String(message, StandardCharsets.UTF_8);
            this.signers = signers.clone();
        }

        List<LintFinding> run() {
            readFields();
            exactlyOne("From", true);
            exactlyOne("Date", true);
            exactlyOne("Message-ID", true);
            alignment();
            bulk();
            return List.copyOf(findings);
        }

        private void readFields() {
            String current = null;
            StringBuilder value = new StringBuilder();
            int start = 0;
            while (start < text.length()) {
                int lf = text.indexOf('\n', start);
                int end = lf < 0 ? text.length() : lf;
                String line = text.substring(start, end);
                boolean crlf = line.endsWith("\r");
                if (crlf) {
                    line = line.substring(0, line.length() - 1);
                }
                start = end + 1;
                if (line.isEmpty()) {
                    break; // the end of the header block
                }
                String name = line.charAt(0) == ' ' || line.charAt(0) == '\t' ? current
                        : line.substring(0, Math.max(0, line.indexOf(':'))).strip();
                String shown = name == null || name.isEmpty() ? "(header block)" : name;
                if (lf >= 0 && !crlf) {
                    error(shown, "a bare LF ends a line (only CRLF is allowed)");
                }
                if (line.indexOf('\r') >= 0) {
                    error(shown, "a bare CR inside a line");
                }
                int octets = line.getBytes(StandardCharsets.UTF_8).length;
                if (octets > HeaderWriter.MAX_LINE_OCTETS) {
                    error(shown, "a line of " + octets + " octets (RFC 5322 allows 998)");
                } else if (octets > 78) {
                    warning(shown, "a line of " + octets + " octets (RFC 5322 recommends at most 78; fold it)");
                }
                if (line.chars().anyMatch(c -> c >= 128)) {
                    warning(shown, "non-ASCII text: the message needs SMTPUTF8 (or RFC 2047 encoded words)");
                }
                if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                    if (current == null) {
                        error("(header block)", "a continuation line before any field");
                    } else {
                        value.append(' ').append(line.strip());
                    }
                    continue;
                }
                flush(current, value);
                if (line.indexOf(':') <= 0 || !NAME.matcher(name).matches()) {
                    error(shown, "not a header field (name: value): " + line.substring(0, Math.min(40, line.length())));
                    current = null;
                    continue;
                }
                current = name;
                value.setLength(0);
                value.append(line.substring(line.indexOf(':') + 1).strip());
            }
            flush(current, value);
        }

        private void flush(String name, StringBuilder value) {
            if (name != null) {
                fields.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(value.toString());
            }
        }

        private List<String> values(String name) {
            return fields.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
        }

        private void exactlyOne(String name, boolean required) {
            int n = values(name).size();
            if (n == 0 && required) {
                error(name, "missing (exactly one is required)");
            } else if (n > 1) {
                error(name, n + " fields (exactly one is allowed)");
            }
        }

        /** DMARC alignment (relaxed): each signing domain is the From domain or one of its parents. */
        private void alignment() {
            List<String> from = values("From");
            if (from.size() != 1) {
                return;
            }
            String fromDomain = domainOf(from.get(0));
            if (fromDomain == null) {
                error("From", "no address with a domain in " + from.get(0));
                return;
            }
            List<String> domains = new ArrayList<>();
            for (DkimSigner signer : signers) {
                domains.add(signer.domain());
            }
            for (String signature : values("DKIM-Signature")) {
                Matcher d = D_TAG.matcher(signature);
                if (d.find()) {
                    domains.add(d.group(1));
                }
            }
            for (String d : domains) {
                String domain = d.toLowerCase(Locale.ROOT);
                if (!fromDomain.equals(domain) && !fromDomain.endsWith("." + domain)) {
                    error("From", "the DKIM signing domain d=" + domain + " is not aligned with the From domain "
                            + fromDomain + " (DMARC needs the same domain or a parent of it)");
                }
            }
        }

        private void bulk() {
            boolean bulk = values("Precedence").stream().anyMatch(v -> v.equalsIgnoreCase("bulk")
                    || v.equalsIgnoreCase("list")) || !values("List-Id").isEmpty();
            List<String> unsubscribe = values("List-Unsubscribe");
            if (bulk && unsubscribe.isEmpty()) {
                warning("List-Unsubscribe", "missing on bulk mail (Precedence: bulk or List-Id): Gmail and Yahoo "
                        + "require one-click unsubscribe (RFC 8058) of bulk senders");
            }
            List<String> post = values("List-Unsubscribe-Post");
            if (!post.isEmpty() && unsubscribe.stream().noneMatch(v -> v.toLowerCase(Locale.ROOT).contains("<https:"))) {
                error("List-Unsubscribe-Post", "one-click unsubscribe without an https URI in List-Unsubscribe");
            }
            if (bulk && !unsubscribe.isEmpty() && post.isEmpty()) {
                warning("List-Unsubscribe-Post", "missing on bulk mail: without it there is no one-click unsubscribe");
            }
        }

        private static String domainOf(String from) {
            String address = from;
            int open = from.lastIndexOf('<');
            if (open >= 0 && from.indexOf('>', open) > open) {
                address = from.substring(open + 1, from.indexOf('>', open));
            }
            int at = address.lastIndexOf('@');
            String domain = at < 0 ? "" : address.substring(at + 1).strip();
            return domain.isEmpty() || domain.contains(" ") ? null : domain.toLowerCase(Locale.ROOT);
        }

        private void error(String header, String message) {
            findings.add(new LintFinding(Severity.ERROR, header, message));
        }

        private void warning(String header, String message) {
            findings.add(new LintFinding(Severity.WARNING, header, message));
        }
    }
}
