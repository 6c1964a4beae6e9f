package io.reactivesmtp;

import io.reactivesmtp.internal.SafeText;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * What the client proves its identity with in SMTP AUTH (RFC 4954): a user name and either a password
 * (for PLAIN, LOGIN, CRAM-MD5) or a source of OAuth 2.0 bearer tokens (for XOAUTH2 and OAUTHBEARER, RFC 7628).
 * Immutable and validated when built.
 *
 * <pre>{@code
 * Credentials c = Credentials.password("alice", "s3cret");
 * Credentials forced = c.withMechanism("login");         // mechanism() is Optional[LOGIN]
 * Credentials o = Credentials.oauth2("alice@example.com", tokens::fetch);
 * Credentials r = Credentials.oauth2("alice@example.com", TokenProvider.cached(tokens::fetch)); // refresh on 535
 * c.toString();                                         // "Credentials[user=alice, password=<redacted>]"
 * }</pre>
 *
 * <p>Secrets never leave this object through {@link #toString()} or an exception message; the only ways to
 * read them are {@link #revealPassword()}, {@link #tokenSupplier()} and {@link #tokenProvider()}, meant for the
 * protocol engine.
 * Equality is identity: two credentials are never compared by their secret.
 */
public final class Credentials {

    /** The mechanisms a caller may force, in the order they are listed in error messages. */
    private static final List<String> SUPPORTED_MECHANISMS = List.of("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2",
            "OAUTHBEARER");
    /** The mechanisms that carry a bearer token instead of a password. */
    private static final List<String> TOKEN_MECHANISMS = List.of("XOAUTH2", "OAUTHBEARER");

    private final String username;
    private final String password;
    private final Supplier<CompletionStage<String>> tokenSupplier;
    private final TokenProvider tokenProvider;
    private final String mechanism;

    private Credentials(String username, String password, Supplier<CompletionStage<String>> tokenSupplier,
            TokenProvider tokenProvider, String mechanism) {
        this.username = username;
        this.password = password;
        this.tokenSupplier = tokenSupplier;
        this.tokenProvider = tokenProvider;
        this.mechanism = mechanism;
    }

    /**
     * Credentials for the password mechanisms (PLAIN, LOGIN, CRAM-MD5).
     *
     * @param username the authentication identity: not empty, no control characters
     * @param password the password: not null, no NUL, CR or LF (may be empty)
     * @return the credentials, with no mechanism forced
     * @throws IllegalArgumentException if either is invalid; the message shows the user name escaped and
     *     never shows the password
     */
    public static Credentials password(String username, String password) {
        checkUsername(username);
        checkPassword(password);
        return new Credentials(username, password, null, null, null);
    }

    /**
     * Credentials for XOAUTH2 or OAUTHBEARER. The supplier is called once per authentication, so it can hand out a
     * refreshed token each time; it should complete with the bare token (no {@code "Bearer "} prefix). When the
     * server refuses a token (535), the supplier is called once more and the AUTH retried once on the same
     * connection. To share one token between connections and refresh it only when it is refused, pass a
     * {@link TokenProvider#cached cached} {@link TokenProvider} instead.
     *
     * @param username the user the token was issued for: not empty, no control characters
     * @param tokenSupplier fetches a current bearer token
     * @return the credentials, with no mechanism forced
     * @throws IllegalArgumentException if the user name is invalid or the supplier is null
     */
    public static Credentials oauth2(String username, Supplier<CompletionStage<String>> tokenSupplier) {
        checkUsername(username);
        if (tokenSupplier == null) {
            throw new IllegalArgumentException("invalid credentials for user " + MailAddress.show(username)
                    + ": token supplier is null");
        }
        return new Credentials(username, null, tokenSupplier, TokenProvider.uncached(tokenSupplier), null);
    }

    /**
     * Credentials for XOAUTH2 or OAUTHBEARER with a token provider: each authentication asks it for a token; a token
     * the server refuses (535, or an error challenge then a failure) is {@link TokenProvider#invalidate
     * invalidated} and the AUTH retried once with a fresh one. A second refusal fails the session with a
     * non-retryable {@link SmtpAuthenticationException}.
     *
     * <pre>{@code
     * TokenProvider tokens = TokenProvider.cached(() -> oauthClient.fetchAccessToken()); // one refresh at a time
     * Credentials c = Credentials.oauth2("alice@example.com", tokens);
     * }</pre>
     *
     * @param username the user the token was issued for: not empty, no control characters
     * @param tokenProvider gives current tokens and forgets refused ones
     * @return the credentials, with no mechanism forced
     * @throws IllegalArgumentException if the user name is invalid or the provider is null
     */
    public static Credentials oauth2(String username, TokenProvider tokenProvider) {
        checkUsername(username);
        if (tokenProvider == null) {
            throw new IllegalArgumentException("invalid credentials for user " + MailAddress.show(username)
                    + ": token provider is null");
        }
        return new Credentials(username, null, tokenProvider::token, tokenProvider, null);
    }

    /**
     * Forces one SASL mechanism instead of letting the client choose the strongest the server offers. If
     * the server does not advertise it, authentication fails rather than falling back to another.
     *
     * @param mechanism PLAIN, LOGIN or CRAM-MD5 for password credentials, XOAUTH2 or OAUTHBEARER for OAuth 2.0
     *     credentials; any case
     * @return a copy of these credentials with the mechanism forced (upper case)
     * @throws IllegalArgumentException if the mechanism is unknown or does not fit the kind of credentials
     */
    public Credentials withMechanism(String mechanism) {
        if (mechanism == null) {
            throw new IllegalArgumentException("SASL mechanism is null; supported: "
                    + String.join(", ", SUPPORTED_MECHANISMS));
        }
        String upper = mechanism.toUpperCase(Locale.ROOT);
        if (!SUPPORTED_MECHANISMS.contains(upper)) {
            throw new IllegalArgumentException("unsupported SASL mechanism " + MailAddress.show(mechanism)
                    + "; supported: " + String.join(", ", SUPPORTED_MECHANISMS));
        }
        // The mechanism decides which secret is sent: a password never goes out through a token mechanism and a
        // token never through a password mechanism.
        if (isOAuth2() && !TOKEN_MECHANISMS.contains(upper)) {
            throw new IllegalArgumentException("SASL mechanism " + upper
                    + " needs password credentials; OAuth 2.0 credentials for user " + MailAddress.show(username)
                    + " can only use XOAUTH2 or OAUTHBEARER");
        }
        if (!isOAuth2() && TOKEN_MECHANISMS.contains(upper)) {
            throw new IllegalArgumentException("SASL mechanism " + upper + " needs OAuth 2.0 credentials"
                    + " (Credentials.oauth2); password credentials for user " + MailAddress.show(username)
                    + " can use PLAIN, LOGIN or CRAM-MD5");
        }
        return new Credentials(username, password, tokenSupplier, tokenProvider, upper);
    }

    /** @return the authentication identity */
    public String username() {
        return username;
    }

    /** @return the mechanism forced by {@link #withMechanism(String)} (upper case), if any */
    public Optional<String> mechanism() {
        return Optional.ofNullable(mechanism);
    }

    /** @return true for {@link #oauth2} credentials, false for {@link #password} credentials */
    public boolean isOAuth2() {
        return tokenSupplier != null;
    }

    /**
     * The password in clear text. <strong>For the protocol engine only</strong>: whatever calls this must
     * never log, print or put the result in an exception message.
     *
     * @return the password
     * @throws IllegalStateException for OAuth 2.0 credentials, which have no password
     */
    public String revealPassword() {
        if (password == null) {
            throw new IllegalStateException("OAuth 2.0 credentials for user " + MailAddress.show(username)
                    + " have no password");
        }
        return password;
    }

    /**
     * The bearer-token supplier. <strong>For the protocol engine only</strong>: the tokens it yields are
     * secrets, never to be logged or put in an exception message.
     *
     * @return the supplier given to {@link #oauth2}
     * @throws IllegalStateException for password credentials, which have no token supplier
     */
    public Supplier<CompletionStage<String>> tokenSupplier() {
        if (tokenSupplier == null) {
            throw new IllegalStateException("password credentials for user " + MailAddress.show(username)
                    + " have no token supplier");
        }
        return tokenSupplier;
    }

    /**
     * The token provider the protocol engine authenticates with: the one given to {@link #oauth2(String,
     * TokenProvider)}, or for {@link #oauth2(String, Supplier)} one that calls the supplier each time and forgets
     * nothing. <strong>For the protocol engine only</strong>: its tokens are secrets.
     *
     * @return the provider
     * @throws IllegalStateException for password credentials
     */
    public TokenProvider tokenProvider() {
        if (tokenProvider == null) {
            throw new IllegalStateException("password credentials for user " + MailAddress.show(username)
                    + " have no token provider");
        }
        return tokenProvider;
    }

    /**
     * @return {@code Credentials[user=alice, password=<redacted>]} or {@code Credentials[user=alice, oauth2]},
     *     with the forced mechanism when there is one; never a secret. The user name is escaped.
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Credentials[user=").append(SafeText.escape(username));
        sb.append(isOAuth2() ? ", oauth2" : ", password=<redacted>");
        if (mechanism != null) {
            sb.append(", mechanism=").append(mechanism);
        }
        return sb.append(']').toString();
    }

    // ---------------------------------------------------------------------------------------------------
    // validation

    private static void checkUsername(String username) {
        if (username == null) {
            throw new IllegalArgumentException("invalid SMTP AUTH user name null: is null");
        }
        if (username.isEmpty()) {
            throw invalidUsername(username, "is empty");
        }
        // CR, LF and NUL first: they are the dangerous ones (NUL is the PLAIN separator), so they are the
        // reason given even when another fault comes earlier.
        for (int i = 0; i < username.length(); i++) {
            char c = username.charAt(i);
            if (c == '\r') {
                throw invalidUsername(username, "contains CR");
            }
            if (c == '\n') {
                throw invalidUsername(username, "contains LF");
            }
            if (c == 0) {
                throw invalidUsername(username, "contains NUL");
            }
        }
        for (int i = 0; i < username.length(); i++) {
            char c = username.charAt(i);
            // U+0001 is the XOAUTH2 separator; U+2028/U+2029 split log lines in some consoles.
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
                throw invalidUsername(username, "contains control character " + String.format("U+%04X", (int) c));
            }
            if (isUnpairedSurrogate(username, i)) {
                // It would be sent as '?' in UTF-8, i.e. as another user.
                throw invalidUsername(username, "contains an unpaired surrogate");
            }
        }
    }

    private static void checkPassword(String password) {
        // The password itself is never shown, not even escaped or in part.
        if (password == null) {
            throw new IllegalArgumentException("invalid SMTP AUTH password: is null");
        }
        for (int i = 0; i < password.length(); i++) {
            char c = password.charAt(i);
            if (c == 0 || c == '\r' || c == '\n') {
                // NUL is the PLAIN separator; CR/LF could end the AUTH line in a careless encoder.
                throw new IllegalArgumentException("invalid SMTP AUTH password: password contains a control"
                        + " character (NUL, CR or LF)");
            }
            if (isUnpairedSurrogate(password, i)) {
                // UTF-8 would silently turn it into '?', so the server would get another password.
                throw new IllegalArgumentException("invalid SMTP AUTH password: password contains an unpaired"
                        + " surrogate and cannot be encoded as UTF-8");
            }
        }
    }

    private static boolean isUnpairedSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
        }
        return false;
    }

    private static IllegalArgumentException invalidUsername(String username, String reason) {
        return new IllegalArgumentException("invalid SMTP AUTH user name " + MailAddress.show(username) + ": "
                + reason);
    }
}
