package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Runs the packaged program as a user does: {@code java -jar reactive-smtp-cli.jar ARGS} in a JVM of its own
 * (the same {@code java} as the test's), so a class or resource missing from the shaded jar fails the test
 * instead of being found on the test classpath. The jar is the system property {@value #JAR_PROPERTY}, which
 * the cli module's failsafe configuration sets (the {@code *JarIT} tests run in {@code integration-test},
 * after {@code package}).
 *
 * <pre>{@code
 * PackagedCli cli = new PackagedCli(tempDir);             // working directory; also where stdout/stderr go
 * PackagedCli.Result r = cli.command("send", "--server", "127.0.0.1:" + port, ...)
 *         .env("SMTP_PASSWORD", password)                 // or .withoutEnv("SMTP_PASSWORD")
 *         .stdin("Subject: hi\r\n\r\nHello.\r\n")
 *         .run(Duration.ofSeconds(60));                   // bounded: killed and failed past it
 * assertThat(r.code()).as(r.toString()).isEqualTo(ExitCodes.OK);
 *
 * PackagedCli.Running p = cli.command("bulk", ...).start();
 * PackagedCli.awaitFile(report, lines -> lines.size() >= 10, Duration.ofSeconds(30));
 * p.kill();                                               // SIGKILL (Process.destroyForcibly on Linux)
 * p.interrupt();                                          // or SIGINT, as Ctrl-C
 * PackagedCli.Result end = p.awaitExit(Duration.ofSeconds(30));
 * }</pre>
 *
 * <p>Every {@link Result} is checked for the marks of a jar that lacks something ({@link #LINKAGE_ERRORS}):
 * whatever the test expects otherwise, such a run fails it.
 */
final class PackagedCli {

    /** The system property with the path of the shaded jar. */
    static final String JAR_PROPERTY = "cli.jar";

    /** What the JVM prints when the jar lacks a class or a resource the program needs. */
    static final Pattern LINKAGE_ERRORS = Pattern.compile(
            "NoClassDefFoundError|ClassNotFoundException|NoSuchMethodError|NoSuchFieldError|ExceptionInInitializerError"
                    + "|MissingResourceException|ServiceConfigurationError|UnsatisfiedLinkError|Exception in thread");

    private static final AtomicInteger RUNS = new AtomicInteger();

    private final Path dir;

    /**
     * @param dir the working directory of the runs, where their standard output and error files are written too
     */
    PackagedCli(Path dir) {
        this.dir = dir;
    }

    /** @return the shaded jar; fails when the property is missing or names no file */
    static Path jar() {
        String value = System.getProperty(JAR_PROPERTY);
        if (value == null || value.isBlank()) {
            throw new AssertionError("system property " + JAR_PROPERTY + " is not set: the *JarIT tests run under "
                    + "failsafe (mvn -pl cli -am verify), which sets it to the shaded jar");
        }
        Path jar = Path.of(value);
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError(JAR_PROPERTY + "=" + jar + " is not a file: run them after package");
        }
        return jar;
    }

    /** @return the {@code java} launcher of the running JVM */
    static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /**
     * @param args the program's arguments, starting with the subcommand
     * @return a command to configure and run
     */
    Command command(String... args) {
        return new Command(List.of(args));
    }

    /** One run of the program, before it starts. */
    final class Command {
        private final List<String> args;
        private final List<String> jvmOptions = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private final List<String> removedEnv = new ArrayList<>();
        private byte[] stdin = new byte[0];
        private Path workingDir = dir;
        private String name;

        private Command(List<String> args) {
            this.args = args;
            this.name = String.format("run%02d-%s", RUNS.incrementAndGet(), args.isEmpty() ? "none" : args.get(0)
                    .replaceAll("[^A-Za-z0-9]", "_"));
        }

        /** Sets an environment variable of the program (the rest is inherited from the test's JVM). */
        Command env(String variable, String value) {
            env.put(variable, value);
            removedEnv.remove(variable);
            return this;
        }

        /** Removes an inherited environment variable. */
        Command withoutEnv(String variable) {
            env.remove(variable);
            removedEnv.add(variable);
            return this;
        }

        /** Standard input (default: empty, so a read sees end of file at once). */
        Command stdin(String text) {
            this.stdin = text.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        /** Standard input as bytes. */
        Command stdin(byte[] bytes) {
            this.stdin = bytes.clone();
            return this;
        }

        /** The working directory (default: the directory given to {@link PackagedCli}). */
        Command workingDir(Path workingDir) {
            this.workingDir = workingDir;
            return this;
        }

        /** Options for the program's JVM, before {@code -jar} (none by default, as a user runs it). */
        Command jvmOptions(String... options) {
            jvmOptions.addAll(Arrays.asList(options));
            return this;
        }

        /** The base name of the output files ({@code NAME.out}, {@code NAME.err}) in the directory. */
        Command name(String name) {
            this.name = name;
            return this;
        }

        /** Starts the program. */
        Running start() {
            List<String> command = new ArrayList<>();
            command.add(java().toString());
            command.addAll(jvmOptions);
            command.add("-jar");
            command.add(jar().toString());
            command.addAll(args);
            try {
                Path in = Files.write(dir.resolve(name + ".in"), stdin);
                Path out = dir.resolve(name + ".out");
                Path err = dir.resolve(name + ".err");
                ProcessBuilder pb = new ProcessBuilder(command).directory(workingDir.toFile())
                        .redirectInput(in.toFile())
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile());
                removedEnv.forEach(pb.environment()::remove);
                pb.environment().putAll(env);
                return new Running(String.join(" ", args), pb.start(), out, err);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start " + command, e);
            }
        }

        /**
         * Runs the program to its end.
         *
         * @param timeout how long it may take; past it, it is killed and the test fails
         * @return its exit status and output
         */
        Result run(Duration timeout) {
            return start().awaitExit(timeout);
        }
    }

    /** A started program. */
    static final class Running {
        private final String args;
        private final Process process;
        private final Path out;
        private final Path err;

        private Running(String args, Process process, Path out, Path err) {
            this.args = args;
            this.process = process;
            this.out = out;
            this.err = err;
        }

        /** @return the process id */
        long pid() {
            return process.pid();
        }

        /** @return whether it is still running */
        boolean isAlive() {
            return process.isAlive();
        }

        /** @return its standard output so far */
        String out() {
            return read(out);
        }

        /** @return its standard error so far */
        String err() {
            return read(err);
        }

        /** Sends SIGINT, as Ctrl-C in a terminal does. */
        void interrupt() {
            signal("INT");
        }

        /** Sends SIGTERM. */
        void terminate() {
            signal("TERM");
        }

        /** SIGKILL: no shutdown hook, no flush, nothing runs after it. Waits (bounded) until it is gone. */
        void kill() {
            process.destroyForcibly();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    throw new AssertionError("pid " + pid() + " still alive 30 s after SIGKILL");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }

        private void signal(String name) {
            try {
                Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid()))
                        .redirectErrorStream(true).start();
                String said = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                    throw new AssertionError("kill -" + name + " " + pid() + " failed: " + said);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }

        /**
         * Waits until its standard output or error satisfies a condition.
         *
         * @param what a description for the failure message
         * @param condition tested on {@code stdout + stderr}
         * @param timeout the bound
         */
        void awaitOutput(String what, Predicate<String> condition, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!condition.test(out() + err())) {
                if (!process.isAlive()) {
                    if (condition.test(out() + err())) {
                        return;
                    }
                    throw new AssertionError("exited (" + process.exitValue() + ") before " + what + ":\n"
                            + describe());
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no " + what + " within " + timeout + ":\n" + describe());
                }
                sleep(20);
            }
        }

        /**
         * Waits for its end.
         *
         * @param timeout the bound; past it the program is killed and the test fails with its output
         * @return its exit status and output, checked for linkage errors
         */
        Result awaitExit(Duration timeout) {
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(30, TimeUnit.SECONDS);
                    throw new AssertionError("reactive-smtp " + args + " did not end within " + timeout
                            + " (killed):\n" + describe());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
                throw new AssertionError("interrupted", e);
            }
            Result result = new Result(args, process.exitValue(), out(), err());
            result.assertNoLinkageError();
            return result;
        }

        private String describe() {
            return "$ reactive-smtp " + args + "\n--- stdout ---\n" + out() + "--- stderr ---\n" + err();
        }
    }

    /**
     * The end of a run.
     *
     * @param args the arguments, for messages
     * @param code the exit status
     * @param out standard output
     * @param err standard error
     */
    record Result(String args, int code, String out, String err) {

        /** Fails when the output shows a class or resource missing from the jar (or any uncaught exception). */
        void assertNoLinkageError() {
            assertThat(LINKAGE_ERRORS.matcher(out + err).find())
                    .as("the packaged jar lacks something or the program died:\n%s", this).isFalse();
        }

        /** Fails unless the exit status is the given one. */
        Result assertExit(int expected) {
            assertThat(code).as("exit status of\n%s", this).isEqualTo(expected);
            return this;
        }

        @Override
        public String toString() {
            return "$ reactive-smtp " + args + "\n(exit " + code + ")\n--- stdout ---\n" + out + "--- stderr ---\n"
                    + err;
        }
    }

    /**
     * Waits until a file's lines satisfy a condition (a missing file has no lines).
     *
     * @return the lines that did
     */
    static List<String> awaitFile(Path file, Predicate<List<String>> condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> lines = read(file).lines().toList();
            if (condition.test(lines)) {
                return lines;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(file + " did not reach the expected state within " + timeout + "; it has "
                        + lines.size() + " line(s)");
            }
            sleep(10);
        }
    }

    private static String read(Path file) {
        try {
            // Bytes, not readString: a file being written may end inside a character.
            return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
