package io.reactivesmtp.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.reactivesmtp.testing.StrictDataReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DotStufferTest {

    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    /** Encodes the chunks (one ByteBuf each), then finishes; checks every buffer was released. */
    static String wire(String... chunks) {
        DotStuffer stuffer = new DotStuffer();
        List<ByteBuf> inputs = new ArrayList<>();
        StringBuilder out = new StringBuilder();
        for (String chunk : chunks) {
            ByteBuf in = ALLOC.buffer().writeBytes(chunk.getBytes(StandardCharsets.ISO_8859_1));
            inputs.add(in);
            out.append(drain(stuffer.encode(in, ALLOC)));
        }
        out.append(drain(stuffer.finish(ALLOC)));
        for (ByteBuf in : inputs) {
            assertThat(in.refCnt()).as("input chunk released").isZero();
        }
        return out.toString();
    }

    private static String drain(ByteBuf buf) {
        try {
            return buf.toString(StandardCharsets.ISO_8859_1);
        } finally {
            buf.release();
        }
    }

    @Test
    void plainTextPassesAndGetsTerminator() {
        assertThat(wire("Subject: hi\r\n\r\nhello\r\n")).isEqualTo("Subject: hi\r\n\r\nhello\r\n.\r\n");
    }

    @Test
    void leadingDotsAreDoubled() {
        assertThat(wire(".hidden\r\n..two\r\nmid.dle\r\n")).isEqualTo("..hidden\r\n...two\r\nmid.dle\r\n.\r\n");
    }

    @Test
    void bareLfDotBareLfIsNoTerminator() {
        String wire = wire("a\n.\nb\n");
        assertThat(wire).isEqualTo("a\r\n..\r\nb\r\n.\r\n");
        assertThat(new String(StrictDataReader.read(bytes(wire)), StandardCharsets.ISO_8859_1))
                .isEqualTo("a\r\n.\r\nb\r\n");
    }

    @Test
    void crlfDotBareLfIsNoTerminator() {
        assertThat(wire("a\r\n.\nb")).isEqualTo("a\r\n..\r\nb\r\n.\r\n");
    }

    @Test
    void bareCrDotBareCrIsNoTerminator() {
        assertThat(wire("a\r.\rb")).isEqualTo("a\r\n..\r\nb\r\n.\r\n");
    }

    @Test
    void doubleCrBeforeLfIsTwoLineBreaks() {
        assertThat(wire("a\r\r\nb\r\n")).isEqualTo("a\r\n\r\nb\r\n.\r\n");
    }

    @Test
    void dotLineAsWholeContentIsStuffed() {
        assertThat(wire(".\r\n")).isEqualTo("..\r\n.\r\n");
    }

    @Test
    void emptyContentIsJustTheTerminator() {
        assertThat(wire()).isEqualTo(".\r\n");
        assertThat(wire("", "")).isEqualTo(".\r\n");
    }

    @Test
    void missingFinalLineBreakIsAdded() {
        assertThat(wire("no newline")).isEqualTo("no newline\r\n.\r\n");
        assertThat(wire("dot at end.")).isEqualTo("dot at end.\r\n.\r\n");
    }

    @Test
    void contentEndingWithBareCrEndsWithOneLineBreak() {
        assertThat(wire("a\r")).isEqualTo("a\r\n.\r\n");
        assertThat(wire("a\r", "")).isEqualTo("a\r\n.\r\n");
    }

    @Test
    void crAtChunkEndAndLfInNextChunkIsOneLineBreak() {
        assertThat(wire("line one\r", "\nline two\r\n")).isEqualTo("line one\r\nline two\r\n.\r\n");
        assertThat(wire("line one\r", "\n", ".dot\r\n")).isEqualTo("line one\r\n..dot\r\n.\r\n");
        assertThat(wire("a\r", "\r", "\nb")).isEqualTo("a\r\n\r\nb\r\n.\r\n");
    }

    @Test
    void crAtChunkEndFollowedByTextIsALineBreak() {
        assertThat(wire("a\r", "b\r\n")).isEqualTo("a\r\nb\r\n.\r\n");
        assertThat(wire("a\r", ".b\r\n")).isEqualTo("a\r\n..b\r\n.\r\n");
    }

    @Test
    void dotAtChunkStartAfterLineBreakInPreviousChunkIsStuffed() {
        assertThat(wire("first\r\n", ".second\r\n")).isEqualTo("first\r\n..second\r\n.\r\n");
        assertThat(wire("first\n", ".\n")).isEqualTo("first\r\n..\r\n.\r\n");
        assertThat(wire("first\r\n", ".")).isEqualTo("first\r\n..\r\n.\r\n");
    }

    @Test
    void dotAtChunkStartInMidLineIsNotStuffed() {
        assertThat(wire("abc", ".def\r\n")).isEqualTo("abc.def\r\n.\r\n");
    }

    @Test
    void nulAndEightBitBytesPassUnchanged() {
        byte[] content = {'a', 0, (byte) 0xC3, (byte) 0xA9, (byte) 0xFF, '\r', '\n'};
        ByteBuf wire = DotStuffer.encodeAll(content, ALLOC);
        try {
            assertThat(ByteBufUtil.getBytes(wire))
                    .containsExactly('a', 0, (byte) 0xC3, (byte) 0xA9, (byte) 0xFF, '\r', '\n', '.', '\r', '\n');
        } finally {
            wire.release();
        }
    }

    @Test
    void fastPathReturnsTheChunkWithoutCopy() {
        DotStuffer stuffer = new DotStuffer();
        ByteBuf in = ALLOC.buffer().writeBytes(bytes("To: a@b\r\n\r\nline. with dot\r\n"));
        ByteBuf out = stuffer.encode(in, ALLOC);
        try {
            assertThat(out).isSameAs(in);
            assertThat(out.refCnt()).isEqualTo(1);
            assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo("To: a@b\r\n\r\nline. with dot\r\n");
        } finally {
            out.release();
        }
        // A chunk ending mid-line is also sent as it is, and the next one continues that line.
        ByteBuf partial = ALLOC.buffer().writeBytes(bytes("partial line"));
        ByteBuf partialOut = stuffer.encode(partial, ALLOC);
        assertThat(partialOut).isSameAs(partial);
        partialOut.release();
        ByteBuf tail = stuffer.finish(ALLOC);
        assertThat(tail.toString(StandardCharsets.ISO_8859_1)).isEqualTo("\r\n.\r\n");
        tail.release();
    }

    @Test
    void fastPathAfterPendingCrSkipsTheLfWithoutCopy() {
        DotStuffer stuffer = new DotStuffer();
        drain(stuffer.encode(Unpooled.copiedBuffer(bytes("a\r")), ALLOC));
        ByteBuf in = ALLOC.buffer().writeBytes(bytes("\nb\r\n"));
        ByteBuf out = stuffer.encode(in, ALLOC);
        assertThat(out).isSameAs(in);
        assertThat(drain(out)).isEqualTo("b\r\n");
        drain(stuffer.finish(ALLOC));
    }

    @Test
    void theSharedTerminatorSurvivesEveryReleaseAndEachCopyReadsOnItsOwn() {
        for (int round = 0; round < 3; round++) {
            DotStuffer empty = new DotStuffer();
            DotStuffer open = new DotStuffer();
            drain(open.encode(ALLOC.buffer().writeBytes(bytes("no line end")), ALLOC));
            ByteBuf a = empty.finish(ALLOC);
            ByteBuf b = open.finish(ALLOC);
            ByteBuf c = new DotStuffer().finish(ALLOC);
            assertThat(a.isReadOnly()).isTrue();
            assertThat(a.isDirect()).isTrue();
            a.skipBytes(1); // reading one copy moves no other's reader index
            assertThat(c.toString(StandardCharsets.ISO_8859_1)).isEqualTo(".\r\n");
            assertThat(b.toString(StandardCharsets.ISO_8859_1)).isEqualTo("\r\n.\r\n");
            assertThatThrownBy(() -> c.setByte(0, 'x')).isInstanceOf(java.nio.ReadOnlyBufferException.class);
            a.release();
            b.release();
            c.release();
            c.release(); // a second release, as a write that failed after the caller released might do
        }
    }

    @Test
    void encodeAfterFinishFailsAndReleasesTheChunk() {
        DotStuffer stuffer = new DotStuffer();
        drain(stuffer.finish(ALLOC));
        assertThat(stuffer.isFinished()).isTrue();
        ByteBuf late = ALLOC.buffer().writeBytes(bytes("late"));
        assertThatThrownBy(() -> stuffer.encode(late, ALLOC)).isInstanceOf(IllegalStateException.class);
        assertThat(late.refCnt()).isZero();
        assertThatThrownBy(() -> stuffer.finish(ALLOC)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void readerIndexOfTheChunkIsRespected() {
        DotStuffer stuffer = new DotStuffer();
        ByteBuf in = ALLOC.buffer().writeBytes(bytes("skip.me\nkeep\n"));
        in.readerIndex(4);
        assertThat(drain(stuffer.encode(in, ALLOC))).isEqualTo("..me\r\nkeep\r\n");
        drain(stuffer.finish(ALLOC));
    }

    @Test
    void encodeAllMatchesTheStrictReader() {
        byte[] content = bytes("From: x\n.\n..\r\n.\r\r\n.");
        ByteBuf wire = DotStuffer.encodeAll(content, ALLOC);
        try {
            byte[] read = StrictDataReader.read(ByteBufUtil.getBytes(wire));
            assertThat(read).isEqualTo(StrictDataReader.normaliseCrlf(content));
        } finally {
            wire.release();
        }
    }

    @Test
    void strictReaderRejectsSmuggling() {
        assertThatThrownBy(() -> StrictDataReader.read(bytes("a\n.\r\n"))).isInstanceOf(AssertionError.class)
                .hasMessageContaining("bare LF");
        assertThatThrownBy(() -> StrictDataReader.read(bytes("a\r.\r\n"))).isInstanceOf(AssertionError.class)
                .hasMessageContaining("bare CR");
        assertThatThrownBy(() -> StrictDataReader.read(bytes("a\r\n.\r\nMAIL FROM:<x>\r\n")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("after the terminator");
        assertThatThrownBy(() -> StrictDataReader.read(bytes("a\r\n"))).isInstanceOf(AssertionError.class)
                .hasMessageContaining("no terminator");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
