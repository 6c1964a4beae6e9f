package io.reactivesmtp.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.util.ArrayDeque;

/**
 * BDAT: the encoded content gathered for the next chunks. Pieces are kept whole and never copied: a chunk is a
 * composite of whole pieces, and only a piece that straddles a chunk boundary is sliced. (A slice of one growing
 * composite would not do: discarding its read components to free memory moves what the slices point at.)
 */
final class BdatGather {

    /** Made by the first piece: a transaction sent with DATA (most are) never needs one. */
    private ArrayDeque<ByteBuf> pieces;
    private int bytes;

    /** @param piece encoded content; owned from here on */
    void add(ByteBuf piece) {
        if (!piece.isReadable()) {
            piece.release();
            return;
        }
        if (pieces == null) {
            pieces = new ArrayDeque<>();
        }
        pieces.add(piece);
        bytes += piece.readableBytes();
    }

    /** @return the bytes gathered and not yet taken */
    int bytes() {
        return bytes;
    }

    /**
     * @param alloc for the composite of several pieces
     * @param n how many bytes, at most {@link #bytes()}
     * @return the next {@code n} bytes, owned by the caller
     */
    ByteBuf take(ByteBufAllocator alloc, int n) {
        ByteBuf first = pieces == null ? null : pieces.peek();
        if (n == 0 || first == null) {
            return alloc.buffer(0);
        }
        if (first.readableBytes() == n) {
            bytes -= n;
            return pieces.poll();
        }
        CompositeByteBuf chunk = alloc.compositeBuffer(pieces.size() + 1); // never consolidated into a copy
        int need = n;
        while (need > 0) {
            ByteBuf p = pieces.peek();
            int r = p.readableBytes();
            if (r <= need) {
                chunk.addComponent(true, pieces.poll());
                need -= r;
            } else {
                chunk.addComponent(true, p.readRetainedSlice(need));
                need = 0;
            }
        }
        bytes -= n;
        return chunk;
    }

    /** Releases what is still gathered (the transaction ended without sending it). */
    void release() {
        ByteBuf p;
        while (pieces != null && (p = pieces.poll()) != null) {
            p.release();
        }
        bytes = 0;
    }
}
