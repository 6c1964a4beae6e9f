package io.reactivesmtp.testing;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/** A growable byte buffer of received, not yet consumed input. */
final class Inbound {
    byte[] a = new byte[512];
    int r;
    int w;

    void append(ByteBuf buf) {
        int n = buf.readableBytes();
        if (a.length - w < n) {
            if (r > 0) {
                System.arraycopy(a, r, a, 0, w - r);
                w -= r;
                r = 0;
            }
            if (a.length - w < n) {
                a = Arrays.copyOf(a, Math.max(a.length * 2, w + n));
            }
        }
        buf.readBytes(a, w, n);
        w += n;
    }

    int readable() {
        return w - r;
    }

    int indexOf(byte[] needle, int from) {
        outer:
        for (int i = from; i <= w - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (a[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    byte[] take(int n) {
        byte[] out = Arrays.copyOfRange(a, r, r + n);
        r += n;
        if (r == w) {
            r = 0;
            w = 0;
        }
        return out;
    }
}
