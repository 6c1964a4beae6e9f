package io.reactivesmtp.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code reactive-smtp} command-line program. Each subcommand is a class of its own listed in
 * {@code subcommands}: {@link BulkCommand}, {@link SendCommand}, {@link ProbeCommand} and {@link DemoCommand}.
 *
 * <pre>{@code
 * bin/reactive-smtp demo                 # embedded server, 4 recipients, exit status 3 (partial)
 * bin/reactive-smtp demo --json
 * bin/reactive-smtp demo --server 127.0.0.1:2525 --to me@example.com
 * SMTP_PASSWORD=... bin/reactive-smtp send --server smtp.example.com:587 --from me@example.com \
 *     --to you@example.com --user me --password-env SMTP_PASSWORD --body message.eml
 * }</pre>
 *
 * <p>Exit status, shared by every subcommand: see {@link ExitCodes}.
 */
@Command(name = "reactive-smtp",
        mixinStandardHelpOptions = true,
        versionProvider = Main.VersionProvider.class,
        description = "A non-blocking SMTP client for the JVM, from the command line.",
        subcommands = {
            DemoCommand.class,
            SendCommand.class,
            BulkCommand.class,
            ProbeCommand.class,
            EnqueueCommand.class,
            WorkerCommand.class,
            CommandLine.HelpCommand.class
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            ExitCodes.OK_TEXT,
            ExitCodes.USAGE_TEXT,
            ExitCodes.PARTIAL_TEXT,
            ExitCodes.FAILED_TEXT
        })
public final class Main implements Runnable {

    @Spec
    private CommandSpec spec;

    /** Creates the top-level command; picocli fills in its fields. */
    public Main() {
    }

    /**
     * Runs the program and exits with its status.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    /** Without a subcommand: a usage error (status 2) that lists the subcommands. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /** The version from the jar manifest ({@code Implementation-Version}), or "development" outside a jar. */
    public static final class VersionProvider implements CommandLine.IVersionProvider {

        /** Creates the provider (picocli instantiates it). */
        public VersionProvider() {
        }

        /**
         * @return the version lines shown by {@code --version}
         */
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {
                "reactive-smtp " + (version == null ? "(development build)" : version),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"
            };
        }
    }
}
