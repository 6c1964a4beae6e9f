package io.reactivesmtp.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code reactive-smtp} command-line program. Each subcommand is a class of its own listed in
 * {@code subcommands}: {@link BulkCommand}, {@link SendCommand}, {@link ProbeCommand}, {@link DemoCommand},
 * {@link EnqueueCommand}, {@link WorkerCommand} and {@link BouncesCommand}.
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
            BouncesCommand.class,
            Main.VersionCommand.class,
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
        quietNetty();
        System.exit(commandLine().execute(args));
    }

    /**
     * Netty's JFR events (buffer allocations) off unless {@code -Dio.netty.jfr.enabled} says otherwise: the program
     * does not use them, and registering them at the first buffer (some 100 JFR classes, dynamic proxies, generated
     * bytecode) cost every run about 0.15 s of start-up wall time and 0.35 s of CPU (a bulk of 1,000 recipients).
     */
    static void quietNetty() {
        if (System.getProperty(NETTY_JFR) == null) {
            System.setProperty(NETTY_JFR, "false");
        }
    }

    /** Netty's switch for its JFR events. */
    static final String NETTY_JFR = "io.netty.jfr.enabled";

    /**
     * The program's command line, with its short usage errors: one line saying what is wrong, a suggestion when an
     * unknown option is close to a real one, and where the help is, instead of the whole usage text.
     *
     * @return a new command line for {@link Main}
     */
    public static CommandLine commandLine() {
        return new CommandLine(new Main()).setParameterExceptionHandler(Main::usageError);
    }

    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        CommandSpec spec = cmd.getCommandSpec();
        String message = e.getMessage();
        if (spec.parent() == null && message.startsWith("Missing required subcommand")) {
            message += " (one of: " + String.join(", ", cmd.getSubcommands().keySet()) + ")";
        }
        err.println(spec.qualifiedName() + ": " + message);
        if (e instanceof CommandLine.UnmatchedArgumentException u) {
            for (String arg : u.getUnmatched()) {
                String near = nearestOption(arg, spec);
                if (near != null) {
                    err.println("did you mean " + near + "?");
                }
            }
        }
        err.println("see `" + spec.root().name() + " help" + (spec.parent() == null ? "" : " " + spec.name())
                + "`");
        err.flush();
        return spec.exitCodeOnInvalidInput();
    }

    /** The option an unknown {@code --name} was probably meant to be: at most 2 edits away, or null. */
    static String nearestOption(String arg, CommandSpec spec) {
        if (!arg.startsWith("-")) {
            return null;
        }
        String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
        String best = null;
        int bestDistance = Math.min(2, Math.max(1, name.length() / 4)) + 1;
        for (CommandLine.Model.OptionSpec option : spec.options()) {
            for (String candidate : option.names()) {
                int d = editDistance(name, candidate);
                if (d < bestDistance) {
                    bestDistance = d;
                    best = candidate;
                }
            }
        }
        return best;
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1),
                        prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Without a subcommand: a usage error (status 2) that lists the subcommands. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /** {@code reactive-smtp version}: what {@code --version} prints. */
    @Command(name = "version", description = "Print the version (as --version does).")
    public static final class VersionCommand implements Callable<Integer> {

        @Spec
        private CommandSpec spec;

        /** Creates the command (picocli instantiates it). */
        public VersionCommand() {
        }

        /** @return 0, after printing the version lines */
        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            for (String line : new VersionProvider().getVersion()) {
                out.println(line);
            }
            out.flush();
            return ExitCodes.OK;
        }
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
