package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kwait.Kernel;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How backends are chosen when the JVM lacks the flag the native backends need
 * ({@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED}): a JVM started without it reports
 * epoll unavailable with a reason naming the flag, {@code Kernel.open()} picks select, and
 * {@code Kernel.open("epoll")} fails with the reason. Runs a second JVM on the same class path.
 */
@Timeout(60)
class NativeBackendFlagsTest {

    /** Entry point of the second JVM: prints what it found, one fact per line. */
    public static void main(String[] args) {
        for (Kernel.BackendInfo b : Kernel.backends()) {
            if (b.name().equals("epoll")) System.out.println("epoll available=" + b.available() + " reason=" + b.reason());
        }
        try (Kernel k = Kernel.open()) {
            System.out.println("auto=" + k.backendName());
        }
        try (Kernel k = Kernel.open("epoll")) {
            System.out.println("forced=" + k.backendName());
        } catch (IllegalStateException e) {
            System.out.println("forced failed=" + e.getMessage());
        }
    }

    @org.junit.jupiter.api.BeforeEach
    void linuxOnly() {
        org.junit.jupiter.api.Assumptions.assumeTrue(ConformanceBase.belongsHere("epoll"), "epoll is Linux only");
    }

    @Test
    void withoutTheExportEpollIsUnavailableAndSaysWhichFlagIsMissing() throws Exception {
        assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux"), "epoll is Linux-only");
        List<String> out = runWithout("--add-exports");
        String epoll = line(out, "epoll available=");
        assertTrue(epoll.startsWith("epoll available=false"), out.toString());
        assertTrue(epoll.contains("--add-exports java.base/sun.nio.ch=ALL-UNNAMED"), "the reason names the flag: " + epoll);
        assertEquals("auto=select", line(out, "auto="), out.toString());
        String forced = line(out, "forced");
        assertTrue(forced.startsWith("forced failed="), out.toString());
        assertTrue(forced.contains("--add-exports java.base/sun.nio.ch=ALL-UNNAMED"), forced);
    }

    @Test
    void withTheFlagsEpollIsChosenOnLinux() throws Exception {
        assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux"), "epoll is Linux-only");
        List<String> out = runWithout(null);
        assertEquals("epoll available=true reason=", line(out, "epoll available="), out.toString());
        assertEquals("auto=epoll", line(out, "auto="), out.toString());
        assertEquals("forced=epoll", line(out, "forced"), out.toString());
    }

    private static String line(List<String> out, String prefix) {
        for (String l : out) if (l.startsWith(prefix)) return l;
        throw new AssertionError("no line starting with '" + prefix + "' in " + out);
    }

    /** Runs {@link #main} in a new JVM with this JVM's flags, minus {@code --add-exports ...} when asked. */
    private static List<String> runWithout(String flag) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        if (flag == null) {
            cmd.add("--add-exports");
            cmd.add("java.base/sun.nio.ch=ALL-UNNAMED");
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(NativeBackendFlagsTest.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String text;
        try {
            text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            p.getInputStream().close();
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the second JVM did not end");
        assertEquals(0, p.exitValue(), text);
        return List.of(text.split("\\R"));
    }
}
