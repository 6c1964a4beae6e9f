package io.reactivesmtp.cli;

import io.reactivesmtp.SendReport;

/**
 * The exit status of every {@code reactive-smtp} subcommand, so that scripts can tell a partial delivery from
 * a failure.
 */
public final class ExitCodes {

    /** Every recipient was accepted. */
    public static final int OK = 0;
    /** The command line was invalid (picocli's default for usage errors); nothing was sent. */
    public static final int USAGE = 2;
    /** Some recipients were accepted, others were refused. */
    public static final int PARTIAL = 3;
    /** No recipient was accepted, or no verdict could be had (connection, TLS, timeout, protocol error). */
    public static final int FAILED = 4;

    /** Help text for {@link #OK}. */
    static final String OK_TEXT = "0:every recipient accepted";
    /** Help text for {@link #USAGE}. */
    static final String USAGE_TEXT = "2:usage error (invalid option, address or server); nothing sent";
    /** Help text for {@link #PARTIAL}. */
    static final String PARTIAL_TEXT = "3:some recipients accepted, some refused (what `demo` shows)";
    /** Help text for {@link #FAILED}. */
    static final String FAILED_TEXT = "4:no recipient accepted, or no verdict (connection, timeout, ...)";

    private ExitCodes() {
    }

    /**
     * The exit status for a report the server gave a verdict on.
     *
     * @param report the report
     * @return {@link #OK}, {@link #PARTIAL} or {@link #FAILED}
     */
    public static int of(SendReport report) {
        switch (report.outcome()) {
            case DELIVERED:
                return OK;
            case PARTIAL:
                return PARTIAL;
            default:
                return FAILED;
        }
    }
}
