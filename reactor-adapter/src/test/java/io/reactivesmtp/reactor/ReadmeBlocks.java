package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.testing.ReadmeCode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What keeps the README's Java examples honest: the n-th ```java block of the README must be, line for line
 * (indentation and blank lines aside), the code a test runs between its {@code // README-BEGIN} and
 * {@code // README-END} markers.
 */
final class ReadmeBlocks {

    private ReadmeBlocks() {
    }

    /** Asserts that the README's n-th ```java block (1-based) is the marked code of {@code test}. */
    static void assertReadmeBlockIsTheCodeOf(int n, Class<?> test) throws IOException {
        assertThat(ReadmeCode.normalise(ReadmeCode.block(n))).isEqualTo(ReadmeCode.normalise(markedCode(test)));
    }

    /** Asserts that the README's n-th ```java block (1-based) is the whole of a source file, imports included. */
    static void assertReadmeBlockIsTheFile(int n, Path source) throws IOException {
        assertThat(ReadmeCode.normalise(ReadmeCode.block(n)))
                .isEqualTo(ReadmeCode.normalise(Files.readString(source, StandardCharsets.UTF_8)));
    }

    /**
     * The code between the markers of a test's source, as the README shows it: what the test collects is printed,
     * and the in-JVM server's port is the usual 2525.
     */
    private static String markedCode(Class<?> test) throws IOException {
        return ReadmeCode.markedCode(test)
                .replace("printed.add(", "System.out.println(")
                .replace("\"127.0.0.1\", port)", "\"127.0.0.1\", 2525)");
    }
}
