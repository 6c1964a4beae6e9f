package io.reactivesmtp.cli;

import java.util.Objects;

/**
 * A {@code HOST:PORT} given on the command line, such as {@code 127.0.0.1:2525}, {@code smtp.example.com:587}
 * or {@code [::1]:25}.
 *
 * @param host the host name or address (an IPv6 address without its brackets)
 * @param port the port, 1 to 65535
 */
public record ServerAddress(String host, int port) {

    /**
     * Validates the parts.
     *
     * @param host the host name or address
     * @param port the port
     * @throws IllegalArgumentException if the host is empty or has spaces or control characters, or the port
     *     is out of range
     */
    public ServerAddress {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty() || host.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            throw new IllegalArgumentException("invalid host " + CliJson.quote(host));
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid port " + port + ": expected 1-65535");
        }
    }

    /**
     * Parses {@code HOST:PORT}.
     *
     * @param text the option value
     * @return the address
     * @throws IllegalArgumentException naming the input when it is not {@code HOST:PORT} with a port 1 to 65535
     */
    public static ServerAddress parse(String text) {
        if (text == null) {
            throw invalid(null, "expected HOST:PORT", null);
        }
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw invalid(text, "expected HOST:PORT, e.g. 127.0.0.1:2525", null);
        }
        String host = text.substring(0, colon);
        String portText = text.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]") && host.length() > 2) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw invalid(text, "write an IPv6 address in brackets, e.g. [::1]:25", null);
        }
        if (!portText.chars().allMatch(c -> c >= '0' && c <= '9') || portText.length() > 5) {
            throw invalid(text, "port must be a number 1-65535", null);
        }
        int port = Integer.parseInt(portText);
        try {
            return new ServerAddress(host, port);
        } catch (IllegalArgumentException e) {
            throw invalid(text, e.getMessage(), e);
        }
    }

    /** The error naming the input, quoted only then (CliJson's first use loads jackson-databind: see JsonLines). */
    private static IllegalArgumentException invalid(String text, String why, Throwable cause) {
        return new IllegalArgumentException("invalid server " + CliJson.quote(text == null ? "" : text) + ": " + why,
                cause);
    }

    /**
     * @return {@code host:port}, with brackets around an IPv6 address
     */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
