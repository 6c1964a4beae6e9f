package io.reactivesmtp.protocol;

import io.netty.handler.codec.smtp.DefaultSmtpRequest;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.handler.codec.smtp.SmtpRequest;
import io.reactivesmtp.Credentials;
import io.reactivesmtp.SmtpAuthenticationException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpPolicyException;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.TokenProvider;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * One AUTH exchange (RFC 4954): picks the mechanism, sends AUTH with its initial response, answers each 334
 * challenge, cancels with {@code *} when a challenge makes no sense or there are too many, and reports the
 * end: success, or an exception saying why. The session handler owns the wire; this class owns the dialogue.
 *
 * <p>With OAuth 2.0 credentials the token comes from the credentials' {@link TokenProvider}. When the server
 * refuses it (535, or any 5xx after an error challenge), the token is invalidated and the exchange runs once more
 * on the same connection with a fresh one (RFC 4954 lets a client try AUTH again after a failure); a second
 * refusal ends it with a non-retryable {@link SmtpAuthenticationException} that says a fresh token was refused too.
 */
final class Authenticator {

    private final Credentials credentials;
    private final Set<String> serverMechanisms;
    private final Executor loop;
    private final BiConsumer<SmtpRequest, Consumer<SmtpReply>> command;
    private final Consumer<SmtpException> done;
    private AuthMechanism mechanism;
    private int rounds;
    /** The bearer token of the running exchange (OAuth 2.0 only): a secret, never shown. */
    private String token;
    /** True once the exchange runs again with a refreshed token: it is the last try. */
    private boolean refreshed;

    /**
     * @param credentials who to authenticate as
     * @param serverMechanisms what the server offered in EHLO
     * @param loop the session's event loop: the token may arrive on another thread
     * @param command writes a request and calls back with its reply
     * @param done called once, with null on success or the reason of failure
     */
    Authenticator(Credentials credentials, Set<String> serverMechanisms, Executor loop,
                  BiConsumer<SmtpRequest, Consumer<SmtpReply>> command, Consumer<SmtpException> done) {
        this.credentials = credentials;
        this.serverMechanisms = serverMechanisms;
        this.loop = loop;
        this.command = command;
        this.done = done;
    }

    void start() {
        if (!credentials.isOAuth2()) {
            begin(null);
        } else if (serverMechanisms.isEmpty()) {
            begin(null); // fails with "the server does not offer AUTH", before any token is fetched
        } else {
            fetchToken();
        }
    }

    /** The name used in errors before a mechanism is chosen. */
    private String tokenMechanism() {
        return credentials.mechanism().orElse("XOAUTH2");
    }

    private void fetchToken() {
        CompletionStage<String> stage;
        try {
            stage = credentials.tokenProvider().token();
        } catch (RuntimeException e) {
            done.accept(new SmtpAuthenticationException(tokenMechanism(), "the token provider failed: " + e, e));
            return;
        }
        if (stage == null) {
            done.accept(new SmtpAuthenticationException(tokenMechanism(), "the token provider returned no stage", null));
            return;
        }
        stage.whenComplete((value, error) -> loop.execute(() -> {
            if (error != null || value == null || value.isEmpty()) {
                done.accept(new SmtpAuthenticationException(tokenMechanism(),
                        "no OAuth2 token: " + (error == null ? "the provider gave none" : error.toString()), error));
            } else {
                begin(value);
            }
        }));
    }

    private void begin(String token) {
        this.token = token;
        this.rounds = 0;
        if (serverMechanisms.isEmpty()) {
            done.accept(new SmtpPolicyException("credentials for " + credentials.username()
                    + " were given but the server does not offer AUTH"));
            return;
        }
        try {
            mechanism = AuthMechanism.choose(credentials, serverMechanisms, token);
        } catch (IllegalArgumentException e) {
            // A token the mechanism's format cannot carry (empty, spaces, controls); the message never shows it.
            done.accept(new SmtpAuthenticationException(tokenMechanism(), e.getMessage(), e));
            return;
        }
        if (mechanism == null) {
            done.accept(new SmtpPolicyException("no AUTH mechanism in common: the server offers " + serverMechanisms
                    + ", the credentials allow " + credentials.mechanism().map(Set::of).orElse(
                            credentials.isOAuth2() ? Set.of("XOAUTH2", "OAUTHBEARER") : Set.of("CRAM-MD5", "PLAIN", "LOGIN"))));
            return;
        }
        String initial = mechanism.initialResponse();
        command.accept(initial == null
                ? new DefaultSmtpRequest(SmtpCommand.AUTH, mechanism.name())
                : new DefaultSmtpRequest(SmtpCommand.AUTH, mechanism.name(), initial), this::onReply);
    }

    private void onReply(SmtpReply reply) {
        if (reply.isPositive()) {
            done.accept(null);
        } else if (reply.code() == 334) {
            if (++rounds > AuthMechanism.MAX_ROUNDS) {
                cancel("more than " + AuthMechanism.MAX_ROUNDS + " challenges", null);
                return;
            }
            String challenge = reply.lines().isEmpty() ? "" : reply.lines().get(0).trim();
            String response;
            try {
                response = mechanism.respond(challenge);
            } catch (AuthAbortedException e) {
                cancel(e.getMessage(), e);
                return;
            }
            command.accept(new DefaultSmtpRequest(SmtpCommand.EMPTY, response), this::onReply);
        } else if (token != null && refusesToken(reply)) {
            // The token is no good: nobody may use it again, whatever happens next.
            invalidate(token);
            if (refreshed) {
                done.accept(new SmtpAuthenticationException(mechanism.name(), reply,
                        "a freshly fetched token was refused too"));
            } else {
                refreshed = true;
                fetchToken();
            }
        } else {
            done.accept(new SmtpAuthenticationException(mechanism.name(), reply));
        }
    }

    /** 535 (RFC 4954: credentials invalid), or a permanent failure after the error challenge of RFC 7628. */
    private boolean refusesToken(SmtpReply reply) {
        return reply.code() == 535 || (rounds > 0 && reply.isPermanentFailure());
    }

    private void invalidate(String refused) {
        try {
            credentials.tokenProvider().invalidate(refused);
        } catch (RuntimeException ignored) {
            // A provider's bug must not hide the server's refusal, which is reported next.
        }
    }

    /** RFC 4954 section 4: a client that cannot go on sends "*"; the server then answers 501. */
    private void cancel(String reason, Throwable cause) {
        command.accept(new DefaultSmtpRequest(SmtpCommand.EMPTY, "*"),
                reply -> done.accept(new SmtpAuthenticationException(mechanism.name(), reason, cause)));
    }
}
