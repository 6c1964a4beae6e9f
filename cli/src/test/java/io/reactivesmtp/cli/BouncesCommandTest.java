package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code reactive-smtp bounces} over an mbox and a Maildir made of the parser's corpus (core's test resources:
 * real Postfix and Exim bounces, RFC examples, provider shapes), its bad inputs, and {@code bulk --suppress} with the
 * list it writes, against a SubEthaSMTP server on 127.0.0.1 that counts what it is sent.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BouncesCommandTest {

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
        int code = cl.execute(Stream.concat(Stream.of("bounces"), Stream.of(args)).toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    static String sample(String name) throws IOException {
        try (InputStream in = BouncesCommandTest.class.getResourceAsStream("/bounces/" + name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** An mbox (mboxrd) of the samples: each after a From_ line, a body line "From " escaped as ">From ". */
    private Path mbox(String... names) throws IOException {
        StringBuilder b = new StringBuilder();
        for (String name : names) {
            b.append("From MAILER-DAEMON Sun Dec  6 17:43:47 2026\n");
            String text = sample(name).replace("\r\n", "\n");
            for (String line : text.split("\n", -1)) {
                b.append(line.matches(">*From .*") ? ">" + line : line).append('\n');
            }
        }
        return Files.writeString(dir.resolve("bounces.mbox"), b.toString());
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> jsonLines(Path file) throws IOException {
        List<Map<String, Object>> lines = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            lines.add((Map<String, Object>) TestJson.parse(line));
        }
        return lines;
    }

    @Test
    void anMboxGivesOneJsonLinePerMessageAndTheSuppressionList() throws IOException {
        Path mbox = mbox("postfix-unknown-user.eml", "exim-remote-unknown-user.eml", "rfc3464-simple.eml",
                "rfc5965-full.eml", "qmail-failure-notice.eml", "vague-bounce-guessed.eml", "vacation-autoreply.eml",
                "rfc3464-gateway.eml");
        Path out = dir.resolve("bounces.jsonl");
        Path list = dir.resolve("suppress.txt");

        Run run = run(mbox.toString(), "--output", out.toString(), "--suppression-list", list.toString());

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
        assertThat(run.out()).contains("8 message(s) in 1 mailbox(es): 4 delivery status, 1 feedback, "
                + "2 non-standard bounce(s), 1 not a report, 0 unreadable", "1 with uncertain addresses",
                "5 address(es) to suppress written to " + list);
        List<Map<String, Object>> lines = jsonLines(out);
        assertThat(lines).extracting(l -> l.get("source")).containsExactly(mbox + ":1", mbox + ":72", mbox + ":138",
                mbox + ":181", mbox + ":237", mbox + ":267", mbox + ":276", mbox + ":286");
        assertThat(lines).extracting(l -> l.get("kind")).containsExactly("DELIVERY_STATUS", "DELIVERY_STATUS",
                "DELIVERY_STATUS", "FEEDBACK", "NON_STANDARD_BOUNCE", "NON_STANDARD_BOUNCE", "NOT_A_REPORT",
                "DELIVERY_STATUS");
        Map<String, Object> postfix = lines.get(0);
        assertThat(postfix).containsEntry("envelopeId", "env-1").containsEntry("confidence", "CERTAIN")
                .containsEntry("originalMessageId", "<newsletter-1@sender.test>")
                .containsEntry("suppress", List.of("unknown@users.test")).containsEntry("error", null);
        assertThat((List<Map<String, Object>>) postfix.get("recipients")).singleElement().satisfies(r -> assertThat(r)
                .containsEntry("address", "unknown@users.test").containsEntry("status", "5.1.1")
                .containsEntry("action", "FAILED").containsEntry("hardBounce", true));
        assertThat(lines.get(3).get("feedback")).asInstanceOf(
                        org.assertj.core.api.InstanceOfAssertFactories.map(String.class, Object.class))
                .containsEntry("feedbackType", "abuse").containsEntry("complaint", true)
                .containsEntry("complainants", List.of("user@example.com"));
        assertThat(lines.get(5)).containsEntry("confidence", "UNCERTAIN").containsEntry("suppress", List.of());
        // The RFC 3464 example failed with 4.0.0 (soft) and the gateway's X.400 address is nothing bulk can send to.
        assertThat(lines.get(2)).containsEntry("suppress", List.of());
        assertThat(lines.get(7)).containsEntry("suppress", List.of());
        assertThat(Files.readAllLines(list)).first().asString().startsWith("# reactive-smtp bounces: ");
        assertThat(Files.readAllLines(list)).containsSequence("bob@remote.example", "ghost@remote.test",
                "nosuchuser@qmail.example", "unknown@users.test", "user@example.com").hasSize(6); // and the comment
    }

    @Test
    void aMaildirIsReadFromNewAndCurAndJsonGoesToStandardOutputWithoutOutput() throws IOException {
        Path maildir = dir.resolve("Maildir");
        Files.createDirectories(maildir.resolve("new"));
        Files.createDirectories(maildir.resolve("cur"));
        Files.createDirectories(maildir.resolve("tmp"));
        Files.writeString(maildir.resolve("new/1796579027.V1.mta"), sample("postfix-mailbox-full.eml"));
        Files.writeString(maildir.resolve("cur/1796579028.V2.mta:2,S"), sample("microsoft-jmrp-complaint.eml"));
        Files.writeString(maildir.resolve("tmp/ignored"), sample("postfix-relay-refused.eml"));
        Path list = dir.resolve("suppress.txt");

        Run run = run(maildir.toString(), "--suppression-list", list.toString(), "--json");

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.OK);
        List<Map<String, Object>> lines = run.out().lines().map(l -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) TestJson.parse(l);
            return m;
        }).toList();
        assertThat(lines).extracting(l -> l.get("source")).containsExactly(
                maildir.resolve("new/1796579027.V1.mta").toString(), maildir.resolve("cur/1796579028.V2.mta:2,S")
                        .toString());
        assertThat(lines.get(1)).containsEntry("kind", "FEEDBACK").containsEntry("confidence", "HEURISTIC")
                .containsEntry("suppress", List.of("complainer@hotmail.example"));
        Map<String, Object> summary = DemoCommandTest.json(run.err());
        assertThat(summary).containsEntry("messages", 2L).containsEntry("suppressed", 2L)
                .containsEntry("exitStatus", 0L);
        assertThat(Files.readAllLines(list)).containsExactly(Files.readAllLines(list).get(0),
                "complainer@hotmail.example", "full@users.test");
    }

    @Test
    void badInputsAreNamedAndNothingIsRead() throws IOException {
        Path missing = dir.resolve("missing.mbox");
        Path good = mbox("postfix-unknown-user.eml");
        Path out = dir.resolve("out.jsonl");
        Run run = run(good.toString(), missing.toString(), "--output", out.toString());
        assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("reactive-smtp bounces: " + missing + " is not a readable file or Maildir");
        assertThat(out).doesNotExist();

        Path notMaildir = Files.createDirectories(dir.resolve("plain-dir"));
        assertThat(run(notMaildir.toString()).err()).contains(notMaildir + " is a directory but not a Maildir");
        Path notMbox = Files.writeString(dir.resolve("notes.txt"), "Subject: hello\n\nhi\n");
        Run notAnMbox = run(notMbox.toString());
        assertThat(notAnMbox.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(notAnMbox.err()).contains(notMbox + " is not an mbox: its line 1 does not start with \"From \"");
        assertThat(run().code()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void aMessageThatCannotBeReadIsNamedAndTheRestIsRead() throws IOException {
        StringBuilder b = new StringBuilder("From MAILER-DAEMON Sun Dec  6 17:43:47 2026\n");
        b.append("From: MAILER-DAEMON@example.org\n").append("X-Header: x\n".repeat(1500)).append("\nbody\n\n");
        b.append("From MAILER-DAEMON Sun Dec  6 17:43:48 2026\n").append(sample("postfix-unknown-user.eml"));
        Path mbox = Files.writeString(dir.resolve("broken.mbox"), b.toString());
        Path out = dir.resolve("out.jsonl");
        Path list = dir.resolve("list.txt");

        Run run = run(mbox.toString(), "--output", out.toString(), "--suppression-list", list.toString());

        assertThat(run.code()).as(run.toString()).isEqualTo(ExitCodes.PARTIAL);
        assertThat(run.err()).contains("reactive-smtp bounces: " + mbox + ":1: not read: beyond the parser's bounds");
        List<Map<String, Object>> lines = jsonLines(out);
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).get("error")).asString().contains("LIMIT_EXCEEDED");
        assertThat(lines.get(1)).containsEntry("source", mbox + ":1506").containsEntry("kind", "DELIVERY_STATUS");
        assertThat(Files.readAllLines(list)).endsWith("unknown@users.test");
    }
}
