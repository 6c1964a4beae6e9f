package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/reactive-smtp}, the launcher users run: the JVM options it chooses per command, the override by
 * {@code REACTIVE_SMTP_JAVA_OPTS}, and the exit status passed through. It runs the script with a fake {@code java}
 * first on PATH (a shell script that prints its arguments one per line and exits with {@code FAKE_JAVA_EXIT}) and
 * {@code REACTIVE_SMTP_JAR} naming a file of the test's, so nothing is built and no JVM starts.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "bin/reactive-smtp is a bash script; on Windows the CLI runs as"
        + " java -jar cli/target/reactive-smtp-cli.jar, which no launcher chooses options for")
class LauncherScriptTest {

    /** What the launcher gives {@code bulk} (benchmarks/run-matrix.sh's bulk row measures them against none). */
    static final List<String> BULK = List.of("-XX:+UseSerialGC", "-XX:MaxInlineLevel=9", "-XX:InlineSmallCode=1000",
            "-XX:FreqInlineSize=100");
    /** What it gives the commands that send a message or a few and end. */
    static final List<String> SHORT = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    /** The JVM's defaults: the long-running worker, and enqueue (as long as its input). */
    static final List<String> DEFAULTS = List.of();

    /** Every subcommand of the program and its options: a new subcommand must be added here, a choice made. */
    static final Map<String, List<String>> BY_COMMAND = Map.of(
            "bulk", BULK,
            "send", SHORT,
            "probe", SHORT,
            "demo", SHORT,
            "bounces", SHORT,
            "version", SHORT,
            "help", SHORT,
            "worker", DEFAULTS,
            "enqueue", DEFAULTS);

    @TempDir
    Path dir;

    private Path jar;

