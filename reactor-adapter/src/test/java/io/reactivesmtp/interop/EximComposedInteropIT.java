package io.reactivesmtp.interop;

import org.junit.jupiter.api.BeforeAll;

/** Built messages with attachments through Exim (interop/exim/start.sh): see {@link ComposedInteropTests}. */
class EximComposedInteropIT extends ComposedInteropTests {

    private static EximInstance exim;

    @BeforeAll
    static void findExim() {
        exim = EximInstance.fromSystemProperties();
    }

    @Override
    MtaInstance mta() {
        return exim;
    }
}
