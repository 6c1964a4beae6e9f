package io.reactivesmtp;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;

/**
 * Which TLS implementation a {@link TlsOptions} uses: the JDK's own, or OpenSSL (BoringSSL) through
 * {@code netty-tcnative}, which is faster and allocates less but needs the optional
 * {@code io.netty:netty-tcnative-boringssl-static} dependency on the class path.
 */
public enum TlsProvider {

    /** OpenSSL when {@link OpenSsl#isAvailable()} says it can be loaded, the JDK's TLS otherwise. The default. */
    AUTO("auto"),

    /** The JDK's {@code SSLEngine}; always available. */
    JDK("JDK"),

    /** OpenSSL through netty-tcnative; {@link TlsOptions.Builder#build()} fails when it cannot be loaded. */
    OPENSSL("OpenSSL");

    private final String displayName;

    TlsProvider(String displayName) {
        this.displayName = displayName;
    }

    /** @return the name used in reports and messages: {@code "JDK"}, {@code "OpenSSL"} or {@code "auto"} */
    public String displayName() {
        return displayName;
    }

    /**
     * Resolves {@link #AUTO} to the provider it stands for on this JVM.
     *
     * @return {@link #JDK} or {@link #OPENSSL}; never {@link #AUTO}
     */
    public TlsProvider resolve() {
        if (this != AUTO) {
            return this;
        }
        return OpenSsl.isAvailable() ? OPENSSL : JDK;
    }

    /** The Netty provider of a resolved value; OPENSSL (not OPENSSL_REFCNT) so that contexts free themselves. */
    SslProvider toNetty() {
        switch (resolve()) {
            case OPENSSL:
                return SslProvider.OPENSSL;
            case JDK:
                return SslProvider.JDK;
            default:
                throw new AssertionError(this);
        }
    }
}
