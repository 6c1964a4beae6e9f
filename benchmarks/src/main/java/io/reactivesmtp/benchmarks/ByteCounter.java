package io.reactivesmtp.benchmarks;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The bytes a benchmark processed, reported by JMH as a rate (its {@code :bytes} line, bytes/s) next to ops/s.
 * A benchmark method takes it as a parameter and adds the bytes of each operation; which bytes count is said by
 * the benchmark (message bytes signed, input bytes encoded, ...).
 */
@AuxCounters(AuxCounters.Type.OPERATIONS)
@State(Scope.Thread)
public class ByteCounter {

    /** Bytes processed in the current iteration; JMH divides it by the iteration's time. */
    public long bytes;

    /** Starts each iteration from zero. */
    @Setup(Level.Iteration)
    public void reset() {
        bytes = 0;
    }
}
