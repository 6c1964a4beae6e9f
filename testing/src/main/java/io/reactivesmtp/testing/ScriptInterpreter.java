package io.reactivesmtp.testing;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.handler.ssl.SslHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Plays a script against connections, one {@link #newHandler() handler} per connection, on that connection's event
 * loop and without blocking it (delays and slow writes are scheduled tasks); what happens goes to the
 * {@link Recording}.
 */
final class ScriptInterpreter {

    private static final byte[] UNEXPECTED_BYTES = (ScriptedSmtpServer.UNEXPECTED_REPLY + "\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TERMINATOR = {'\r', '\n', '.', '\r', '\n'};
    private static final Pattern BDAT = Pattern.compile("BDAT ([0-9]{1,9})( LAST)?", Pattern.CASE_INSENSITIVE);
    private static final long SLOW_WRITE_PAUSE_MICROS = 1000;
    private static final int MAX_LINE_LENGTH = ScriptedSmtpServer.MAX_LINE_LENGTH;

    private final List<ScriptStep> steps;
    private final Recording rec;

    ScriptInterpreter(List<ScriptStep> steps, Recording rec) {
        this.steps = steps;
        this.rec = rec;
    }

    /** @return the handler that plays the script on one new connection */
    ChannelHandler newHandler() {
        return new ScriptChannelHandler(this);
    }

    /** A connection was accepted: records it and starts its script. */
    ScriptConnection connected(Channel channel) {
        ScriptConnection c;
        synchronized (rec.lock) {
            c = new ScriptConnection(rec.connections.size(), channel, steps);
            rec.connections.add(c);
            rec.transcript.add("[" + c.id + "] * connected from " + channel.remoteAddress());
            rec.lock.notifyAll();
        }
        advance(c);
        return c;
    }

    /** An exception on a connection: an I/O error is only logged (the close that follows decides). */
    void exceptionCaught(ScriptConnection c, Throwable cause) {
        if (cause instanceof IOException) {
            rec.log(c, "* " + cause);
        } else {
            fail(c, "exception: " + cause, false);
        }
    }

    void onClosed(ScriptConnection c) {
        c.token++;
        synchronized (rec.lock) {
            c.closed = true;
            rec.transcript.add("[" + c.id + "] * connection closed");
            rec.lock.notifyAll();
        }
        if (c.failed) {
            return;
        }
        if (c.done) {
            if (!c.ignoring && c.in.readable() > 0) {
                fail(c, "unexpected input after the script ended: \"" + Recording.escape(c.in.a, c.in.r, c.in.w) + "\"", false);
            }
            return;
        }
        if (c.index < steps.size() && steps.get(c.index).kind == ScriptStep.Kind.EXPECT_CLOSE) {
            if (c.in.readable() > 0) {
                fail(c, "client sent " + c.in.readable() + " unexpected byte(s) before closing: \""
                        + Recording.escape(c.in.a, c.in.r, c.in.w) + "\"", false);
                return;
            }
            c.index++;
            finish(c);
            return;
        }
        String partial = c.in.readable() > 0 ? " with unconsumed input \"" + Recording.escape(c.in.a, c.in.r, c.in.w) + "\"" : "";
        fail(c, "connection closed by the client before the script ended, at step " + c.index + " ("
                + steps.get(c.index).describe() + ")" + partial, false);
    }

    private void finish(ScriptConnection c) {
        synchronized (rec.lock) {
            if (!c.done) {
                c.done = true;
                rec.transcript.add("[" + c.id + "] * script done");
                rec.lock.notifyAll();
            }
        }
    }

    private void fail(ScriptConnection c, String message, boolean reply) {
        if (c.failed) {
            return;
        }
        c.failed = true;
        c.token++;
        synchronized (rec.lock) {
            rec.failures.add("[" + c.id + "] " + message);
            rec.transcript.add("[" + c.id + "] !! " + message);
            rec.lock.notifyAll();
        }
        if (reply) {
            writeNow(c, UNEXPECTED_BYTES, ScriptedSmtpServer.UNEXPECTED_REPLY);
        }
    }

    private void writeNow(ScriptConnection c, byte[] bytes, String logText) {
        rec.log(c, "S: " + logText);
        c.channel.writeAndFlush(Unpooled.wrappedBuffer(bytes));
    }

    private void send(ScriptConnection c, byte[] bytes, List<String> logLines) {
        if (c.held != null) {
            c.held.writeBytes(bytes);
            for (String l : logLines) {
                rec.log(c, "S (held): " + l);
            }
            return;
        }
        for (String l : logLines) {
            rec.log(c, "S: " + l);
        }
        c.channel.writeAndFlush(Unpooled.wrappedBuffer(bytes));
    }

    /** Runs steps until one waits for input or time; called on the connection's event loop. */
    void advance(ScriptConnection c) {
        while (true) {
            if (c.failed) {
                drainAfterFailure(c);
                return;
            }
            if (c.busy) {
                return;
            }
            if (c.done) {
                if (c.in.readable() == 0) {
                    return;
                }
                if (c.ignoring) {
                    byte[] rest = c.in.take(c.in.readable());
                    rec.log(c, "C (ignored): " + Recording.escape(rest, 0, rest.length));
                    return;
                }
                String line = pollLine(c);
                if (line != null) {
                    fail(c, "unexpected input after the script ended: \"" + Recording.escape(line) + "\"", true);
                }
                if (!c.failed) {
                    return; // a partial line: reported when complete, or when the client closes
                }
                continue;
            }
            if (c.index >= steps.size()) {
                finish(c);
                continue;
            }
            ScriptStep step = steps.get(c.index);
            switch (step.kind) {
                case SEND:
                case SEND_RAW:
                    send(c, step.bytes, step.logLines());
                    c.index++;
                    break;
                case SEND_SLOW:
                    if (c.held != null) {
                        send(c, step.bytes, step.logLines());
                        c.index++;
                        break;
                    }
                    for (String l : step.logLines()) {
                        rec.log(c, "S (one byte per segment): " + l);
                    }
                    c.busy = true;
                    writeSlowly(c, step.bytes, 0, ++c.token);
                    return;
                case DELAY: {
                    c.busy = true;
                    long token = ++c.token;
                    rec.log(c, "* delay " + step.duration);
                    c.channel.eventLoop().schedule(() -> {
                        if (c.token == token && !c.failed) {
                            c.busy = false;
                            c.index++;
                            advance(c);
                        }
                    }, step.duration.toNanos(), TimeUnit.NANOSECONDS);
                    return;
                }
                case HOLD:
                    c.held = new ByteArrayOutputStream();
                    rec.log(c, "* holding replies");
                    c.index++;
                    break;
                case RELEASE: {
                    byte[] bytes = c.held.toByteArray();
                    c.held = null;
                    rec.log(c, "* releasing " + bytes.length + " held byte(s) in one write");
                    c.channel.writeAndFlush(Unpooled.wrappedBuffer(bytes));
                    c.index++;
                    break;
                }
                case CLOSE:
                    rec.log(c, "* server closes the connection");
                    c.index++;
                    finish(c);
                    c.channel.close();
                    return;
                case IGNORE_REST:
                    c.ignoring = true;
                    c.index++;
                    finish(c);
                    break;
                case START_TLS:
                    if (c.in.readable() > 0) {
                        fail(c, "client sent " + c.in.readable() + " byte(s) before the TLS handshake: \""
                                + Recording.escape(c.in.a, c.in.r, c.in.w) + "\"", false);
                        c.in.take(c.in.readable());
                        c.channel.close();
                        return;
                    }
                    startTls(c, step);
                    return;
                case EXPECT_LINE:
                    if (!expectLine(c, step) && !c.failed) {
                        return; // waiting for input or time
                    }
                    break;
                case EXPECT_DATA:
                    if (!expectData(c) && !c.failed) {
                        return; // waiting for input or time
                    }
                    break;
                case EXPECT_BDAT:
                    if (!expectBdat(c) && !c.failed) {
                        return; // waiting for input or time
                    }
                    break;
                case EXPECT_NOTHING:
                case EXPECT_CLOSE:
                    if (!expectSilence(c, step) && !c.failed) {
                        return; // waiting for input or time
                    }
                    break;
                default:
                    throw new IllegalStateException(String.valueOf(step.kind));
            }
        }
    }

    /** After a failure every further complete line is recorded and answered with 500. */
    private void drainAfterFailure(ScriptConnection c) {
        String line;
        while (c.channel.isActive() && (line = pollLineQuietly(c)) != null) {
            writeNow(c, UNEXPECTED_BYTES, ScriptedSmtpServer.UNEXPECTED_REPLY);
        }
    }

    private void writeSlowly(ScriptConnection c, byte[] bytes, int i, long token) {
        if (c.token != token || c.failed || !c.channel.isActive()) {
            return;
        }
        if (i == bytes.length) {
            c.busy = false;
            c.index++;
            advance(c);
            return;
        }
        c.channel.writeAndFlush(Unpooled.wrappedBuffer(bytes, i, 1));
        c.channel.eventLoop().schedule(() -> writeSlowly(c, bytes, i + 1, token),
                SLOW_WRITE_PAUSE_MICROS, TimeUnit.MICROSECONDS);
    }

    private void startTls(ScriptConnection c, ScriptStep step) {
        c.busy = true;
        long token = ++c.token;
        SslHandler ssl = step.ssl.newHandler(c.channel.alloc());
        c.channel.pipeline().addFirst("tls", ssl);
        rec.log(c, "* TLS handshake started");
        ssl.handshakeFuture().addListener(f -> {
            if (c.token != token || c.failed) {
                return;
            }
            if (f.isSuccess()) {
                rec.log(c, "* TLS established: " + ssl.engine().getSession().getProtocol()
                        + " " + ssl.engine().getSession().getCipherSuite());
                c.busy = false;
                c.index++;
                advance(c);
            } else {
                fail(c, "TLS handshake failed: " + f.cause(), false);
                c.channel.close();
            }
        });
    }

    /** @return true if the step completed (advance to the next), false to wait */
    private boolean expectLine(ScriptConnection c, ScriptStep step) {
        while (c.matched < step.count) {
            String line = pollLine(c);
            if (line == null) {
                return false;
            }
            boolean ok = step.pattern != null ? step.pattern.matcher(line).matches() : step.text.equals(line);
            if (!ok) {
                fail(c, "step " + c.index + ": " + step.describe() + (step.count > 1 ? " (line " + (c.matched + 1)
                        + " of " + step.count + ")" : "") + ", but got \"" + Recording.escape(line) + "\"", true);
                return false;
            }
            c.matched++;
        }
        c.matched = 0;
        c.index++;
        return true;
    }

    private boolean expectData(ScriptConnection c) {
        Inbound in = c.in;
        int end = -1;
        if (in.readable() >= 3 && in.a[in.r] == '.' && in.a[in.r + 1] == '\r' && in.a[in.r + 2] == '\n') {
            end = in.r + 3;
        } else {
            int at = in.indexOf(TERMINATOR, Math.max(in.r, in.r + c.dataScanned - TERMINATOR.length));
            if (at >= 0) {
                end = at + TERMINATOR.length;
            } else {
                c.dataScanned = in.readable();
                return false;
            }
        }
        c.dataScanned = 0;
        byte[] data = in.take(end - in.r);
        rec.dataSection(c, data);
        c.index++;
        return true;
    }

    private boolean expectBdat(ScriptConnection c) {
        if (c.bdatRemaining < 0) {
            String line = pollLine(c);
            if (line == null) {
                return false;
            }
            Matcher m = BDAT.matcher(line);
            if (!m.matches()) {
                fail(c, "step " + c.index + ": expected \"BDAT <size> [LAST]\", but got \"" + Recording.escape(line) + "\"", true);
                return false;
            }
            c.bdatRemaining = Integer.parseInt(m.group(1));
        }
        if (c.in.readable() < c.bdatRemaining) {
            return false;
        }
        byte[] chunk = c.in.take(c.bdatRemaining);
        c.bdatRemaining = -1;
        rec.bdatChunk(c, chunk);
        c.index++;
        return true;
    }

    private boolean expectSilence(ScriptConnection c, ScriptStep step) {
        if (c.in.readable() > 0) {
            String what = Recording.escape(c.in.a, c.in.r, c.in.w);
            fail(c, "step " + c.index + ": " + step.describe() + ", but the client sent \"" + what + "\"",
                    c.in.indexOf(new byte[] {'\n'}, c.in.r) >= 0);
            c.in.take(c.in.readable());
            return false;
        }
        if (!c.timerArmed) {
            c.timerArmed = true;
            long token = ++c.token;
            c.channel.eventLoop().schedule(() -> {
                if (c.token != token || c.failed) {
                    return;
                }
                c.timerArmed = false;
                if (step.kind == ScriptStep.Kind.EXPECT_CLOSE) {
                    fail(c, "step " + c.index + ": " + step.describe() + ", but the connection is still open", false);
                    c.channel.close();
                } else {
                    rec.log(c, "* nothing received for " + step.duration);
                    c.index++;
                    advance(c);
                }
            }, step.duration.toNanos(), TimeUnit.NANOSECONDS);
        }
        return false;
    }

    /** Takes one CRLF-terminated line, recording it; records a failure for a bare LF or a too long line. */
    private String pollLine(ScriptConnection c) {
        Inbound in = c.in;
        int lf = in.indexOf(new byte[] {'\n'}, in.r);
        if (lf < 0) {
            if (in.readable() > MAX_LINE_LENGTH + 2) {
                fail(c, "line longer than " + MAX_LINE_LENGTH + " bytes: \""
                        + Recording.escape(in.a, in.r, in.r + 80) + "...\"", true);
                in.take(in.readable());
                c.channel.close();
            }
            return null;
        }
        byte[] raw = in.take(lf + 1 - in.r);
        boolean crlf = raw.length >= 2 && raw[raw.length - 2] == '\r';
        String line = new String(raw, 0, raw.length - (crlf ? 2 : 1), StandardCharsets.UTF_8);
        rec.commandLine(c, line, raw, crlf);
        if (!crlf) {
            fail(c, "line not terminated by CRLF (bare LF): \"" + Recording.escape(line) + "\"", true);
            return null;
        }
        if (line.length() > MAX_LINE_LENGTH) {
            fail(c, "line longer than " + MAX_LINE_LENGTH + " bytes", true);
            return null;
        }
        return line;
    }

    private String pollLineQuietly(ScriptConnection c) {
        Inbound in = c.in;
        int lf = in.indexOf(new byte[] {'\n'}, in.r);
        if (lf < 0) {
            if (in.readable() > MAX_LINE_LENGTH + 2) {
                in.take(in.readable());
            }
            return null;
        }
        byte[] raw = in.take(lf + 1 - in.r);
        String line = Recording.escape(raw, 0, raw.length);
        rec.log(c, "C (after failure): " + line);
        return line;
    }
}
