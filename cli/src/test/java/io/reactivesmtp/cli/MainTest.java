package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What {@link Main#main} sets up before the command runs (the packaged jar's run: {@link CliJarIT}). */
class MainTest {

    private static final List<String> PROPERTIES = List.of(Main.NETTY_JFR, Main.NETTY_LEAK_DETECTION,
            Main.NETTY_LEAK_DETECTION_OLD);

    private final Map<String, String> saved = new HashMap<>();

    @BeforeEach
    void save() {
        for (String p : PROPERTIES) {
            saved.put(p, System.getProperty(p));
            System.clearProperty(p);
        }
    }

    @AfterEach
    void restore() {
        saved.forEach((p, v) -> {
            if (v == null) {
                System.clearProperty(p);
            } else {
                System.setProperty(p, v);
            }
        });
    }

    @Test
    void nettysJfrEventsAreOffUnlessTheUserSaidOtherwise() {
        Main.quietNetty();
        assertThat(System.getProperty(Main.NETTY_JFR)).isEqualTo("false");

        System.setProperty(Main.NETTY_JFR, "true");
        Main.quietNetty();
        assertThat(System.getProperty(Main.NETTY_JFR)).isEqualTo("true");
    }

    @Test
    void nettysLeakDetectorIsOffUnlessTheUserSetItUnderEitherName() {
        Main.quietNetty();
        assertThat(System.getProperty(Main.NETTY_LEAK_DETECTION)).isEqualTo("disabled");

        System.setProperty(Main.NETTY_LEAK_DETECTION, "paranoid");
        Main.quietNetty();
        assertThat(System.getProperty(Main.NETTY_LEAK_DETECTION)).isEqualTo("paranoid");

        System.clearProperty(Main.NETTY_LEAK_DETECTION);
        System.setProperty(Main.NETTY_LEAK_DETECTION_OLD, "advanced");
        Main.quietNetty();
        assertThat(System.getProperty(Main.NETTY_LEAK_DETECTION)).isNull();
        assertThat(System.getProperty(Main.NETTY_LEAK_DETECTION_OLD)).isEqualTo("advanced");
    }
}
