package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.reactor.SmtpEventListener;
import java.util.function.Consumer;

/** Calls the user's {@link SmtpEventListener} so that a listener that throws can never break sending. */
public final class SafeListener {

    private final SmtpEventListener listener;

    /** @param listener the user's listener */
    public SafeListener(SmtpEventListener listener) {
        this.listener = listener;
    }

    /** @param event calls one hook of the listener; whatever it throws is dropped (there is no logger yet) */
    public void fire(Consumer<SmtpEventListener> event) {
        if (listener == SmtpEventListener.NONE) {
            return;
        }
        try {
            event.accept(listener);
        } catch (RuntimeException | LinkageError ignored) {
            // A listener's bug must not fail a send or leak a connection.
        }
    }
}
