package io.reactivesmtp.dkim;

/** How headers or the body are canonicalised before hashing (RFC 6376 section 3.4). */
public enum DkimCanonicalization {
    /** Bytes as they are, except that empty lines at the end of the body are ignored. */
    SIMPLE("simple"),
    /** Tolerates whitespace changes and header re-folding in transit; the usual choice and the default. */
    RELAXED("relaxed");

    private final String tag;

    DkimCanonicalization(String tag) {
        this.tag = tag;
    }

    /** @return the name used in the {@code c=} tag */
    public String tag() {
        return tag;
    }
}
