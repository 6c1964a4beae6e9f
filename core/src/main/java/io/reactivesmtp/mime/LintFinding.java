package io.reactivesmtp.mime;

import java.util.Objects;

/**
 * One finding of {@link MessageLint}: what is wrong or unwise, and in which header field.
 *
 * @param severity {@link Severity#ERROR}: receivers reject or mistrust such mail; {@link Severity#WARNING}:
 *                 it goes, but worse
 * @param header the field concerned (e.g. {@code From}), or {@code "(header block)"}
 * @param message what is the matter
 */
public record LintFinding(Severity severity, String header, String message) {

    /** How bad a finding is. */
    public enum Severity {
        /** Mail that should not be sent as it is. */
        ERROR,
        /** Mail that goes, but worse (spam folders, rejected by some receivers). */
        WARNING
    }

    /** Checks the components. */
    public LintFinding {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return severity + " " + header + ": " + message;
    }
}