    @BeforeEach
    void fakeJavaAndJar() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("fake-bin"));
        Path java = bin.resolve("java");
        Files.writeString(java, """
                #!/bin/sh
                for a in "$@"; do printf '%s\\n' "$a"; done
                exit "${FAKE_JAVA_EXIT:-0}"
                """, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        jar = Files.writeString(dir.resolve("some.jar"), "not a real jar: the fake java never opens it");
    }

    @Test
    void everySubcommandOfTheProgramHasItsOptionsInThisTest() {
        assertThat(BY_COMMAND.keySet())
                .containsExactlyInAnyOrderElementsOf(Main.commandLine().getSubcommands().keySet());
    }

    @Test
    void eachCommandGetsItsOptionsBeforeTheJarAndItsArgumentsUnchanged() throws Exception {
        for (Map.Entry<String, List<String>> e : BY_COMMAND.entrySet()) {
            Run r = launch(Map.of(), e.getKey(), "--subject", "two words", "");
            assertThat(r.code).as(r.toString()).isZero();
            assertThat(r.javaArgs()).as(e.getKey() + ": " + r)
                    .isEqualTo(javaArgs(e.getValue(), e.getKey(), "--subject", "two words", ""));
        }
    }

    @Test
    void theCommandIsTheFirstArgumentThatIsNotAnOption() throws Exception {
        assertThat(launch(Map.of(), "bulk", "--body", "send", "worker").javaArgs())
                .isEqualTo(javaArgs(BULK, "bulk", "--body", "send", "worker"));
        assertThat(launch(Map.of(), "--help", "worker").javaArgs()).isEqualTo(javaArgs(DEFAULTS, "--help", "worker"));
        assertThat(launch(Map.of(), "-V", "bulk").javaArgs()).isEqualTo(javaArgs(BULK, "-V", "bulk"));
    }

    @Test
    void noCommandOrAnOptionAloneIsAShortRunAndAnArgumentFileGetsTheDefaults() throws Exception {
        assertThat(launch(Map.of()).javaArgs()).isEqualTo(javaArgs(SHORT));
        assertThat(launch(Map.of(), "--version").javaArgs()).isEqualTo(javaArgs(SHORT, "--version"));
        assertThat(launch(Map.of(), "sned").javaArgs()).isEqualTo(javaArgs(SHORT, "sned"));
        assertThat(launch(Map.of(), "@args.txt").javaArgs()).isEqualTo(javaArgs(DEFAULTS, "@args.txt"));
    }

    @Test
    void reactiveSmtpJavaOptsReplacesTheChoiceEvenWhenEmpty() throws Exception {
        Map<String, String> opts = Map.of("REACTIVE_SMTP_JAVA_OPTS", " -Xmx64m  -XX:+UseParallelGC ");
        assertThat(launch(opts, "bulk", "--json").javaArgs())
                .isEqualTo(javaArgs(List.of("-Xmx64m", "-XX:+UseParallelGC"), "bulk", "--json"));
        assertThat(launch(opts, "send").javaArgs()).isEqualTo(javaArgs(List.of("-Xmx64m", "-XX:+UseParallelGC"), "send"));

        Map<String, String> empty = Map.of("REACTIVE_SMTP_JAVA_OPTS", "");
        assertThat(launch(empty, "bulk").javaArgs()).isEqualTo(javaArgs(DEFAULTS, "bulk"));
        assertThat(launch(empty, "send").javaArgs()).isEqualTo(javaArgs(DEFAULTS, "send"));
    }

    @Test
    void theAppCdsOptInComesBeforeTheChoice() throws Exception {
        String jsa = jar.toString().replaceFirst("\\.jar$", ".jsa");
        List<String> cds = List.of("-Xlog:cds=off", "-Xlog:cds+dynamic=off", "-XX:ArchiveClassesAtExit=" + jsa);
        List<String> expected = new ArrayList<>(cds);
        expected.addAll(BULK);
        assertThat(launch(Map.of("REACTIVE_SMTP_APPCDS", "1"), "bulk").javaArgs()).isEqualTo(javaArgs(expected, "bulk"));
    }

    @Test
    void javasExitStatusIsTheLaunchers() throws Exception {
        for (int code : new int[] {0, 2, 3, 4, 137}) {
            Run r = launch(Map.of("FAKE_JAVA_EXIT", String.valueOf(code)), "bulk");
            assertThat(r.code).as(r.toString()).isEqualTo(code);
        }
    }

    @Test
    void aReactiveSmtpJarThatIsNoFileIsAnErrorBeforeJava() throws Exception {
        Run r = launch(Map.of("REACTIVE_SMTP_JAR", dir.resolve("missing.jar").toString()), "send");
        assertThat(r.code).as(r.toString()).isEqualTo(1);
        assertThat(r.stdout).isEmpty();
        assertThat(r.stderr).contains("REACTIVE_SMTP_JAR=" + dir.resolve("missing.jar") + " is not a file");
    }

    /** The arguments java should get: the options, then -jar JAR and the launcher's arguments. */
    private List<String> javaArgs(List<String> options, String... args) {
        List<String> all = new ArrayList<>(options);
        all.add("-jar");
        all.add(jar.toString());
        all.addAll(List.of(args));
        return all;
    }

    /** Runs bin/reactive-smtp with the fake java and the test's jar (env may replace either), at most 30 s. */
    private Run launch(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(launcher().toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        Map<String, String> e = pb.environment();
        // What the caller's environment may hold and the launcher reads: each test says what it wants.
        e.remove("REACTIVE_SMTP_JAVA_OPTS");
        e.remove("REACTIVE_SMTP_APPCDS");
        e.remove("JDK_JAVA_OPTIONS");
        e.put("PATH", dir.resolve("fake-bin") + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        e.put("REACTIVE_SMTP_JAR", jar.toString());
        e.putAll(env);
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            fail("bin/reactive-smtp " + String.join(" ", args) + " did not end within 30 s; stderr: "
                    + Files.readString(err));
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** bin/reactive-smtp, found from the working directory up (the cli module's when Maven runs the test). */
    static Path launcher() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path script = d.resolve("bin").resolve("reactive-smtp");
            if (Files.isRegularFile(script)) {
                assertThat(Files.isExecutable(script)).as(script + " is executable").isTrue();
                return script;
            }
        }
        throw new AssertionError("no bin/reactive-smtp above " + Path.of("").toAbsolutePath());
    }

    private record Run(int code, String stdout, String stderr) {

        /** What the fake java was given, one argument a line. */
        List<String> javaArgs() {
            assertThat(code).as(toString()).isZero();
            assertThat(stdout).as("each argument ends with a newline").matches("(?s)|.*\n");
            List<String> lines = List.of(stdout.split("\n", -1));
            return lines.subList(0, lines.size() - 1);
        }
    }
}
