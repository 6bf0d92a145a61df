package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kwait.Child;
import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.spi.Capability;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two fallbacks of native spawning on epoll, forced by their switches: a backend that refuses
 * the child's exit watch (no pidfds: a thread waits, without reaping), and a C library without
 * {@code addchdir_np} (a child with a directory is started the portable way).
 */
@Timeout(30)
class ChildFallbacksTest {

    @BeforeEach
    void onLinux() {
        assumeTrue(ConformanceBase.belongsHere("epoll") && System.getProperty("os.name").toLowerCase().contains("linux"));
    }

    @Test
    void exitWatchedByAThreadWhenTheBackendRefusesThePid() throws Exception {
        Kernel kernel;
        System.setProperty("kwait.epoll.pidfd", "false");
        try {
            kernel = Kernel.open("epoll");
        } finally {
            System.clearProperty("kwait.epoll.pidfd");
        }
        try (kernel) {
            assumeTrue(kernel.capabilities().contains(Capability.SPAWN));
            Child c = Child.start(kernel, new ProcessBuilder("sh", "-c", "read x; exit 5"));
            List<Fired> none = kernel.wait(List.of(Event.exit(c)), Duration.ZERO); // arms the watch
            assertTrue(none.isEmpty());
            assertEquals(1, c.relayThreads(), "the exit watch thread");
            c.stdin().close();
            List<Fired> f = kernel.wait(List.of(Event.exit(c)), Duration.ofSeconds(20));
            assertEquals(OptionalInt.of(5), f.get(0).exitStatus());
        }
        ConformanceBase.kwaitThreads().forEach(t -> { throw new AssertionError("thread left: " + t); });
    }

    @Test
    void directoryWithoutAddchdirStartsThePortableWay(@TempDir Path tmp) throws Exception {
        try (Kernel kernel = Kernel.open("epoll")) {
            assumeTrue(kernel.capabilities().contains(Capability.SPAWN));
            Child c;
            System.setProperty("kwait.spawn.addchdir", "false");
            try {
                c = Child.start(kernel, new ProcessBuilder("pwd").directory(tmp.toFile()));
            } finally {
                System.clearProperty("kwait.spawn.addchdir");
            }
            assertTrue(c.relayThreads() > 0, "started through ProcessBuilder, with relays");
            StringBuilder out = new StringBuilder();
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (!c.isFinished()) {
                for (Fired f : kernel.wait(c.events(), Duration.ofSeconds(20))) {
                    if (!(f.event().resource() instanceof java.nio.channels.Pipe.SourceChannel ch)) continue;
                    buf.clear();
                    int n = ch.read(buf);
                    if (n < 0) ch.close();
                    else if (ch == c.stdout()) out.append(new String(buf.array(), 0, n, StandardCharsets.UTF_8));
                }
            }
            assertEquals(tmp.toRealPath() + "\n", out.toString());
            assertEquals(OptionalInt.of(0), c.exitStatus());
            Child without = Child.start(kernel, new ProcessBuilder("true"));
            assertEquals(0, without.relayThreads(), "no directory: native");
            kernel.wait(List.of(Event.exit(without)), Duration.ofSeconds(20));
        }
    }
}
