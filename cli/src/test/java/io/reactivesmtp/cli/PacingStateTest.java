package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.reactivesmtp.reactor.LearnedPace;
import io.reactivesmtp.testing.Script;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bulk --pacing-state FILE}: what pacing learned is written at the end of a run and read at the start of the
 * next, whose sites start there; a bad file is an error naming it before anything is sent.
 */
class PacingStateTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private String[] args(Path recipients, Path body, int port, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("--from", "news@example.com", "--recipients",
                recipients.toString(), "--body", body.toString(), "--server", "127.0.0.1:" + port, "--tls", "none"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    private Path recipients(int n) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append("r").append(i).append("@example.com\n");
        }
        return Files.writeString(dir.resolve("r" + n + ".txt"), b);
    }

    private Path body() throws IOException {
        return Files.writeString(dir.resolve("m.eml"), "Subject: hi\r\n\r\nHello.\r\n");
    }

    @Test
    void aServerThatAskedToSlowDownIsWrittenToTheFileWithWhatPacingLearned() throws IOException {
        Path state = dir.resolve("pacing.json");
        Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        try (ScriptedSmtpServer refusing = ScriptedSmtpServer.start(
                Script.create().send("421 4.7.0 too many connections from your address").close())) {
            BulkCommandTest.Run run = BulkCommandTest.run(args(recipients(4), body(), refusing.port(),
                    "--concurrency", "4", "--pacing-state", state.toString()));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.FAILED);
            JsonNode root = JSON.readTree(state.toFile());
            assertThat(root.get("version").asInt()).isEqualTo(1);
            assertThat(root.get("sites")).hasSize(1);
            JsonNode site = root.get("sites").get(0);
            assertThat(site.get("site").asText()).isEqualTo("127.0.0.1:" + refusing.port());
            assertThat(site.get("limit").asInt()).as("halved from the initial 4").isLessThan(4);
            assertThat(Instant.parse(site.get("at").asText())).isBetween(before.minusSeconds(1), Instant.now());
        }
    }

    @Test
    void aRunStartsWhereTheFileLeftOffAndKeepsWhatItDidNotUse() throws IOException {
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            Instant at = Instant.now().minus(Duration.ofHours(2)).truncatedTo(ChronoUnit.SECONDS);
            String site = "127.0.0.1:" + server.port();
            LearnedPace here = new LearnedPace(site, 1, 0, 0, at);
            LearnedPace other = new LearnedPace("google.com", 3, 12.5, 40, at.minusSeconds(60));
            Path state = dir.resolve("pacing.json");
            PacingStateFile.write(state, List.of(other, here));

            BulkCommandTest.Run run = BulkCommandTest.run(args(recipients(20), body(), server.port(),
                    "--concurrency", "10", "--json", "--pacing-state", state.toString()));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(server.awaitMessages(20, Duration.ofSeconds(10))).hasSize(20);
            // One at a time, as learned: one connection carries all 20 (a new site starts at 4 at once).
            assertThat(JSON.readTree(run.out()).get("connections").asLong()).as(run.out()).isEqualTo(1);
            assertThat(PacingStateFile.read(state, Instant.now())).as("by site").containsExactly(here, other);
        }
    }

    @Test
    void aRunWithAFixedRateKeepsTheRateTheFileHadForTheSitesItUsed() throws IOException {
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            Instant at = Instant.now().minus(Duration.ofHours(2)).truncatedTo(ChronoUnit.SECONDS);
            LearnedPace here = new LearnedPace("127.0.0.1:" + server.port(), 2, 40, 80, at);
            Path state = dir.resolve("pacing.json");
            PacingStateFile.write(state, List.of(here));

            BulkCommandTest.Run run = BulkCommandTest.run(args(recipients(6), body(), server.port(),
                    "--concurrency", "4", "--rate", "1000", "--pacing-state", state.toString()));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
            assertThat(server.awaitMessages(6, Duration.ofSeconds(10))).hasSize(6);
            // --rate was the rate: this run learned nothing about it, so the next run without --rate starts at 40/s.
            assertThat(PacingStateFile.read(state, Instant.now())).containsExactly(here);
        }
    }

    @Test
    void entriesOlderThanAWeekAreDroppedAndAMissingFileIsEmpty() throws IOException {
        Path state = dir.resolve("pacing.json");
        assertThat(PacingStateFile.read(state, Instant.now())).isEmpty();
        Instant now = Instant.parse("2026-12-07T04:00:00Z");
        LearnedPace fresh = new LearnedPace("a.example.test:25", 2, 0, 0, now.minus(Duration.ofDays(6)));
        LearnedPace stale = new LearnedPace("b.example.test:25", 2, 0, 0, now.minus(Duration.ofDays(8)));
        PacingStateFile.write(state, List.of(fresh, stale));
        assertThat(PacingStateFile.read(state, now)).containsExactly(fresh);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no temporary file left")
                    .containsExactly("pacing.json");
        }
    }

    @Test
    void aBadFileIsAnErrorNamingItBeforeAnythingIsSent() throws IOException {
        Map<String, String> cases = Map.of(
                "{\"version\":1,\"sites\":[{\"site\":\"x.example.test:25\",\"limit\":0,\"rate\":0,\"rateOrigin\":0,"
                        + "\"at\":\"2026-12-07T04:00:00Z\"}]}",
                "sites[0]: learned pace of x.example.test:25: limit must be at least 1, not 0",
                "{\"version\":1,\"sites\":[{\"site\":\"x.example.test:25\",\"limit\":\"2\",\"rate\":0,"
                        + "\"rateOrigin\":0,\"at\":\"2026-12-07T04:00:00Z\"}]}",
                "sites[0]: limit: expected a whole number",
                "{\"version\":1,\"sites\":[{\"site\":\"x.example.test:25\",\"limit\":2,\"rate\":0,\"rateOrigin\":0,"
                        + "\"at\":\"yesterday\"}]}",
                "sites[0].at: not an ISO-8601 instant",
                "{\"version\":2,\"sites\":[]}", "version 2 is not 1",
                "{\"version\":1,\"sites\":[3]}", "sites[0]: expected an object",
                "{\"version\":1,\"sites\":[]} {}", "not JSON (more after the end",
                "[1, 2]", "expected {\"version\":1,\"sites\":[...]}",
                "{\"version\":1,", "not JSON");
        Path state = dir.resolve("bad.json");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Files.writeString(state, c.getKey());
            Throwable e = catchThrowable(() -> PacingStateFile.read(state, Instant.parse("2026-12-07T05:00:00Z")));
            assertThat(e).as(c.getKey()).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("--pacing-state " + state + ": ").hasMessageContaining(c.getValue());
        }

        Files.writeString(state, "{\"version\":1,");
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            BulkCommandTest.Run run = BulkCommandTest.run(args(recipients(1), body(), server.port(),
                    "--pacing-state", state.toString()));
            assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(run.err()).contains("--pacing-state " + state + ": not JSON");
            BulkCommandTest.Run off = BulkCommandTest.run(args(recipients(1), body(), server.port(),
                    "--no-pacing", "--pacing-state", dir.resolve("none.json").toString()));
            assertThat(off.code()).as(off.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(off.err()).contains("--pacing-state and --no-pacing exclude each other");
            assertThat(server.messages()).as("nothing sent").isEmpty();
        }
    }
}
