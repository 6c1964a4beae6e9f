package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The top-level command and the small helpers the subcommands share. */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CliMainTest {

    @Test
    void helpListsTheDemoSubcommand() {
        DemoCommandTest.Run run = DemoCommandTest.run("--help");

        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("reactive-smtp", "demo", "Exit status:", "3   some recipients accepted");
    }

    @Test
    void demoHelpDescribesItsOptions() {
        DemoCommandTest.Run run = DemoCommandTest.run("help", "demo");

        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("--server=HOST:PORT", "--from=ADDR", "--to=ADDR", "--json");
    }

    @Test
    void withoutSubcommandItIsAUsageError() {
        DemoCommandTest.Run run = DemoCommandTest.run();

        assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("Missing required subcommand", "demo");
    }

    @Test
    void unknownOptionIsAUsageError() {
        DemoCommandTest.Run run = DemoCommandTest.run("demo", "--frobnicate");

        assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("--frobnicate");
    }

    @Test
    void aUsageErrorPrintsOneLineAndWhereTheHelpIsNotTheWholeUsage() {
        DemoCommandTest.Run run = DemoCommandTest.run("bulk", "--frobnicate", "3", "--from", "a@example.com",
                "--recipients", "r.txt", "--body", "b.eml");

        assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.out()).isEmpty();
        // No suggestion: --frobnicate is nothing like --from.
        assertThat(run.err().lines().toList()).containsExactly(
                "reactive-smtp bulk: Unknown options: '--frobnicate', '3'", "see `reactive-smtp help bulk`");
    }

    @Test
    void aMistypedOptionGetsTheNearOne() {
        DemoCommandTest.Run run = DemoCommandTest.run("bulk", "--concurency", "3", "--from", "a@example.com",
                "--recipients", "r.txt", "--body", "b.eml");

        assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err().lines().toList()).contains("did you mean --concurrency?", "see `reactive-smtp help bulk`")
                .hasSizeLessThanOrEqualTo(3);
    }

    @Test
    void versionIsPrinted() {
        DemoCommandTest.Run run = DemoCommandTest.run("--version");

        assertThat(run.code()).isZero();
        assertThat(run.out()).startsWith("reactive-smtp ");
        DemoCommandTest.Run command = DemoCommandTest.run("version");
        assertThat(command.code()).as(command.toString()).isZero();
        assertThat(command.out()).isEqualTo(run.out());
    }

    @Test
    void jsonQuoteEscapesControlAndNonAsciiCharacters() {
        assertThat(CliJson.quote("a\"b\\c\r\n\t\u0000é\u2028")).isEqualTo(
                "\"a\\\"b\\\\c\\r\\n\\t\\u0000\\u00E9\\u2028\"");
        assertThat(CliJson.quote(null)).isEqualTo("null");
        assertThat(TestJson.parse(CliJson.quote("x\"\\\u0001ü"))).isEqualTo("x\"\\\u0001ü");
    }

    @Test
    void serverAddressParsesHostPortAndBracketedIpv6() {
        assertThat(ServerAddress.parse("127.0.0.1:2525")).isEqualTo(new ServerAddress("127.0.0.1", 2525));
        assertThat(ServerAddress.parse("[::1]:25")).isEqualTo(new ServerAddress("::1", 25));
        assertThat(ServerAddress.parse("[::1]:25").toString()).isEqualTo("[::1]:25");
        assertThatThrownBy(() -> ServerAddress.parse("h:99999")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"h:99999\"");
        assertThatThrownBy(() -> ServerAddress.parse("h\r\n:25")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"h\\r\\n:25\"");
    }
}
