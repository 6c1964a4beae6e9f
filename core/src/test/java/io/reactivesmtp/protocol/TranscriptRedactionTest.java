package io.reactivesmtp.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.smtp.DefaultSmtpRequest;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.reactivesmtp.SmtpPhase;
import org.junit.jupiter.api.Test;

/** The DEBUG transcript never shows AUTH secrets. */
class TranscriptRedactionTest {

    private static PendingCommand in(SmtpPhase phase) {
        return new PendingCommand("x", phase, r -> { });
    }

    @Test
    void authInitialResponsesAndContinuationsAreRedacted() {
        String secret = "AGFsaWNlAHMzY3JldA==";
        assertThat(Transcript.redacted(new DefaultSmtpRequest(SmtpCommand.AUTH, "PLAIN", secret), in(SmtpPhase.AUTH)))
                .isEqualTo("AUTH PLAIN <redacted>").doesNotContain(secret);
        assertThat(Transcript.redacted(new DefaultSmtpRequest(SmtpCommand.AUTH, "LOGIN"), in(SmtpPhase.AUTH)))
                .isEqualTo("AUTH LOGIN");
        assertThat(Transcript.redacted(new DefaultSmtpRequest(SmtpCommand.EMPTY, "YWxpY2U="), in(SmtpPhase.AUTH)))
                .isEqualTo("<redacted>");
    }

    @Test
    void oauthTokensInEitherMechanismAndTheRetriedAuthAreRedacted() {
        AuthMechanism bearer = AuthMechanism.choose(io.reactivesmtp.Credentials.oauth2("alice@example.com",
                () -> java.util.concurrent.CompletableFuture.completedFuture("unused")), java.util.Set.of("OAUTHBEARER"),
                "ya29.secret-token");
        String initial = bearer.initialResponse();
        String line = Transcript.redacted(new DefaultSmtpRequest(SmtpCommand.AUTH, "OAUTHBEARER", initial),
                in(SmtpPhase.AUTH));
        assertThat(line).isEqualTo("AUTH OAUTHBEARER <redacted>").doesNotContain(initial).doesNotContain("ya29");
        // The answer to the error challenge (a lone ^A) is a continuation line of the exchange: redacted as well.
        assertThat(Transcript.redacted(new DefaultSmtpRequest(SmtpCommand.EMPTY, bearer.respond("e30=")),
                in(SmtpPhase.AUTH))).isEqualTo("<redacted>");
    }

    @Test
    void otherCommandsAreShownAsSent() {
        assertThat(Transcript.redacted(new DefaultSmtpRequest(SmtpCommand.MAIL, "FROM:<a@b.test>", "SIZE=12"),
                in(SmtpPhase.MAIL))).isEqualTo("MAIL FROM:<a@b.test> SIZE=12");
        assertThat(Transcript.redacted(new DefaultSmtpRequest(SmtpCommand.QUIT), in(SmtpPhase.OTHER_COMMAND)))
                .isEqualTo("QUIT");
    }
}
