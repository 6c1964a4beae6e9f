package io.reactivesmtp.cli;

import io.reactivesmtp.Credentials;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsOptions;
import io.reactivesmtp.TlsPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * The TLS and AUTH options shared by the subcommands that talk to a server ({@code send}, {@code bulk}):
 * {@code --tls}, {@code --trust-pem}, {@code --user} and {@code --password-env}. A picocli mixin:
 *
 * <pre>{@code
 * @Mixin
 * private SecurityOptions security;
 * ...
 * security.applyTo(sessionBuilder, System::getenv);   // IllegalArgumentException naming the option
 * }</pre>
 *
 * <p>The password is only ever read from the environment variable named by {@code --password-env} and never
 * appears in a message, not even when it was typed in place of the variable's name.
 */
public final class SecurityOptions {

    /** An environment variable name as shells write them; anything else is probably not a name. */
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    @Option(names = "--tls", paramLabel = "none|opportunistic|required|implicit", defaultValue = "required",
            converter = SendCommand.TlsPolicyConverter.class,
            description = "none: plaintext; opportunistic: STARTTLS when offered; required: STARTTLS or fail "
                    + "before MAIL; implicit: TLS from the first byte (port 465). Default: required.")
    private TlsPolicy tls = TlsPolicy.REQUIRED;

    @Option(names = "--trust-pem", paramLabel = "FILE",
            description = "PEM CA certificates to verify the server against, instead of the JDK trust store.")
    private Path trustPem;

    @Option(names = "--user", paramLabel = "USER", description = "Authenticate (AUTH) as USER; needs --password-env.")
    private String user;

    @Option(names = "--password-env", paramLabel = "VARNAME",
            description = "The name of the environment variable holding the password; needs --user.")
    private String passwordEnv;

    /** Creates the mixin; picocli fills in its options. */
    public SecurityOptions() {
    }

    /** @return the TLS policy of {@code --tls} (default required) */
    public TlsPolicy tls() {
        return tls;
    }

    /** @return whether {@code --trust-pem}, {@code --user} or {@code --password-env} was given */
    public boolean trustOrCredentialsGiven() {
        return trustPem != null || user != null || passwordEnv != null;
    }

    /**
     * Checks the options and sets TLS and credentials on a session builder.
     *
     * @param session the builder to configure
     * @param env looks up an environment variable (System::getenv, or a map in tests)
     * @throws IllegalArgumentException with one line naming the option (and never the password)
     */
    public void applyTo(SmtpSessionOptions.Builder session, Function<String, String> env) {
        session.credentials(credentials(env));
        TlsOptions.Builder tlsOptions = TlsOptions.builder().policy(tls);
        if (trustPem != null) {
            if (!Files.isRegularFile(trustPem) || !Files.isReadable(trustPem)) {
                throw new IllegalArgumentException("--trust-pem: " + ReportPrinter.oneLine(trustPem.toString())
                        + " is not a readable file");
            }
            tlsOptions.trustPem(trustPem);
        }
        try {
            session.tls(tlsOptions.build());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((trustPem != null ? "--trust-pem: " : "--tls: ") + e.getMessage(), e);
        }
    }

    /** The credentials of --user and --password-env, or null; the password itself is never shown. */
    private Credentials credentials(Function<String, String> env) {
        if (user == null && passwordEnv == null) {
            return null;
        }
        if (user == null) {
            throw new IllegalArgumentException("--password-env needs --user: give both or neither");
        }
        if (passwordEnv == null) {
            throw new IllegalArgumentException("--user needs --password-env VARNAME, the environment variable "
                    + "holding the password");
        }
        if (!ENV_NAME.matcher(passwordEnv).matches()) {
            // Maybe the password itself was typed here: never echo it.
            throw new IllegalArgumentException("--password-env expects the name of an environment variable "
                    + "(letters, digits and _), not the password itself");
        }
        if (tls == TlsPolicy.NONE) {
            throw new IllegalArgumentException("--user with --tls none would send the password in plaintext: "
                    + "use --tls required, opportunistic or implicit");
        }
        String password = env.apply(passwordEnv);
        if (password == null || password.isEmpty()) {
            throw new IllegalArgumentException("--password-env: environment variable " + passwordEnv
                    + " is not set or is empty");
        }
        try {
            return Credentials.password(user, password);
        } catch (IllegalArgumentException e) {
            // Credentials' messages show the user name escaped and never the password.
            String option = e.getMessage() != null && e.getMessage().contains("password")
                    ? "--password-env " + passwordEnv : "--user";
            throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
        }
    }
}
