package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;

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
        assertThat(normalise(readmeBlock(n))).isEqualTo(normalise(markedCode(test)));
    }

    /** Asserts that the README's n-th ```java block (1-based) is the whole of a source file, imports included. */
    static void assertReadmeBlockIsTheFile(int n, Path source) throws IOException {
        assertThat(normalise(readmeBlock(n))).isEqualTo(normalise(Files.readString(source, StandardCharsets.UTF_8)));
    }

    private static String readmeBlock(int n) throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        int start = -1;
        for (int i = 0; i < n; i++) {
            start = readme.indexOf("```java\n", start + 1);
            assertThat(start).as("README has %d ```java blocks", n).isNotNegative();
        }
        return readme.substring(start + 8, readme.indexOf("```", start + 8));
    }

    /**
     * The code between the markers of a test's source, as the README shows it: what the test collects is printed,
     * and the in-JVM server's port is the usual 2525.
     */
    private static String markedCode(Class<?> test) throws IOException {
        Path source = Path.of("src/test/java", test.getName().replace('.', '/') + ".java");
        String text = Files.readString(source, StandardCharsets.UTF_8);
        int start = text.indexOf('\n', text.indexOf("// README-BEGIN")) + 1;
        return text.substring(start, text.indexOf("// README-END"))
                .replace("printed.add(", "System.out.println(")
                .replace("\"127.0.0.1\", port)", "\"127.0.0.1\", 2525)");
    }

    /** Compares code, not layout: indentation and blank lines aside. */
    private static String normalise(String code) {
        StringBuilder sb = new StringBuilder();
        for (String line : code.split("\n")) {
            if (!line.isBlank()) {
                sb.append(line.strip()).append('\n');
            }
        }
        return sb.toString();
    }
}
