package io.kwait.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Runs every example as the README's command does (its own JVM, the class-path flags of the
 * README's table, the same class path), bounded, and checks its exit status and a line that says
 * it did what its Javadoc says. So each example is compiled and run by every build, and cannot rot.
 */
class ExamplesTest {
    static final List<String> FLAGS = List.of("--enable-native-access=ALL-UNNAMED",
            "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED");

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            QuickStart       | 0   | the client got "hello" back
            ChildTimeout     | 0   | exit status 143
            EchoServer       | 0   | client got back: three
            GracefulShutdown | 0   | clean exit
            FanIn            | 0   | 12 messages from 3 producers
            FutureBridge     | 0   | the work failed: java.lang.IllegalStateException: no disk
            RawPipeFd        | 0   | fired READ with
            ChooseBackend    | 0   | opened
            RunCommand       | 143 | [timeout after 2 s: SIGTERM to the child]
            """)
    void runs(String example, int status, String expected) throws Exception {
        if (example.equals("RawPipeFd")) {
            assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux"), "epoll is Linux's");
        }
        Path out = Files.createTempFile("kwait-example-", ".txt");
        try {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(FLAGS);
            cmd.add("-cp");
            cmd.add(classPath());
            cmd.add("io.kwait.examples." + example);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            boolean ended = p.waitFor(120, TimeUnit.SECONDS);
            if (!ended) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            String text = Files.readString(out);
            assertTrue(ended, example + " did not end within 120 s; it printed:\n" + text);
            assertEquals(status, p.exitValue(), example + " exit status; it printed:\n" + text);
            assertTrue(text.contains(expected), example + " should print '" + expected + "'; it printed:\n" + text);
            assertTrue(!text.contains("WARNING"), example + " printed a warning:\n" + text);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** The test class path (surefire may start this JVM through a manifest-only JAR). */
    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) cp = System.getProperty("java.class.path");
        List<String> kept = new ArrayList<>();
        for (String e : cp.split(File.pathSeparator)) {
            if (!e.isBlank()) kept.add(e);
        }
        return String.join(File.pathSeparator, kept);
    }
}
