package io.reactivesmtp.interop;

import org.junit.jupiter.api.BeforeAll;

/**
 * The ESMTP extensions against Postfix (interop/postfix/start.sh): its plain port (2525) offers PIPELINING,
 * SIZE 52428800, 8BITMIME, DSN, SMTPUTF8 and CHUNKING; its SMALL_SIZE_PORT (2528) SIZE 10240; its STARTTLS port
 * (2526) has no REQUIRETLS. Postfix does not offer PRDR.
 */
class PostfixExtensionsInteropIT extends ExtensionsInteropTests {

    private static PostfixInstance postfix;

    @BeforeAll
    static void findPostfix() {
        postfix = PostfixInstance.fromSystemProperties();
    }

    @Override
    MtaInstance mta() {
        return postfix;
    }
}
