package io.reactivesmtp.dkim;

/** Folds a header field at atom boundaries so that lines stay within 76 characters where possible. */
final class HeaderFolder {

    /** The line length a folded field keeps to where it can (RFC 5322 2.1.1 recommends 78). */
    private static final int LINE = 76;

    private final StringBuilder text;
    private int lineLength;

    HeaderFolder(String start) {
        text = new StringBuilder(start);
        lineLength = start.length();
    }

    void atom(String gap, String atom) {
        if (lineLength + gap.length() + atom.length() > LINE && lineLength > 1) {
            text.append("\r\n ");
            lineLength = 1;
        } else {
            text.append(gap);
            lineLength += gap.length();
        }
        text.append(atom);
        lineLength += atom.length();
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
