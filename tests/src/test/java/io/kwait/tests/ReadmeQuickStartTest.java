package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README shows the quick start verbatim: the Java block after the marker comment must be the
 * whole of {@code examples/.../QuickStart.java}, which CI compiles and runs
 * ({@code mvn -Pquickstart -pl examples -am verify}), so the README's code can never rot.
 */
class ReadmeQuickStartTest {
    static final String SOURCE = "examples/src/main/java/io/kwait/examples/QuickStart.java";
    static final String MARKER = "<!-- the quick start: " + SOURCE + ", verbatim (checked by ReadmeQuickStartTest) -->";

    @Test
    void readmeBlockIsTheQuickStartFile() throws IOException {
        Path root = projectRoot();
        String readme = Files.readString(root.resolve("README.md"));
        int at = readme.indexOf(MARKER);
        assertTrue(at >= 0, "README.md lacks the line " + MARKER);
        int open = readme.indexOf("```java\n", at);
        assertTrue(open >= 0, "no ```java block after the marker");
        int start = open + "```java\n".length();
        int end = readme.indexOf("\n```", start);
        assertTrue(end >= 0, "the java block after the marker is not closed");
        String block = readme.substring(start, end + 1);
        String file = Files.readString(root.resolve(SOURCE));
        assertEquals(file, block, "README.md's quick start differs from " + SOURCE + "; copy the file into the README");
    }

    /** The directory holding README.md: the tests module's parent (Maven runs tests in the module directory). */
    static Path projectRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("README.md")) && Files.exists(p.resolve(SOURCE))) return p;
        }
        throw new AssertionError("no README.md with " + SOURCE + " above " + dir);
    }
}
