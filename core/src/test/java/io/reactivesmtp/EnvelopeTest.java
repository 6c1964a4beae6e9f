package io.reactivesmtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnvelopeTest {

    private static final MailAddress ALICE = MailAddress.of("alice@example.org");
    private static final MailAddress BOB = MailAddress.of("bob@example.net");
    private static final MailAddress CAROL = MailAddress.of("carol@example.com");

    @Test
    void builderWithSenderAndRecipients() {
        Envelope e = Envelope.builder().from("news@example.com").to("alice@example.org", "bob@example.net").build();
        assertThat(e.sender()).contains(MailAddress.of("news@example.com"));
        assertThat(e.reversePath()).isEqualTo("<news@example.com>");
        assertThat(e.recipients()).containsExactly(ALICE, BOB);
        assertThat(e.requiresSmtpUtf8()).isFalse();
    }

    @Test
    void nullSenderIsTheEmptyReversePath() {
        Envelope e = Envelope.builder().nullSender().to("sender@example.com").build();
        assertThat(e.sender()).isEmpty();
        assertThat(e.reversePath()).isEqualTo("<>");
    }

    @Test
    void ofShortcut() {
        Envelope e = Envelope.of("a@example.com", "b@example.com", "c@example.com");
        assertThat(e.reversePath()).isEqualTo("<a@example.com>");
        assertThat(e.recipients()).extracting(MailAddress::toString)
                .containsExactly("b@example.com", "c@example.com");
    }

    @Test
    void recipientsKeepTheOrderGivenAcrossAllToMethods() {
        Envelope e = Envelope.builder()
                .from(ALICE)
                .to(CAROL)
                .to(List.of(BOB))
                .to("dave@example.com")
                .to(ALICE)
                .build();
        assertThat(e.recipients()).extracting(MailAddress::toString)
                .containsExactly("carol@example.com", "bob@example.net", "dave@example.com", "alice@example.org");
    }

    @Test
    void lastSenderCallWins() {
        assertThat(Envelope.builder().from(ALICE).nullSender().to(BOB).build().reversePath()).isEqualTo("<>");
        assertThat(Envelope.builder().nullSender().from(ALICE).to(BOB).build().reversePath())
                .isEqualTo("<alice@example.org>");
    }

    @Test
    void reversePathUsesTheAddressAsGiven() {
        Envelope e = Envelope.of("user@bücher.example", "b@example.com");
        assertThat(e.reversePath()).isEqualTo("<user@bücher.example>");
    }

    // -------------------------------------------------------------------------------------- validation

    @Test
    void senderMustBeSetExplicitly() {
        assertThatIllegalStateException()
                .isThrownBy(() -> Envelope.builder().to(BOB).build())
                .withMessage("envelope has no sender: call from(..) or nullSender()");
    }

    @Test
    void atLeastOneRecipient() {
        assertThatIllegalStateException()
                .isThrownBy(() -> Envelope.builder().from(ALICE).build())
                .withMessageContaining("no recipients");
        assertThatIllegalStateException().isThrownBy(() -> Envelope.of("a@example.com"))
                .withMessageContaining("no recipients");
        assertThatIllegalStateException()
                .isThrownBy(() -> Envelope.builder().from(ALICE).to(List.of()).build());
    }

    @Test
    void duplicateRecipientIsRejectedAndNamed() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Envelope.of("a@example.com", "b@example.com", "c@example.com", "b@example.com"))
                .withMessageContaining("duplicate recipient \"b@example.com\"");
    }

    @Test
    void duplicateDetectionFollowsMailAddressEquality() {
        // Same mailbox: domain case and A-label form do not matter.
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Envelope.of("a@example.com", "b@Example.COM", "b@example.com"))
                .withMessageContaining("duplicate recipient");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Envelope.of("a@example.com", "b@bücher.example", "b@xn--bcher-kva.example"))
                .withMessageContaining("duplicate recipient");
        // Different mailboxes: the local part is case-sensitive.
        assertThat(Envelope.of("a@example.com", "b@example.com", "B@example.com").recipients()).hasSize(2);
    }

    @Test
    void invalidStringAddressesAreNamed() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Envelope.builder().from("a@b.com>\r\nDATA"))
                .withMessageContaining("\"a@b.com>\\r\\nDATA\"");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Envelope.builder().to("ok@example.com", "not an address"))
                .withMessageContaining("\"not an address\"");
        assertThatIllegalArgumentException().isThrownBy(() -> Envelope.of(null, "b@example.com"))
                .withMessageContaining("null");
    }

    @Test
    void aRejectedToLeavesTheBuilderUnchanged() {
        Envelope.Builder b = Envelope.builder().from(ALICE);
        assertThatThrownBy(() -> b.to("ok@example.com", "bad")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.to(Arrays.asList(BOB, null))).isInstanceOf(NullPointerException.class);
        assertThatIllegalStateException().isThrownBy(b::build).withMessageContaining("no recipients");
    }

    @Test
    void nullMailAddressesAreRejected() {
        assertThatNullPointerException().isThrownBy(() -> Envelope.builder().from((MailAddress) null))
                .withMessageContaining("nullSender()");
        assertThatNullPointerException().isThrownBy(() -> Envelope.builder().to(BOB, null));
    }

    // -------------------------------------------------------------------------------------- immutability

    @Test
    void recipientsAreUnmodifiableAndDetachedFromTheBuilder() {
        List<MailAddress> input = new ArrayList<>(List.of(ALICE));
        Envelope.Builder b = Envelope.builder().from(CAROL).to(input);
        Envelope e = b.build();
        input.add(BOB);
        b.to(BOB);
        assertThat(e.recipients()).containsExactly(ALICE);
        assertThatThrownBy(() -> e.recipients().add(BOB)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(b.build().recipients()).containsExactly(ALICE, BOB);
    }

    // -------------------------------------------------------------------------------------- SMTPUTF8

    @Test
    void requiresSmtpUtf8WhenAnyLocalPartIsNonAscii() {
        assertThat(Envelope.of("jörg@example.com", "b@example.com").requiresSmtpUtf8()).isTrue();
        assertThat(Envelope.of("a@example.com", "b@example.com", "jörg@example.com").requiresSmtpUtf8()).isTrue();
        assertThat(Envelope.builder().nullSender().to("jörg@example.com").build().requiresSmtpUtf8()).isTrue();
        assertThat(Envelope.builder().nullSender().to("b@example.com").build().requiresSmtpUtf8()).isFalse();
    }

    @Test
    void idnDomainsAloneDoNotRequireSmtpUtf8() {
        assertThat(Envelope.of("a@bücher.example", "b@例子.广告").requiresSmtpUtf8()).isFalse();
    }

    // -------------------------------------------------------------------------------------- withRecipients

    @Test
    void withRecipientsReturnsACopyWithTheSameSender() {
        Envelope original = Envelope.builder().from(CAROL).to(ALICE, BOB).build();
        Envelope retry = original.withRecipients(List.of(BOB));
        assertThat(retry.sender()).contains(CAROL);
        assertThat(retry.recipients()).containsExactly(BOB);
        assertThat(original.recipients()).containsExactly(ALICE, BOB);
    }

    @Test
    void withRecipientsKeepsTheNullSender() {
        Envelope bounce = Envelope.builder().nullSender().to(ALICE).build();
        assertThat(bounce.withRecipients(List.of(BOB)).reversePath()).isEqualTo("<>");
    }

    @Test
    void withRecipientsValidates() {
        Envelope e = Envelope.builder().from(CAROL).to(ALICE).build();
        assertThatIllegalStateException().isThrownBy(() -> e.withRecipients(List.of()));
        assertThatIllegalArgumentException().isThrownBy(() -> e.withRecipients(List.of(BOB, BOB)))
                .withMessageContaining("bob@example.net");
        assertThatNullPointerException().isThrownBy(() -> e.withRecipients(Arrays.asList(BOB, null)));
        assertThatNullPointerException().isThrownBy(() -> e.withRecipients(null));
    }

    @Test
    void withRecipientsIsDetachedFromTheGivenList() {
        List<MailAddress> list = new ArrayList<>(List.of(BOB));
        Envelope e = Envelope.builder().from(CAROL).to(ALICE).build().withRecipients(list);
        list.add(ALICE);
        assertThat(e.recipients()).containsExactly(BOB);
    }

    // -------------------------------------------------------------------------------------- value semantics

    @Test
    void equalityAndToString() {
        Envelope a = Envelope.of("a@example.com", "b@example.com", "c@example.com");
        Envelope same = Envelope.of("a@Example.com", "b@example.com", "c@example.com");
        Envelope reordered = Envelope.of("a@example.com", "c@example.com", "b@example.com");
        Envelope nullSender = Envelope.builder().nullSender().to("b@example.com", "c@example.com").build();
        assertThat(a).isEqualTo(same).hasSameHashCodeAs(same);
        assertThat(a).isNotEqualTo(reordered).isNotEqualTo(nullSender).isNotEqualTo(null);
        assertThat(a.toString()).isEqualTo("Envelope[from=<a@example.com>, to=[b@example.com, c@example.com]]");
        assertThat(nullSender.toString()).isEqualTo("Envelope[from=<>, to=[b@example.com, c@example.com]]");
    }
}
