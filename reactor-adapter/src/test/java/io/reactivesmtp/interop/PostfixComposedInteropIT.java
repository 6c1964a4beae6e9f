package io.reactivesmtp.interop;

import org.junit.jupiter.api.BeforeAll;

/** Built messages with attachments through Postfix (interop/postfix/start.sh): see {@link ComposedInteropTests}. */
class PostfixComposedInteropIT extends ComposedInteropTests {

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
