package io.reactivesmtp.testing;

import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** One step of a {@link Script}: what it does and its arguments. */
final class ScriptStep {

    /** What a step does. */
    enum Kind {
        SEND, SEND_RAW, SEND_SLOW, DELAY, HOLD, RELEASE, CLOSE, IGNORE_REST, START_TLS,
        EXPECT_LINE, EXPECT_DATA, EXPECT_BDAT, EXPECT_NOTHING, EXPECT_CLOSE
    }

    final Kind kind;
    String text;
    Pattern pattern;
    int count = 1;
    byte[] bytes;
    List<String> lines = List.of();
    Duration duration;
    SslContext ssl;

    ScriptStep(Kind kind) {
        this.kind = kind;
    }

    List<String> logLines() {
        if (kind == Kind.SEND_RAW) {
            return List.of(Recording.escape(bytes, 0, bytes.length) + "  <raw>");
        }
        List<String> out = new ArrayList<>();
        for (String l : lines) {
            out.add(Recording.escape(l));
        }
        return out;
    }

    String describe() {
        switch (kind) {
            case SEND:
                return "send " + lines;
            case SEND_RAW:
                return "sendRaw \"" + Recording.escape(bytes, 0, bytes.length) + "\"";
            case SEND_SLOW:
                return "sendOneBytePerSegment " + lines;
            case DELAY:
                return "delay " + duration;
            case HOLD:
                return "holdReplies";
            case RELEASE:
                return "releaseReplies";
            case CLOSE:
                return "close";
            case IGNORE_REST:
                return "ignoreRest";
            case START_TLS:
                return "startTls";
            case EXPECT_LINE:
                String what = pattern != null ? "expected a line matching /" + pattern.pattern() + "/"
                        : "expected \"" + Recording.escape(text) + "\"";
                return count > 1 ? what + " x" + count : what;
            case EXPECT_DATA:
                return "expectData (until CRLF.CRLF)";
            case EXPECT_BDAT:
                return "expectBdat";
            case EXPECT_NOTHING:
                return "expectNothing for " + duration;
            case EXPECT_CLOSE:
                return "expectClose within " + duration;
            default:
                return kind.name();
        }
    }
}
