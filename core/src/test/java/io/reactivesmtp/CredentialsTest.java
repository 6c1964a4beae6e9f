package io.reactivesmtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reactivesmtp.testing.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CredentialsTest {

    private static final Supplier<CompletionStage<String>> TOKENS = () -> CompletableFuture.completedFuture("tok");

    // ---------------------------------------------------------------------------------------------- building

    @Test
    void passwordCredentialsKeepTheirValues() {
        Credentials c = Credentials.password("alice", "s3cret");
        assertThat(c.username()).isEqualTo("alice");
        assertThat(c.revealPassword()).isEqualTo("s3cret");
        assertThat(c.isOAuth2()).isFalse();
        assertThat(c.mechanism()).isEmpty();
        assertThatIllegalStateException().isThrownBy(c::tokenSupplier).withMessageContaining("alice");
    }

    @Test
    void oauth2CredentialsKeepTheirSupplier() {
        Credentials c = Credentials.oauth2("alice@example.com", TOKENS);
        assertThat(c.username()).isEqualTo("alice@example.com");
        assertThat(c.tokenSupplier()).isSameAs(TOKENS);
        assertThat(c.isOAuth2()).isTrue();
        assertThat(c.mechanism()).isEmpty();
        assertThatIllegalStateException().isThrownBy(c::revealPassword)
                .withMessageContaining("alice@example.com").withMessageContaining("no password");
    }

    @Test
    void acceptsEmptyPasswordTabsAndNonAscii() {
        assertThat(Credentials.password("jörg", "").revealPassword()).isEmpty();
        assertThat(Credentials.password("u", "a\tb").revealPassword()).isEqualTo("a\tb");
        assertThat(Credentials.password("用户", "pässwörd\uD83D\uDE00").revealPassword())
                .isEqualTo("pässwörd\uD83D\uDE00");
    }

    // ------------------------------------------------------------------------------------ user name checks

    @Test
    void rejectsNullAndEmptyUsername() {
        assertThatIllegalArgumentException().isThrownBy(() -> Credentials.password(null, "p"))
                .withMessage("invalid SMTP AUTH user name null: is null");
        assertThatIllegalArgumentException().isThrownBy(() -> Credentials.password("", "p"))
                .withMessage("invalid SMTP AUTH user name \"\": is empty");
        assertThatIllegalArgumentException().isThrownBy(() -> Credentials.oauth2("", TOKENS))
                .withMessage("invalid SMTP AUTH user name \"\": is empty");
    }

    @Test
    void namesCrLfNulAndShowsTheUsernameEscaped() {
        assertThatIllegalArgumentException().isThrownBy(() -> Credentials.password("al\r\nice", "p"))
                .withMessage("invalid SMTP AUTH user name \"al\\r\\nice\": contains CR");
        assertThatIllegalArgumentException().isThrownBy(() -> Credentials.password("al\nice", "p"))
                .withMessage("invalid SMTP AUTH user name \"al\\nice\": contains LF");
        assertThatIllegalArgumentException().isThrownBy(() -> Credentials.oauth2("al\0ice", TOKENS))
                .withMessage("invalid SMTP AUTH user name \"al\\0ice\": contains NUL");
    }

    @Test
    void crLfNulAreReportedEvenAfterAnotherControl() {
        assertThatIllegalArgumentException().isThrownBy(() -> Credentials.password("a\u0001b\nc", "p"))
                .withMessageEndingWith(": contains LF");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\u0001b", "a\tb", "a\u007fb", "a\u0085b", "a\u2028b", "a\u001bb"})
    void rejectsOtherControlCharacters(String username) {
        String expected = String.format("U+%04X", (int) username.charAt(1));
        assertThatIllegalArgumentException().isThrownBy(() -> Credentials.password(username, "p"))
                .withMessageStartingWith("invalid SMTP AUTH user name \"a")
                .withMessageEndingWith("contains control character " + expected);
    }

    @Test
    void rejectsUnpairedSurrogateInUsername() {
        assertThatIllegalArgumentException().isThrownBy(() -> Credentials.password("a\uD800b", "p"))
                .withMessageEndingWith("contains an unpaired surrogate");
    }

    @Test
    void rejectsNullTokenSupplier() {
        assertThatIllegalArgumentException().isThrownBy(() -> Credentials.oauth2("alice", (Supplier<CompletionStage<String>>) null))
                .withMessage("invalid credentials for user \"alice\": token supplier is null");
    }

    @Test
    void usernameWithCrLfOrNulAtAnyPositionIsRejected() {
        char[] bad = {'\r', '\n', '\0'};
        Properties.forAll(500, random -> {
            StringBuilder name = new StringBuilder();
            int length = random.nextInt(30);
            for (int i = 0; i < length; i++) {
                // Mostly printable ASCII, sometimes any BMP letter, so the bad character is the only fault.
                name.append(random.nextInt(8) == 0 ? (char) ('\u00c0' + random.nextInt(0x100))
                        : (char) (0x21 + random.nextInt(0x5e)));
            }
            char inserted = bad[random.nextInt(bad.length)];
            name.insert(random.nextInt(name.length() + 1), inserted);
            String username = name.toString();
            String reason = inserted == '\r' ? "contains CR" : inserted == '\n' ? "contains LF" : "contains NUL";

            Throwable password = catchThrowable(() -> Credentials.password(username, "p"));
            Throwable oauth = catchThrowable(() -> Credentials.oauth2(username, TOKENS));
            for (Throwable t : new Throwable[] {password, oauth}) {
                assertThat(t).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageEndingWith(": " + reason);
                // Shown escaped: the message stays on one log line.
                assertThat(t.getMessage()).doesNotContain("\r", "\n", "\0");
            }
        });
    }

    // ------------------------------------------------------------------------------------- password checks

    @ParameterizedTest
    @ValueSource(strings = {"hunter2\r", "\nhunter2", "hun\0ter2"})
    void passwordWithCrLfNulIsRejectedWithoutShowingIt(String password) {
        Throwable t = catchThrowable(() -> Credentials.password("alice", password));
        assertThat(t).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid SMTP AUTH password: password contains a control character (NUL, CR or LF)");
        assertThat(t.getMessage()).doesNotContain("hunter", "hun");
    }

    @Test
    void nullPasswordIsRejected() {
        assertThatIllegalArgumentException().isThrownBy(() -> Credentials.password("alice", null))
                .withMessage("invalid SMTP AUTH password: is null");
    }

    @Test
    void passwordWithUnpairedSurrogateIsRejectedWithoutShowingIt() {
        Throwable t = catchThrowable(() -> Credentials.password("alice", "hunter2\uDC00"));
        assertThat(t).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unpaired surrogate");
        assertThat(t.getMessage()).doesNotContain("hunter2");
    }

    // ------------------------------------------------------------------------------------------- toString

    @Test
    void toStringRedactsTheSecret() {
        assertThat(Credentials.password("alice", "s3cret")).hasToString("Credentials[user=alice, password=<redacted>]");
        assertThat(Credentials.oauth2("alice", TOKENS)).hasToString("Credentials[user=alice, oauth2]");
        assertThat(Credentials.password("alice", "s3cret").withMechanism("login"))
                .hasToString("Credentials[user=alice, password=<redacted>, mechanism=LOGIN]");
    }

    @Test
    void toStringNeverContainsThePasswordWhateverItIs() {
        Properties.forAll(300, random -> {
            // Unusual passwords: long, short, non-ASCII, ones that look like the rest of toString, and ones
            // that equal the user name's neighbours in the output.
            String[] pool = {"Credentials", "redacted", "password=", "<", "]", "ä", "\uD83D\uDE00", "\t", " ",
                "\\", "\"", "%s", "x"};
            StringBuilder pw = new StringBuilder("Zq"); // a prefix no part of toString has
            int parts = random.nextInt(12);
            for (int i = 0; i < parts; i++) {
                pw.append(pool[random.nextInt(pool.length)]);
            }
            String password = pw.toString();
            Credentials c = Credentials.password("alice", password);
            String forced = new String[] {"PLAIN", "LOGIN", "CRAM-MD5"}[random.nextInt(3)];
            assertThat(c.toString()).doesNotContain(password).doesNotContain("Zq");
            assertThat(c.withMechanism(forced).toString()).doesNotContain(password).doesNotContain("Zq");
        });
    }

    // -------------------------------------------------------------------------------------- withMechanism

    @Test
    void withMechanismIsCaseInsensitiveAndReturnsACopy() {
        Credentials c = Credentials.password("alice", "s3cret");
        Credentials forced = c.withMechanism("cram-md5");
        assertThat(forced.mechanism()).contains("CRAM-MD5");
        assertThat(forced.username()).isEqualTo("alice");
        assertThat(forced.revealPassword()).isEqualTo("s3cret");
        assertThat(c.mechanism()).isEmpty();
        assertThat(c.withMechanism("Plain").mechanism()).contains("PLAIN");
        assertThat(c.withMechanism("LOGIN").mechanism()).contains("LOGIN");
        assertThat(Credentials.oauth2("alice", TOKENS).withMechanism("xoauth2").mechanism()).contains("XOAUTH2");
    }

    @Test
    void unknownMechanismListsTheSupportedOnes() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Credentials.password("alice", "p").withMechanism("SCRAM-SHA-256"))
                .withMessage("unsupported SASL mechanism \"SCRAM-SHA-256\"; supported: PLAIN, LOGIN, CRAM-MD5,"
                        + " XOAUTH2, OAUTHBEARER");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Credentials.password("alice", "p").withMechanism("PLAIN\r\nQUIT"))
                .withMessageContaining("\"PLAIN\\r\\nQUIT\"");
        assertThatIllegalArgumentException().isThrownBy(() -> Credentials.password("alice", "p").withMechanism(null))
                .withMessageContaining("supported: PLAIN, LOGIN, CRAM-MD5, XOAUTH2");
    }

    @Test
    void xoauth2OnlyForOAuth2Credentials() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Credentials.password("alice", "p").withMechanism("XOAUTH2"))
                .withMessageStartingWith("SASL mechanism XOAUTH2 needs OAuth 2.0 credentials");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Credentials.password("alice", "p").withMechanism("oauthbearer"))
                .withMessageStartingWith("SASL mechanism OAUTHBEARER needs OAuth 2.0 credentials");
    }

    @Test
    void oauth2WithATokenProviderHandsItToTheEngineAndShowsNoSecret() {
        TokenProvider provider = TokenProvider.cached(() -> java.util.concurrent.CompletableFuture.completedFuture("t"));
        Credentials c = Credentials.oauth2("alice", provider).withMechanism("OAuthBearer");
        assertThat(c.tokenProvider()).isSameAs(provider);
        assertThat(c.isOAuth2()).isTrue();
        assertThat(c.mechanism()).contains("OAUTHBEARER");
        assertThat(c).hasToString("Credentials[user=alice, oauth2, mechanism=OAUTHBEARER]");
        assertThatIllegalArgumentException().isThrownBy(() -> Credentials.oauth2("alice", (TokenProvider) null))
                .withMessageContaining("token provider is null");
        assertThatIllegalStateException().isThrownBy(() -> Credentials.password("alice", "p").tokenProvider())
                .withMessageContaining("alice");
    }

    @ParameterizedTest
    @ValueSource(strings = {"PLAIN", "login", "CRAM-MD5"})
    void passwordMechanismsOnlyForPasswordCredentials(String mechanism) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Credentials.oauth2("alice", TOKENS).withMechanism(mechanism))
                .withMessageContaining("needs password credentials")
                .withMessageContaining("can only use XOAUTH2 or OAUTHBEARER");
    }
}
