package io.reactivesmtp.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.Credentials;
import io.reactivesmtp.SmtpAuthenticationException;
import io.reactivesmtp.SmtpReply;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AuthMechanismTest {

    private static final Set<String> ALL = Set.of("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2");
    private static final Credentials ALICE = Credentials.password("alice", "s3cret");
    private static final Credentials OAUTH = Credentials.oauth2("someuser@example.com",
            () -> CompletableFuture.completedFuture("unused"));
    /** The token from Google's XOAUTH2 documentation, whose encoded form is published there. */
    private static final String GOOGLE_TOKEN = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";

    private static AuthMechanism choose(Credentials c, String... server) {
        return AuthMechanism.choose(c, Set.of(server), null);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------------------------------------ PLAIN

    @Test
    void plainSendsTheInitialResponse() {
        AuthMechanism m = choose(ALICE, "PLAIN");
        assertThat(m.name()).isEqualTo("PLAIN");
        assertThat(m.initialResponse()).isEqualTo("AGFsaWNlAHMzY3JldA=="); // "\0alice\0s3cret"
    }

    @Test
    void plainAnswersAnEmptyChallengeOnceWithTheSameResponse() {
        AuthMechanism m = choose(ALICE, "PLAIN");
        assertThat(m.respond("")).isEqualTo("AGFsaWNlAHMzY3JldA==");
        assertThatThrownBy(() -> m.respond("")).isInstanceOf(AuthAbortedException.class)
                .hasMessage("PLAIN expects no further challenge after 1 round");
    }

    @Test
    void plainTreatsNullAndSpacesAsAnEmptyChallenge() {
        assertThat(choose(ALICE, "PLAIN").respond(null)).isEqualTo("AGFsaWNlAHMzY3JldA==");
        assertThat(choose(ALICE, "PLAIN").respond(" ")).isEqualTo("AGFsaWNlAHMzY3JldA==");
    }

    @Test
    void plainAbortsOnANonEmptyChallenge() {
        assertThatThrownBy(() -> choose(ALICE, "PLAIN").respond(b64("what?")))
                .isInstanceOf(AuthAbortedException.class)
                .hasMessage("PLAIN expects an empty challenge, got 5 bytes");
    }

    @Test
    void plainEncodesNonAsciiAsUtf8() {
        AuthMechanism m = choose(Credentials.password("jörg", "pässwörd"), "PLAIN");
        byte[] expected = {0, 'j', (byte) 0xC3, (byte) 0xB6, 'r', 'g', 0, 'p', (byte) 0xC3, (byte) 0xA4, 's', 's',
            'w', (byte) 0xC3, (byte) 0xB6, 'r', 'd'};
        assertThat(Base64.getDecoder().decode(m.initialResponse())).containsExactly(expected);
        assertThat(m.initialResponse()).isEqualTo("AGrDtnJnAHDDpHNzd8O2cmQ=");
    }

    // ------------------------------------------------------------------------------------------------ LOGIN

    @Test
    void loginSendsUserThenPasswordWhateverThePrompts() {
        AuthMechanism m = choose(ALICE, "LOGIN");
        assertThat(m.name()).isEqualTo("LOGIN");
        assertThat(m.initialResponse()).isNull();
        assertThat(m.respond("VXNlcm5hbWU6")).isEqualTo("YWxpY2U="); // "Username:" -> "alice"
        assertThat(m.respond("UGFzc3dvcmQ6")).isEqualTo("czNjcmV0"); // "Password:" -> "s3cret"
        assertThatThrownBy(() -> m.respond("")).isInstanceOf(AuthAbortedException.class)
                .hasMessage("LOGIN expects no further challenge after 2 rounds");
    }

    @Test
    void loginIgnoresThePromptText() {
        AuthMechanism m = choose(ALICE, "LOGIN");
        assertThat(m.respond(b64("Password:"))).isEqualTo("YWxpY2U=");
        assertThat(m.respond("")).isEqualTo("czNjcmV0");
    }

    @Test
    void loginAbortsOnInvalidBase64WithoutShowingTheChallenge() {
        AuthMechanism m = choose(ALICE, "LOGIN");
        assertThatThrownBy(() -> m.respond("Username:")).isInstanceOf(AuthAbortedException.class)
                .hasMessage("LOGIN challenge in round 1 is not valid base64 (9 characters)");
    }

    // --------------------------------------------------------------------------------------------- CRAM-MD5

    @Test
    void cramMd5MatchesRfc2195() {
        AuthMechanism m = choose(Credentials.password("tim", "tanstaaftanstaaf"), "CRAM-MD5");
        assertThat(m.name()).isEqualTo("CRAM-MD5");
        assertThat(m.initialResponse()).isNull();
        String challenge = b64("<1896.697170952@postoffice.reston.mci.net>");
        assertThat(challenge).isEqualTo("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
        String response = m.respond(challenge);
        assertThat(response).isEqualTo("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
        assertThat(new String(Base64.getDecoder().decode(response), StandardCharsets.US_ASCII))
                .isEqualTo("tim b913a602c7eda7a495b4e6e7334d3890");
    }

    @Test
    void cramMd5AbortsOnASecondChallenge() {
        AuthMechanism m = choose(ALICE, "CRAM-MD5");
        m.respond(b64("<1.2@x>"));
        assertThatThrownBy(() -> m.respond(b64("<1.3@x>"))).isInstanceOf(AuthAbortedException.class)
                .hasMessage("CRAM-MD5 expects no further challenge after 1 round");
    }

    @Test
    void cramMd5AbortsOnInvalidBase64AndOnAnEmptyChallenge() {
        assertThatThrownBy(() -> choose(ALICE, "CRAM-MD5").respond("<1896.697170952@postoffice>"))
                .isInstanceOf(AuthAbortedException.class)
                .hasMessageContaining("not valid base64");
        assertThatThrownBy(() -> choose(ALICE, "CRAM-MD5").respond(""))
                .isInstanceOf(AuthAbortedException.class)
                .hasMessage("CRAM-MD5 challenge is empty");
    }

    @Test
    void cramMd5WorksWithAnEmptyPassword() {
        // HMAC-MD5 with an empty key, computed independently (Python hmac.new(b"", b"<1.2@x>", md5)).
        assertThat(choose(Credentials.password("alice", ""), "CRAM-MD5").respond(b64("<1.2@x>")))
                .isEqualTo("YWxpY2UgNWQ1ZjdhYzJlNTQ1NzVjODE0NWMyMTUxYThlYTg2NzE=");
    }

    // ---------------------------------------------------------------------------------------------- XOAUTH2

    @Test
    void xoauth2MatchesGooglesDocumentedExample() {
        AuthMechanism m = AuthMechanism.choose(OAUTH, Set.of("XOAUTH2"), GOOGLE_TOKEN);
        assertThat(m.name()).isEqualTo("XOAUTH2");
        assertThat(m.initialResponse()).isEqualTo("dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZG"
                + "OWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==");
        assertThat(new String(Base64.getDecoder().decode(m.initialResponse()), StandardCharsets.UTF_8))
                .isEqualTo("user=someuser@example.com\u0001auth=Bearer " + GOOGLE_TOKEN + "\u0001\u0001");
    }

    @Test
    void xoauth2AnswersTheErrorChallengeWithAnEmptyLineOnce() {
        AuthMechanism m = AuthMechanism.choose(OAUTH, Set.of("XOAUTH2"), GOOGLE_TOKEN);
        String errorJson = "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xl"
                + "LmNvbS8ifQ==";
        assertThat(m.respond(errorJson)).isEqualTo("");
        assertThatThrownBy(() -> m.respond(errorJson)).isInstanceOf(AuthAbortedException.class)
                .hasMessage("XOAUTH2 expects no further challenge after 1 round");
    }

    @Test
    void xoauth2AbortsOnInvalidBase64() {
        AuthMechanism m = AuthMechanism.choose(OAUTH, Set.of("XOAUTH2"), GOOGLE_TOKEN);
        assertThatThrownBy(() -> m.respond("{\"status\":\"401\"}")).isInstanceOf(AuthAbortedException.class)
                .hasMessageContaining("not valid base64");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "sekr\u0001et", "sekr et", "sekr\r\net", "sekr\u007fet"})
    void xoauth2RejectsABadTokenWithoutShowingIt(String token) {
        assertThatIllegalArgumentException().isThrownBy(() -> AuthMechanism.choose(OAUTH, ALL, token))
                .withMessageStartingWith("XOAUTH2 bearer token ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("sekr"));
        assertThatIllegalArgumentException().isThrownBy(() -> AuthMechanism.choose(OAUTH, ALL, null))
                .withMessage("XOAUTH2 bearer token is null");
    }

    // ------------------------------------------------------------------------------------------ OAUTHBEARER

    @Test
    void oauthBearerSendsTheRfc7628InitialResponseWithAnEscapedUser() {
        Credentials odd = Credentials.oauth2("a=b,c@example.com", OAUTH.tokenSupplier());
        AuthMechanism m = AuthMechanism.choose(odd, Set.of("OAUTHBEARER"), GOOGLE_TOKEN);
        assertThat(m.name()).isEqualTo("OAUTHBEARER");
        assertThat(new String(Base64.getDecoder().decode(m.initialResponse()), StandardCharsets.UTF_8))
                .isEqualTo("n,a=a=3Db=2Cc@example.com,\u0001auth=Bearer " + GOOGLE_TOKEN + "\u0001\u0001");
        assertThat(m.toString()).doesNotContain(GOOGLE_TOKEN);
    }

    @Test
    void oauthBearerAnswersTheErrorChallengeWithOneCtrlAOnce() {
        AuthMechanism m = AuthMechanism.choose(OAUTH, Set.of("OAUTHBEARER"), GOOGLE_TOKEN);
        String errorJson = Base64.getEncoder().encodeToString("{\"status\":\"invalid_token\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(m.respond(errorJson)).isEqualTo("AQ==");
        assertThatThrownBy(() -> m.respond(errorJson)).isInstanceOf(AuthAbortedException.class)
                .hasMessage("OAUTHBEARER expects no further challenge after 1 round");
    }

    @Test
    void xoauth2IsPreferredOverOauthBearerUnlessForced() {
        assertThat(AuthMechanism.choose(OAUTH, Set.of("OAUTHBEARER", "XOAUTH2"), GOOGLE_TOKEN).name()).isEqualTo("XOAUTH2");
        assertThat(AuthMechanism.choose(OAUTH.withMechanism("OAUTHBEARER"), Set.of("OAUTHBEARER", "XOAUTH2"), GOOGLE_TOKEN)
                .name()).isEqualTo("OAUTHBEARER");
        assertThat(AuthMechanism.choose(OAUTH.withMechanism("OAUTHBEARER"), Set.of("XOAUTH2"), GOOGLE_TOKEN)).isNull();
        assertThatIllegalArgumentException().isThrownBy(() -> AuthMechanism.choose(OAUTH, Set.of("OAUTHBEARER"), "a b"))
                .withMessageStartingWith("OAUTHBEARER bearer token ");
    }

    // --------------------------------------------------------------------------------------- rounds, secrets

    @Test
    void noMechanismAnswersMoreThanMaxRounds() {
        AuthMechanism[] all = {choose(ALICE, "PLAIN"), choose(ALICE, "LOGIN"), choose(ALICE, "CRAM-MD5"),
            AuthMechanism.choose(OAUTH, ALL, GOOGLE_TOKEN)};
        for (AuthMechanism m : all) {
            int answered = 0;
            try {
                for (int i = 0; i <= AuthMechanism.MAX_ROUNDS; i++) {
                    m.respond(m.name().equals("PLAIN") ? "" : "PDEuMkB4Pg==");
                    answered++;
                }
            } catch (AuthAbortedException expected) {
                // the point of the test
            }
            assertThat(answered).as(m.name()).isLessThanOrEqualTo(AuthMechanism.MAX_ROUNDS).isLessThanOrEqualTo(2);
        }
    }

    @Test
    void toStringShowsNoSecret() {
        for (AuthMechanism m : new AuthMechanism[] {choose(ALICE, "PLAIN"), choose(ALICE, "LOGIN"),
            choose(ALICE, "CRAM-MD5"), AuthMechanism.choose(OAUTH, ALL, GOOGLE_TOKEN)}) {
            assertThat(m.toString()).isEqualTo(m.name() + "[user=" + (m.name().equals("XOAUTH2")
                    ? "someuser@example.com" : "alice") + "]")
                    .doesNotContain("s3cret", GOOGLE_TOKEN);
        }
    }

    // ----------------------------------------------------------------------------------------------- choose

    @Test
    void passwordCredentialsPreferCramMd5ThenPlainThenLogin() {
        assertThat(choose(ALICE, "LOGIN", "PLAIN", "CRAM-MD5", "XOAUTH2").name()).isEqualTo("CRAM-MD5");
        assertThat(choose(ALICE, "LOGIN", "PLAIN", "XOAUTH2").name()).isEqualTo("PLAIN");
        assertThat(choose(ALICE, "LOGIN", "XOAUTH2").name()).isEqualTo("LOGIN");
        assertThat(choose(ALICE, "XOAUTH2", "GSSAPI")).isNull();
        assertThat(choose(ALICE)).isNull();
    }

    @Test
    void serverMechanismsAreComparedIgnoringCase() {
        assertThat(choose(ALICE, "login", "plain").name()).isEqualTo("PLAIN");
        assertThat(AuthMechanism.choose(OAUTH, Set.of("xoauth2"), GOOGLE_TOKEN).name()).isEqualTo("XOAUTH2");
    }

    @Test
    void oauth2CredentialsUseOnlyXoauth2() {
        assertThat(AuthMechanism.choose(OAUTH, ALL, GOOGLE_TOKEN).name()).isEqualTo("XOAUTH2");
        // Without XOAUTH2 there is nothing to send: a token never goes out through a password mechanism.
        assertThat(AuthMechanism.choose(OAUTH, Set.of("PLAIN", "LOGIN", "CRAM-MD5"), GOOGLE_TOKEN)).isNull();
    }

    @Test
    void aForcedMechanismIsUsedEvenIfWeaker() {
        assertThat(choose(ALICE.withMechanism("login"), "LOGIN", "PLAIN", "CRAM-MD5").name()).isEqualTo("LOGIN");
        assertThat(choose(ALICE.withMechanism("PLAIN"), "LOGIN", "PLAIN", "CRAM-MD5").name()).isEqualTo("PLAIN");
    }

    @Test
    void aForcedMechanismTheServerLacksGivesNullNotAFallback() {
        assertThat(choose(ALICE.withMechanism("CRAM-MD5"), "LOGIN", "PLAIN")).isNull();
        assertThat(AuthMechanism.choose(OAUTH.withMechanism("XOAUTH2"), Set.of("PLAIN"), GOOGLE_TOKEN)).isNull();
    }

    @Test
    void theTokenIsCheckedOnlyWhenXoauth2IsChosen() {
        assertThat(AuthMechanism.choose(OAUTH, Set.of("PLAIN"), null)).isNull();
        assertThat(AuthMechanism.choose(ALICE, ALL, null).name()).isEqualTo("CRAM-MD5");
    }

    @Test
    void eachChoiceIsAFreshExchange() {
        AuthMechanism first = choose(ALICE, "LOGIN");
        first.respond("");
        AuthMechanism second = choose(ALICE, "LOGIN");
        assertThat(second).isNotSameAs(first);
        assertThat(second.respond("")).isEqualTo("YWxpY2U=");
    }

    // ------------------------------------------------- the exception the session raises when AUTH fails

    @Test
    void temporaryFailureIsRetryableBadCredentialsAreNot() {
        SmtpAuthenticationException temp = new SmtpAuthenticationException("PLAIN",
                SmtpReply.of(454, "4.7.0 Temporary authentication failure"));
        assertThat(temp.isRetryable()).isTrue();
        assertThat(temp.mechanism()).isEqualTo("PLAIN");
        assertThat(temp.reply()).contains(SmtpReply.of(454, "4.7.0 Temporary authentication failure"));
        assertThat(temp).hasMessage("authentication with PLAIN refused by the server:"
                + " 454 4.7.0 Temporary authentication failure");

        SmtpAuthenticationException bad = new SmtpAuthenticationException("LOGIN",
                SmtpReply.of(535, "5.7.8 Authentication credentials invalid\r\nx"));
        assertThat(bad.isRetryable()).isFalse();
        assertThat(bad).hasMessage("authentication with LOGIN refused by the server:"
                + " 535 5.7.8 Authentication credentials invalid\\r\\nx");
        assertThat(bad.partialReport()).isEmpty();
    }

    @Test
    void clientAbortHasNoReplyAndIsNotRetryable() {
        AuthAbortedException abort = null;
        try {
            choose(ALICE, "CRAM-MD5").respond("not base64!");
        } catch (AuthAbortedException e) {
            abort = e;
        }
        assertThat(abort).isNotNull();
        SmtpAuthenticationException e = new SmtpAuthenticationException("CRAM-MD5", abort.getMessage(), abort);
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.reply()).isEmpty();
        assertThat(e.getCause()).isSameAs(abort);
        assertThat(e).hasMessage("authentication with CRAM-MD5 aborted by the client:"
                + " CRAM-MD5 challenge in round 1 is not valid base64 (11 characters)");
        assertThat(e.getMessage()).doesNotContain("s3cret");
    }
}
