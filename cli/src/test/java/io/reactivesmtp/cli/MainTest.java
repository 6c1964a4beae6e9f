package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What {@link Main#main} sets up before the command runs (the packaged jar's run: {@link CliJarIT}). */
class MainTest {

    private String saved;

    @BeforeEach
    void save() {
        saved = System.getProperty(Main.NETTY_JFR);
    }

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty(Main.NETTY_JFR);
        } else {
            System.setProperty(Main.NETTY_JFR, saved);
        }
    }

    @Test
    void nettysJfrEventsAreOffUnlessTheUserSaidOtherwise() {
        System.clearProperty(Main.NETTY_JFR);
        Main.quietNetty();
        assertThat(System.getProperty(Main.NETTY_JFR)).isEqualTo("false");

        System.setProperty(Main.NETTY_JFR, "true");
        Main.quietNetty();
        assertThat(System.getProperty(Main.NETTY_JFR)).isEqualTo("true");
    }
}
