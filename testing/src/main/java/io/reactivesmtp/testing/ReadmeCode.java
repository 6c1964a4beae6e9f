package io.reactivesmtp.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What keeps the README's Java examples honest: a ```java block of the README must be, line for line (indentation and
 * blank lines aside), the code a test runs between its {@code // README-BEGIN} and {@code // README-END} markers.
 * Paths are relative to a module directory (Maven runs tests there): the README is {@code ../README.md}, a test's
 * source is under {@code src/test/java}.
 */
public final class ReadmeCode {

    private static final String BEGIN = "// README-" + "BEGIN";
    private static final String END = "// README-" + "END";

    private ReadmeCode() {
    }

    /**
     * @param n 1-based
     * @return the README's n-th ```java block
     * @throws AssertionError if the README has fewer
     */
    public static String block(int n) throws IOException {
        String readme = readme();
        int start = -1;
        for (int i = 0; i < n; i++) {
            start = readme.indexOf("```java\n", start + 1);
            if (start < 0) {
                throw new AssertionError("README has fewer than " + n + " ```java blocks");
            }
        }
        return readme.substring(start + 8, readme.indexOf("```", start + 8));
    }

    /**
     * @param heading a whole heading line, e.g. {@code "## Composing messages"}
     * @return the first ```java block after it
     * @throws AssertionError if the README has no such heading or no block after it
     */
    public static String blockAfter(String heading) throws IOException {
        String readme = readme();
        int section = readme.indexOf("\n" + heading + "\n");
        if (section < 0) {
            throw new AssertionError("README has no section " + heading);
        }
        int start = readme.indexOf("```java\n", section);
        if (start < 0) {
            throw new AssertionError("README has no ```java block after " + heading);
        }
        return readme.substring(start + 8, readme.indexOf("```", start + 8));
    }

    /**
     * @param test a test class whose source has the README markers
     * @return the code between them, as written (callers replace what the README shows differently)
     */
    public static String markedCode(Class<?> test) throws IOException {
        Path source = Path.of("src/test/java", test.getName().replace('.', '/') + ".java");
        String text = Files.readString(source, StandardCharsets.UTF_8);
        int begin = text.indexOf(BEGIN);
        int end = text.indexOf(END);
        if (begin < 0 || end < begin) {
            throw new AssertionError(source + " has no " + BEGIN + " ... " + END + " markers");
        }
        return text.substring(text.indexOf('\n', begin) + 1, end);
    }

    /**
     * @param code Java source
     * @return the code without indentation and blank lines: compares code, not layout
     */
    public static String normalise(String code) {
        StringBuilder sb = new StringBuilder();
        for (String line : code.split("\n")) {
            if (!line.isBlank()) {
                sb.append(line.strip()).append('\n');
            }
        }
        return sb.toString();
    }

    private static String readme() throws IOException {
        return Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    }
}
