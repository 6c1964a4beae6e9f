package io.reactivesmtp.testing;

import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A minimal property-test runner on plain JUnit: runs a check against many generated cases, each from its
 * own seed, and names the seed of a failing case so it can be replayed. The base seed is fixed (a failing
 * build fails again the same way); set {@code -Dproperty.seed=N} to explore other cases.
 */
public final class Properties {

    private static final long BASE_SEED = Long.getLong("property.seed", 0x5EED_2026L);

    private Properties() {
    }

    /**
     * @param tries how many cases
     * @param check the property, given a random source for its case
     */
    public static void forAll(int tries, Consumer<SplittableRandom> check) {
        SplittableRandom seeds = new SplittableRandom(BASE_SEED);
        for (int i = 0; i < tries; i++) {
            long seed = seeds.nextLong();
            try {
                check.accept(new SplittableRandom(seed));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("property failed on case " + i + " (case seed " + seed
                        + ", base seed " + BASE_SEED + "): " + e.getMessage(), e);
            }
        }
    }

    /**
     * @param random the case's random source
     * @param maxLength the longest array
     * @return bytes biased toward CR, LF and '.', with some letters, NUL, 8-bit and any byte at all
     */
    public static byte[] smtpContent(SplittableRandom random, int maxLength) {
        byte[] interesting = {'\r', '\r', '\r', '\r', '\r', '\n', '\n', '\n', '\n', '\n', '.', '.', '.', '.', '.',
            'a', 'a', 'a', 'b', 'b', ' ', 0, (byte) 0xFF};
        byte[] out = new byte[random.nextInt(maxLength + 1)];
        for (int i = 0; i < out.length; i++) {
            out[i] = random.nextInt(13) == 0 ? (byte) random.nextInt(256) : interesting[random.nextInt(interesting.length)];
        }
        return out;
    }
}
