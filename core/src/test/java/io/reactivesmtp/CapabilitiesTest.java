package io.reactivesmtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CapabilitiesTest {

    @Test
    void keywordsAreCaseInsensitiveWithTheirParameters() {
        Capabilities caps = Capabilities.fromEhlo(SmtpReply.of(250, "mx.example greets you", "pipelining",
                "SIZE 10240000", "AUTH=LOGIN PLAIN", "AUTH CRAM-MD5", "8BITMIME"));
        assertThat(caps.serverName()).isEqualTo("mx.example");
        assertThat(caps.isExtended()).isTrue();
        assertThat(caps.pipelining()).isTrue();
        assertThat(caps.supports("Size")).isTrue();
        assertThat(caps.maxSize()).hasValue(10240000);
        assertThat(caps.eightBitMime()).isTrue();
        assertThat(caps.supports("CHUNKING")).isFalse();
        assertThat(caps.authMechanisms()).contains("LOGIN", "PLAIN", "CRAM-MD5");
    }

    @Test
    void theSameReplyGivesTheSameValueAndAnotherReplyItsOwn() {
        Capabilities a = Capabilities.fromEhlo(SmtpReply.of(250, "one.example", "PIPELINING", "SIZE 1000"));
        Capabilities b = Capabilities.fromEhlo(SmtpReply.of(250, "one.example", "PIPELINING", "SIZE 1000"));
        assertThat(b).isSameAs(a);
        Capabilities c = Capabilities.fromEhlo(SmtpReply.of(250, "one.example", "PIPELINING", "SIZE 2000"));
        assertThat(c).isNotSameAs(a);
        assertThat(c.maxSize()).hasValue(2000);
        assertThat(a.maxSize()).hasValue(1000);
        Capabilities d = Capabilities.fromEhlo(SmtpReply.of(250, "two.example", "PIPELINING", "SIZE 1000"));
        assertThat(d.serverName()).isEqualTo("two.example");
        assertThat(d).isNotSameAs(a);
    }
}
