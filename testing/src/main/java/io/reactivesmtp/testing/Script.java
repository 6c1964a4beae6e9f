package io.reactivesmtp.testing;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The steps a {@link ScriptedSmtpServer} plays against each connection. Built fluently; the
 * server copies it at {@link ScriptedSmtpServer#start(Script)}.
 */
public final class Script {
    final List<ScriptStep> steps = new ArrayList<>();

    private Script() {
    }

    /**
     * Creates an empty script.
     *
     * @return a new script
     */
    public static Script create() {
        return new Script();
    }

    private Script add(ScriptStep step) {
        steps.add(step);
        return this;
    }

    private static List<String> checkLines(String... lines) {
        if (lines.length == 0) {
            throw new IllegalArgumentException("at least one line");
        }
        for (String l : lines) {
            if (l.indexOf('\r') >= 0 || l.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("CR/LF in a line (use sendRaw for that): " + Recording.escape(l));
            }
        }
        return Collections.unmodifiableList(new ArrayList<>(Arrays.asList(lines)));
    }

    private static byte[] crlfJoined(List<String> lines) {
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            sb.append(l).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Duration checkDuration(Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException("duration must be >= 0: " + d);
        }
        return d;
    }

    /**
     * Writes the lines, each followed by CRLF, in one write and flush (UTF-8).
     *
     * @param lines the reply lines, without CR or LF
     * @return this script
     */
    public Script send(String... lines) {
        ScriptStep s = new ScriptStep(ScriptStep.Kind.SEND);
        s.lines = checkLines(lines);
        s.bytes = crlfJoined(s.lines);
        return add(s);
    }

    /**
     * Writes exactly these bytes in one write and flush; no CRLF is added.
     *
     * @param bytes the bytes
     * @return this script
     */
    public Script sendRaw(byte[] bytes) {
        ScriptStep s = new ScriptStep(ScriptStep.Kind.SEND_RAW);
        s.bytes = bytes.clone();
        return add(s);
    }

    /**
     * Writes exactly this text as UTF-8 in one write and flush; no CRLF is added.
     *
     * @param text the text, with whatever line endings the test wants
     * @return this script
     */
    public Script sendRaw(String text) {
        return sendRaw(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes the lines (CRLF added) one byte per write and flush, with about 1 ms between the
     * bytes (TCP_NODELAY is on), so the client reads them in many small segments.
     *
     * @param lines the reply lines
     * @return this script
     */
    public Script sendOneBytePerSegment(String... lines) {
        ScriptStep s = new ScriptStep(ScriptStep.Kind.SEND_SLOW);
        s.lines = checkLines(lines);
        s.bytes = crlfJoined(s.lines);
        return add(s);
    }

    /**
     * Pauses the script (a scheduled task; client input is buffered meanwhile).
     *
     * @param duration how long
     * @return this script
     */
    public Script delay(Duration duration) {
        ScriptStep s = new ScriptStep(ScriptStep.Kind.DELAY);
        s.duration = checkDuration(duration);
        return add(s);
    }

    /**
     * From here on, sends are buffered until {@link #releaseReplies()}, which writes them in
     * one write: a server that queues many replies before writing.
     *
     * @return this script
     */
    public Script holdReplies() {
        return add(new ScriptStep(ScriptStep.Kind.HOLD));
    }

    /**
     * Writes everything buffered since {@link #holdReplies()} in one write and flush.
     *
     * @return this script
     */
    public Script releaseReplies() {
        return add(new ScriptStep(ScriptStep.Kind.RELEASE));
    }

    /**
     * Expects the next line (without CRLF) to equal {@code line} exactly.
     *
     * @param line the expected line
     * @return this script
     */
    public Script expect(String line) {
        ScriptStep s = new ScriptStep(ScriptStep.Kind.EXPECT_LINE);
        s.text = Objects.requireNonNull(line, "line");
        return add(s);
    }

    /**
     * Expects the next line (without CRLF) to match {@code regex} completely.
     *
     * @param regex a {@link Pattern} regular expression
     * @return this script
     */
    public Script expectMatching(String regex) {
        return expectLines(1, regex);
    }

    /**
     * Expects the next {@code n} lines to match {@code regex} completely, without replying in between.
     *
     * @param n     how many lines, at least 1
     * @param regex a {@link Pattern} regular expression
     * @return this script
     */
    public Script expectLines(int n, String regex) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1: " + n);
        }
        ScriptStep s = new ScriptStep(ScriptStep.Kind.EXPECT_LINE);
        s.pattern = Pattern.compile(regex);
        s.count = n;
        return add(s);
    }

    /**
     * Reads the raw DATA content up to and including {@code CRLF.CRLF} (or a first line
     * {@code .} for an empty message) and records it; see {@link ScriptedSmtpServer#dataReceived(int)}.
     * Use it directly after the reply to DATA.
     *
     * @return this script
     */
    public Script expectData() {
        return add(new ScriptStep(ScriptStep.Kind.EXPECT_DATA));
    }

    /**
     * Expects a line {@code BDAT <size>} or {@code BDAT <size> LAST}, then reads exactly
     * {@code size} raw bytes and records them as a data section.
     *
     * @return this script
     */
    public Script expectBdat() {
        return add(new ScriptStep(ScriptStep.Kind.EXPECT_BDAT));
    }

    /**
     * Expects that the client sends nothing (not a byte) for {@code duration}; any byte already
     * buffered or arriving meanwhile is a failure.
     *
     * @param duration how long
     * @return this script
     */
    public Script expectNothing(Duration duration) {
        ScriptStep s = new ScriptStep(ScriptStep.Kind.EXPECT_NOTHING);
        s.duration = checkDuration(duration);
        return add(s);
    }

    /**
     * Expects that the client closes the connection within {@code duration} without sending
     * anything more. Must be the last step. If it does not, the server records a failure and
     * closes the connection.
     *
     * @param duration how long to wait at most
     * @return this script
     */
    public Script expectClose(Duration duration) {
        ScriptStep s = new ScriptStep(ScriptStep.Kind.EXPECT_CLOSE);
        s.duration = checkDuration(duration);
        return add(s);
    }

    /**
     * Closes the connection now. Must be the last step.
     *
     * @return this script
     */
    public Script close() {
        return add(new ScriptStep(ScriptStep.Kind.CLOSE));
    }

    /**
     * Ends the script but keeps the connection open and accepts (records, without replying)
     * whatever the client sends later, and its close. Must be the last step. For tests where
     * the client gives up, e.g. after a timeout, and may or may not send QUIT.
     *
     * @return this script
     */
    public Script ignoreRest() {
        return add(new ScriptStep(ScriptStep.Kind.IGNORE_REST));
    }

    /**
     * Starts server-side TLS now: adds an {@link SslHandler} from {@code serverContext} in
     * front of the pipeline and continues when the handshake succeeded (a failed handshake is a
     * failure). Typically after {@code expect("STARTTLS").send("220 2.0.0 ready")}. Input
     * buffered before the handshake starts (plaintext sent behind STARTTLS) is a failure.
     *
     * @param serverContext a server {@link SslContext}
     * @return this script
     */
    public Script startTls(SslContext serverContext) {
        if (!serverContext.isServer()) {
            throw new IllegalArgumentException("a server SslContext is required");
        }
        ScriptStep s = new ScriptStep(ScriptStep.Kind.START_TLS);
        s.ssl = serverContext;
        return add(s);
    }

    /**
     * Appends the steps {@code body} adds, {@code times} times, e.g.
     * {@code repeat(1000, s -> s.expectMatching("RCPT TO:<.*>").send("250 ok"))}.
     *
     * @param times how often, at least 0
     * @param body  adds the steps of one round to the script it is given
     * @return this script
     */
    public Script repeat(int times, Consumer<Script> body) {
        if (times < 0) {
            throw new IllegalArgumentException("times must be >= 0: " + times);
        }
        Script round = new Script();
        body.accept(round);
        for (int i = 0; i < times; i++) {
            steps.addAll(round.steps);
        }
        return this;
    }
}
