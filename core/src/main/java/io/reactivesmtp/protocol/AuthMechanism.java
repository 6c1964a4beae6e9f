package io.reactivesmtp.protocol;

import io.reactivesmtp.Credentials;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One SASL exchange of SMTP AUTH (RFC 4954) as a small state machine, without I/O: the session sends
 * {@code AUTH <name> [<initial response>]}, then for every {@code 334} reply sends what {@link #respond}
 * returns, until the server answers 235 (success) or 4xx/5xx (failure).
 *
 * <pre>{@code
 * AuthMechanism m = AuthMechanism.choose(credentials, capabilities.authMechanisms(), null);
 * String first = m.initialResponse();           // "AUTH PLAIN " + first, or just "AUTH LOGIN" when null
 * // on "334 <challenge>":
 * try {
 *     send(m.respond(challenge));
 * } catch (AuthAbortedException e) {
 *     send("*");                                // RFC 4954: cancel the exchange
 * }
 * }</pre>
 *
 * <p>An instance serves one exchange and is not thread-safe; the session drives it from its event loop.
 * Instances hold secrets but never show them: {@link #toString()} gives the mechanism and user name only.
 * Every string returned is base64 (ASCII), so nothing the user or server supplies can reach the command
 * line unencoded.
 */
public abstract class AuthMechanism {

    /** The session gives up (answers {@code *}) after this many 334 challenges in one exchange. */
    public static final int MAX_ROUNDS = 5;

    /** Preference order when no mechanism is forced: the first one both sides allow wins. */
    private static final List<String> PASSWORD_PREFERENCE = List.of("CRAM-MD5", "PLAIN", "LOGIN");
    private static final List<String> TOKEN_PREFERENCE = List.of("XOAUTH2", "OAUTHBEARER");

    private final String name;
    final String username;
    /** The password, or XOAUTH2's bearer token: never shown. */
    final String secret;
    /** How many challenges this exchange has answered (or refused). */
    int rounds;

    AuthMechanism(String name, String username, String secret) {
        this.name = name;
        this.username = username;
        this.secret = secret;
    }

    /** @return the SASL mechanism name as sent after {@code AUTH}, such as {@code PLAIN} */
    public final String name() {
        return name;
    }

    /**
     * The base64 initial response to put on the AUTH line (RFC 4954 section 4), or null to wait for a 334.
     *
     * @return the initial response, or null when the mechanism starts with a server challenge
     */
    public String initialResponse() {
        return null; // LOGIN and CRAM-MD5 start with the server's challenge
    }

    /**
     * Answers one 334 challenge.
     *
     * @param challengeBase64 the text of the 334 reply: the base64 challenge, possibly empty (null is
     *     taken as empty); surrounding spaces are ignored
     * @return the line to send back, in base64, possibly the empty string
     * @throws AuthAbortedException when the challenge is not valid base64, makes no sense for the
     *     mechanism, or the mechanism expects no further round; the caller then sends {@code *}
     */
    public abstract String respond(String challengeBase64);

    /**
     * Chooses the mechanism for these credentials among those the server advertised.
     *
     * <p>A mechanism forced with {@link Credentials#withMechanism(String)} is used only if the server
     * advertises it (no silent fallback to another). Otherwise the strongest both allow, in this order:
     * XOAUTH2 then OAUTHBEARER (OAuth 2.0 credentials only: XOAUTH2 first because every provider that offers
     * OAUTHBEARER also offers XOAUTH2, not the other way round), CRAM-MD5, PLAIN, LOGIN (password credentials only).
     *
     * @param credentials the user's credentials
     * @param serverMechanisms the mechanisms from the EHLO {@code AUTH} keyword (compared ignoring case)
     * @param token the already-fetched bearer token for OAuth 2.0 credentials; ignored (may be null) for
     *     password credentials
     * @return a fresh exchange, or null if no mechanism fits
     * @throws IllegalArgumentException when XOAUTH2 or OAUTHBEARER is chosen and the token is null, empty or
     *     contains a control character or space (the message never shows the token)
     */
    public static AuthMechanism choose(Credentials credentials, Set<String> serverMechanisms, String token) {
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(serverMechanisms, "serverMechanisms");
        String chosen = null;
        if (credentials.mechanism().isPresent()) {
            String forced = credentials.mechanism().get();
            if (advertises(serverMechanisms, forced)) {
                chosen = forced;
            }
        } else if (credentials.isOAuth2()) {
            for (String candidate : TOKEN_PREFERENCE) {
                if (advertises(serverMechanisms, candidate)) {
                    chosen = candidate;
                    break;
                }
            }
        } else {
            for (String candidate : PASSWORD_PREFERENCE) {
                if (advertises(serverMechanisms, candidate)) {
                    chosen = candidate;
                    break;
                }
            }
        }
        if (chosen == null) {
            return null;
        }
        switch (chosen) {
            case "XOAUTH2":
                checkToken(chosen, token);
                return new XOAuth2(credentials.username(), token);
            case "OAUTHBEARER":
                checkToken(chosen, token);
                return new OAuthBearer(credentials.username(), token);
            case "CRAM-MD5":
                return new CramMd5(credentials.username(), credentials.revealPassword());
            case "PLAIN":
                return new Plain(credentials.username(), credentials.revealPassword());
            case "LOGIN":
                return new Login(credentials.username(), credentials.revealPassword());
            default:
                // Credentials.withMechanism only lets the four names above through.
                throw new IllegalStateException("unsupported SASL mechanism " + chosen);
        }
    }

    /** @return the mechanism and user name; never a secret */
    @Override
    public String toString() {
        return name() + "[user=" + username + "]";
    }

    // ---------------------------------------------------------------------------------------------------
    // helpers shared by the mechanisms

    private static boolean advertises(Set<String> serverMechanisms, String name) {
        for (String m : serverMechanisms) {
            if (m != null && m.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    private static void checkToken(String mechanism, String token) {
        if (token == null) {
            throw new IllegalArgumentException(mechanism + " bearer token is null");
        }
        if (token.isEmpty()) {
            throw new IllegalArgumentException(mechanism + " bearer token is empty");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            // U+0001 separates the XOAUTH2 fields and a space would split "Bearer <token>": either would
            // let a token rewrite the request. Not shown: the token is a secret.
            if (c <= 0x20 || c == 0x7f) {
                throw new IllegalArgumentException(mechanism + " bearer token contains a control character or space"
                        + " at index " + i);
            }
        }
    }

    static String encode(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Counts the round and decodes the challenge.
     *
     * @param maxRounds how many challenges this mechanism answers at most
     */
    byte[] nextChallenge(String challengeBase64, int maxRounds) {
        rounds++;
        if (rounds > maxRounds || rounds > MAX_ROUNDS) {
            throw new AuthAbortedException(name() + " expects no further challenge after " + (rounds - 1)
                    + (rounds - 1 == 1 ? " round" : " rounds"));
        }
        // Trailing spaces are tolerated: some servers send "334 " for an empty challenge.
        String text = challengeBase64 == null ? "" : challengeBase64.strip();
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            // The challenge text is not shown: a hostile server could echo a response (a secret) in it.
            throw new AuthAbortedException(name() + " challenge in round " + rounds + " is not valid base64 ("
                    + text.length() + " characters)");
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // the mechanisms

    /** RFC 4616: {@code authzid NUL authcid NUL passwd}, with an empty authzid, sent as the initial response. */
    static final class Plain extends AuthMechanism {

        Plain(String username, String password) {
            super("PLAIN", username, password);
        }

        @Override
        public String initialResponse() {
            return encode("\0" + username + "\0" + secret);
        }

        @Override
        public String respond(String challengeBase64) {
            byte[] challenge = nextChallenge(challengeBase64, 1);
            // An empty 334 means the server wants the response it did not take from the AUTH line
            // (RFC 4954 section 4); PLAIN has no other kind of challenge.
            if (challenge.length != 0) {
                throw new AuthAbortedException("PLAIN expects an empty challenge, got " + challenge.length
                        + " bytes");
            }
            return initialResponse();
        }
    }

    /** The de-facto LOGIN mechanism: the user name, then the password, each in answer to a challenge. */
    static final class Login extends AuthMechanism {

        Login(String username, String password) {
            super("LOGIN", username, password);
        }

        @Override
        public String respond(String challengeBase64) {
            // The prompts ("Username:", "Password:") vary between servers and are not relied on, only the order.
            nextChallenge(challengeBase64, 2);
            return rounds == 1 ? encode(username) : encode(secret);
        }
    }

    /** RFC 2195: {@code user SP hex(HMAC-MD5(password, challenge))}. */
    static final class CramMd5 extends AuthMechanism {

        CramMd5(String username, String password) {
            super("CRAM-MD5", username, password);
        }

        @Override
        public String respond(String challengeBase64) {
            byte[] challenge = nextChallenge(challengeBase64, 1);
            // A fixed (here: empty) challenge would make the response replayable; RFC 2195 requires a
            // unique one.
            if (challenge.length == 0) {
                throw new AuthAbortedException("CRAM-MD5 challenge is empty");
            }
            return encode(username + " " + hmacMd5Hex(secret, challenge));
        }

        private static String hmacMd5Hex(String key, byte[] data) {
            byte[] digest;
            try {
                Mac mac = Mac.getInstance("HmacMD5");
                byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
                // SecretKeySpec refuses an empty key, but RFC 2104 pads any key with zeros to 64 bytes, so a
                // single zero byte is the same key as an empty one.
                mac.init(new SecretKeySpec(keyBytes.length == 0 ? new byte[1] : keyBytes, "HmacMD5"));
                digest = mac.doFinal(data);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacMD5 is not available in this JVM", e);
            }
            StringBuilder hex = new StringBuilder(digest.length * 2);
            for (byte b : digest) {
                hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
            }
            return hex.toString(); // forDigit gives lower case, as RFC 2195 requires
        }
    }

    /**
     * Google/Microsoft XOAUTH2: {@code user=<user>^Aauth=Bearer <token>^A^A} as the initial response. On
     * failure the server sends a 334 with error details (base64 JSON); the client answers with an empty line
     * and the server ends with its 535.
     */
    static final class XOAuth2 extends AuthMechanism {

        XOAuth2(String username, String token) {
            super("XOAUTH2", username, token);
        }

        @Override
        public String initialResponse() {
            return encode("user=" + username + "\u0001auth=Bearer " + secret + "\u0001\u0001");
        }

        @Override
        public String respond(String challengeBase64) {
            nextChallenge(challengeBase64, 1);
            return "";
        }
    }

    /**
     * RFC 7628 OAUTHBEARER: {@code n,a=<user>,^Aauth=Bearer <token>^A^A} as the initial response (the GS2 header
     * names the user, with {@code ,} and {@code =} escaped as RFC 5801 says). On failure the server sends a 334
     * with its error (base64 JSON); RFC 7628 section 3.2.3 has the client answer with a single {@code ^A}, and the
     * server ends with its failure reply.
     */
    static final class OAuthBearer extends AuthMechanism {

        OAuthBearer(String username, String token) {
            super("OAUTHBEARER", username, token);
        }

        @Override
        public String initialResponse() {
            String saslName = username.replace("=", "=3D").replace(",", "=2C");
            return encode("n,a=" + saslName + ",\u0001auth=Bearer " + secret + "\u0001\u0001");
        }

        @Override
        public String respond(String challengeBase64) {
            nextChallenge(challengeBase64, 1);
            return encode("\u0001");
        }
    }
}
