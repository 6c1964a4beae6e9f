package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reactivesmtp.reactor.Pacing;
import io.reactivesmtp.reactor.PoolOptions;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The connection budget and pacing options of {@code bulk} and {@code worker} ({@link DeliveryOptions}): each value
 * reaches the client's options, and each bad value is an error naming its option, before anything is sent.
 */
class DeliveryOptionsTest {

    @TempDir
    Path dir;

    @Command(name = "test")
    static final class Holder {
        @Mixin
        DeliveryOptions delivery = new DeliveryOptions();
    }

    /** The options parsed, checked and applied to a relay client (the pool built as BulkClient builds it). */
    private static SmtpClientOptions applied(String... args) {
        Holder h = new Holder();
        new CommandLine(h).parseArgs(args);
        h.delivery.check(10, true);
        PoolOptions.Builder pool = PoolOptions.builder();
        SmtpClientOptions.Builder client = SmtpClientOptions.builder().relay("127.0.0.1", 2525);
        h.delivery.applyTo(pool, client);
        return client.pool(pool.build()).build();
    }

    private static String error(boolean mx, String... args) {
        Holder h = new Holder();
        new CommandLine(h).parseArgs(args);
        Throwable e = catchThrowable(() -> h.delivery.check(10, mx));
        assertThat(e).isInstanceOf(IllegalArgumentException.class);
        return e.getMessage();
    }

    @Test
    void budgetAndIdleValuesReachThePool() {
        PoolOptions pool = applied("--max-connections", "80", "--mx-idle-time", "0.5").pool();
        assertThat(pool.maxConnections()).isEqualTo(80);
        assertThat(pool.connectionBudget(50)).isEqualTo(80);
        assertThat(pool.mxIdleTime()).isEqualTo(Duration.ofMillis(500));
        PoolOptions allowance = applied("--idle-allowance", "0").pool();
        assertThat(allowance.idleAllowance()).isZero();
        assertThat(allowance.connectionBudget(50)).isEqualTo(50);
        PoolOptions defaults = applied().pool();
        assertThat(defaults.connectionBudget(50)).isEqualTo(50 + PoolOptions.DEFAULT_IDLE_ALLOWANCE);
        assertThat(defaults.mxIdleTime()).isEqualTo(PoolOptions.DEFAULT_MX_IDLE_TIME);
    }

    @Test
    void pacingValuesReachTheClient() {
        Pacing p = applied("--pacing-floor", "2", "--pacing-initial", "8",
                "--pacing-provider-suffixes", "example.net,Mail.Example.org").pacing();
        assertThat(p.enabled()).isTrue();
        assertThat(p.floor()).isEqualTo(2);
        assertThat(p.initial()).isEqualTo(8);
        assertThat(p.providerSuffixes()).containsExactly("example.net", "mail.example.org");
        // A floor above the default start starts there; an empty list groups no provider.
        Pacing high = applied("--pacing-floor", "10", "--pacing-provider-suffixes", "").pacing();
        assertThat(high.initial()).isEqualTo(10);
        assertThat(high.providerSuffixes()).isEmpty();
        assertThat(applied("--no-pacing").pacing().enabled()).isFalse();
        assertThat(applied().pacing()).isEqualTo(Pacing.DEFAULT);
    }

    @Test
    void eachBadValueNamesItsOption() {
        Map<String, String[]> cases = Map.ofEntries(
                Map.entry("--max-connections must be at least 1, not 0", new String[] {"--max-connections", "0"}),
                Map.entry("--idle-allowance must be 0 or more, not -1", new String[] {"--idle-allowance", "-1"}),
                Map.entry("--max-connections and --idle-allowance exclude each other",
                        new String[] {"--max-connections", "60", "--idle-allowance", "4"}),
                Map.entry("--mx-idle-time must be seconds", new String[] {"--mx-idle-time", "0"}),
                Map.entry("--max-connections 8 is below the 10 connections allowed per destination",
                        new String[] {"--max-connections", "8"}),
                Map.entry("--pacing-floor: pacing floor must be at least 1, not 0",
                        new String[] {"--pacing-floor", "0"}),
                Map.entry("--pacing-initial: pacing initial limit 0 is below the floor 1",
                        new String[] {"--pacing-initial", "0"}),
                Map.entry("--pacing-floor/--pacing-initial: pacing initial limit 3 is below the floor 5",
                        new String[] {"--pacing-floor", "5", "--pacing-initial", "3"}),
                Map.entry("--pacing-provider-suffixes: invalid pacing provider suffix \"com\"",
                        new String[] {"--pacing-provider-suffixes", "example.net,com"}),
                Map.entry("--pacing-initial and --no-pacing exclude each other",
                        new String[] {"--no-pacing", "--pacing-initial", "6"}));
        cases.forEach((message, args) -> assertThat(error(true, args)).as(List.of(args).toString()).contains(message));
        assertThat(error(false, "--mx-idle-time", "1")).isEqualTo("--mx-idle-time needs --mx");
    }

    @Test
    void bulkRefusesABadValueBeforeSendingAnything() throws Exception {
        Path recipients = Files.writeString(dir.resolve("r.txt"), "a@example.com\n");
        Path body = Files.writeString(dir.resolve("m.eml"), "Subject: hi\r\n\r\nHello.\r\n");
        BulkCommandTest.Run run = BulkCommandTest.run("--from", "news@example.com", "--recipients",
                recipients.toString(), "--body", body.toString(), "--mx", "--mx-idle-time", "-2");
        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("--mx-idle-time must be seconds from 0.001 to 86400, not -2.0");
        BulkCommandTest.Run help = BulkCommandTest.run("--help");
        assertThat(help.out()).contains("--max-connections=N", "--idle-allowance=N", "--mx-idle-time=SECONDS",
                "--pacing-floor=N", "--pacing-initial=N", "--pacing-provider-suffixes=SUFFIXES", "--pacing-state=FILE");
    }
}
