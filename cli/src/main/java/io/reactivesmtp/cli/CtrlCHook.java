package io.reactivesmtp.cli;

/**
 * The Ctrl-C (SIGINT, SIGTERM) handling of {@code bulk} and {@code worker}: a shutdown hook that asks the run to stop
 * and waits for it to finish, removed when the run ends by itself.
 */
final class CtrlCHook {

    private CtrlCHook() {
    }

    /**
     * Installs the hook.
     *
     * @param name the hook thread's name
     * @param onSignal what it does: stop the run, wait for its summary (and, for {@code bulk}, halt with its status)
     * @return the hook, for {@link #remove}
     */
    static Thread install(String name, Runnable onSignal) {
        Thread hook = new Thread(onSignal, name);
        Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }

    /**
     * Removes the hook after a run that ended by itself.
     *
     * @param hook the hook, or null when none was installed
     */
    static void remove(Thread hook) {
        if (hook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // Shutting down (Ctrl-C): the hook waits for the run to finish.
        }
    }
}
