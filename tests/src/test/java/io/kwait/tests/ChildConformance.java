package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.kwait.Child;
import io.kwait.Event;
import io.kwait.Filter;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import io.kwait.spi.Capability;
import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Children started by kwait ({@link Child}): stdin, stdout, stderr and exit as events of one wait,
 * on every backend (natively with {@link Capability#SPAWN}, through relays elsewhere) and both
 * scheduler strands. Every test ends with the kernel closed, the fd count back to where it was
 * (the base class) and no zombie child of this JVM left.
 */
@Timeout(60)
public abstract class ChildConformance extends ConformanceBase {

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private int zombiesBefore;

    @BeforeEach
    void countZombies() {
        zombiesBefore = zombies();
    }

    @AfterEach
    void noZombieLeft() {
        kernel.close(); // idempotent; the base class closes it again and checks fds and threads
        // Children started the portable way are reaped by the JDK's reaper thread, asynchronously.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (zombies() > zombiesBefore && System.nanoTime() < deadline) LockSupport.parkNanos(5_000_000);
        assertEquals(zombiesBefore, zombies(), "zombie children left behind");
    }

    private Child start(String... cmd) throws IOException {
        return Child.start(kernel, new ProcessBuilder(cmd));
    }

    /** Reads both streams to the end and waits for the exit; returns {stdout, stderr} and the status. */
    private record Outcome(String out, String err, int status) {}

    private Outcome finish(Child c) throws Exception {
        ByteArray out = new ByteArray(), err = new ByteArray();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        int status = -1;
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!c.isFinished()) {
            if (System.nanoTime() > deadline) fail("child did not finish: " + c);
            for (Fired f : kernel.wait(c.events(), PATIENCE)) {
                if (f.filter() == Filter.EXIT) {
                    status = f.exitStatus().getAsInt();
                    assertEquals(status, f.data());
                    continue;
                }
                Pipe.SourceChannel ch = (Pipe.SourceChannel) f.event().resource();
                buf.clear();
                int n = ch.read(buf);
                if (n < 0) ch.close();
                else (ch == safeStdout(c) ? out : err).write(buf.array(), n);
            }
        }
        if (status >= 0) assertEquals(status, c.exitStatus().getAsInt()); // else its exit fired in an earlier wait
        return new Outcome(out.string(), err.string(), c.exitStatus().getAsInt());
    }

    private static Pipe.SourceChannel safeStdout(Child c) {
        try {
            return c.stdout();
        } catch (IllegalStateException notPiped) {
            return null;
        }
    }

    // ---------------------------------------------------------------- basics

    @Test
    void catEchoesThroughStdinAndStdout() throws Exception {
        Child c = start("cat");
        byte[] message = "hello, child\n".repeat(1000).getBytes(StandardCharsets.US_ASCII);
        ByteBuffer toWrite = ByteBuffer.wrap(message);
        ByteBuffer buf = ByteBuffer.allocate(4096);
        ByteArray got = new ByteArray();
        Event writable = Event.writable(c.stdin()), readable = Event.readable(c.stdout());
        while (got.size() < message.length) {
            List<Event> events = toWrite.hasRemaining() ? List.of(writable, readable) : List.of(readable);
            for (Fired f : kernel.wait(events, PATIENCE)) {
                if (f.event() == writable) {
                    c.stdin().write(toWrite);
                    if (!toWrite.hasRemaining()) c.stdin().close(); // end of file for cat
                } else {
                    buf.clear();
                    int n = c.stdout().read(buf);
                    assertTrue(n >= 0, "stdout ended early after " + got.size() + " bytes");
                    got.write(buf.array(), n);
                }
            }
        }
        assertEquals(new String(message, StandardCharsets.US_ASCII), got.string());
        Outcome o = finish(c);
        assertEquals(0, o.status());
        assertEquals("", o.out());
    }

    @Test
    void exitStatusesAreTheJdks() throws Exception {
        int[][] cases = {{0}, {3}, {255}};
        for (int[] k : cases) {
            Child c = start("sh", "-c", "exit " + k[0]);
            List<Fired> f = kernel.wait(List.of(Event.exit(c)), PATIENCE);
            assertEquals(1, f.size());
            assertEquals(OptionalInt.of(k[0]), f.get(0).exitStatus());
            assertEquals(k[0], f.get(0).data());
            assertEquals(OptionalInt.of(k[0]), c.exitStatus());
        }
        Child killed = start("sh", "-c", "kill -KILL $$");
        assertEquals(OptionalInt.of(128 + 9), kernel.wait(List.of(Event.exit(killed)), PATIENCE).get(0).exitStatus());
        Child termed = start("sh", "-c", "kill -TERM $$");
        assertEquals(OptionalInt.of(128 + 15), kernel.wait(List.of(Event.exit(termed)), PATIENCE).get(0).exitStatus());
    }

    @Test
    void exitFiresAgainForEveryWaitAfterIt() throws Exception {
        Child c = start("true");
        Event exit = Event.exit(c);
        assertEquals(1, kernel.wait(List.of(exit), PATIENCE).size());
        List<Fired> again = kernel.wait(List.of(exit), Duration.ZERO);
        assertEquals(1, again.size(), "an exited child's exit fires at once");
        assertEquals(0, again.get(0).exitStatus().getAsInt());
        finish(c);
    }

    @Test
    void anExitNoticedBetweenWaitsIsStillReportedByEvents() throws Exception {
        Child c = start("true");
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!c.hasExited()) { // the kernel reaps it during waits that do not ask for it
            if (System.nanoTime() > deadline) fail("never reaped");
            kernel.wait(List.of(Event.after(Duration.ofMillis(2))), null);
        }
        assertFalse(c.isFinished(), "no wait reported its EXIT yet");
        assertTrue(c.events().stream().anyMatch(e -> e.filter() == Filter.EXIT), c.events().toString());
        List<Fired> f = kernel.wait(List.of(Event.exit(c)), Duration.ZERO);
        assertEquals(OptionalInt.of(0), f.get(0).exitStatus());
        finish(c);
        assertTrue(c.isFinished());
    }

    @Test
    void stdinEndOfFileEndsTheChild() throws Exception {
        Child c = start("wc", "-c");
        ByteBuffer data = ByteBuffer.allocate(300_000);
        Event writable = Event.writable(c.stdin());
        while (data.hasRemaining()) {
            kernel.wait(List.of(writable), PATIENCE);
            c.stdin().write(data); // partial writes: the pipe takes what fits
        }
        c.stdin().close();
        Outcome o = finish(c);
        assertEquals("300000", o.out().trim());
        assertEquals(0, o.status());
    }

    @Test
    void outputAndExitInEitherOrderAndReadAfterEndOfStreamIsMinusOne() throws Exception {
        Child c = start("sh", "-c", "echo out; echo err >&2");
        Outcome o = finish(c);
        assertEquals("out\n", o.out());
        assertEquals("err\n", o.err());
        assertEquals(0, o.status());
        assertTrue(c.events().isEmpty());
    }

    @Test
    void readAfterEndOfStreamReturnsMinusOneAgain() throws Exception {
        Child c = start("true");
        kernel.wait(List.of(Event.exit(c)), PATIENCE);
        ByteBuffer buf = ByteBuffer.allocate(16);
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        int n;
        while ((n = c.stdout().read(buf)) == 0 && System.nanoTime() < deadline) kernel.wait(List.of(Event.readable(c.stdout())), PATIENCE);
        assertEquals(-1, n);
        assertEquals(-1, c.stdout().read(buf));
        finish(c);
    }

    // ---------------------------------------------------------------- back-pressure

    @Test
    void largeOutputOnBothStreamsAtOnceWithASlowReaderLosesNothing() throws Exception {
        int size = 10 * 1024 * 1024;
        Child c = start("sh", "-c", "yes abcdefg | head -c " + size + " & yes 0123456 | head -c " + size + " >&2; wait");
        long[] counts = new long[2];
        boolean[] patternOk = {true, true};
        ByteBuffer small = ByteBuffer.allocate(1024), big = ByteBuffer.allocate(64 * 1024);
        int status = -1;
        long deadline = System.nanoTime() + 50_000_000_000L;
        while (!c.isFinished()) {
            if (System.nanoTime() > deadline) fail("no progress: " + Arrays.toString(counts));
            for (Fired f : kernel.wait(c.events(), PATIENCE)) {
                if (f.filter() == Filter.EXIT) {
                    status = f.exitStatus().getAsInt();
                    continue;
                }
                boolean isOut = f.event().resource() == c.stdout();
                if (!isOut) assertTrue(f.event().resource() == c.stderr());
                Pipe.SourceChannel ch = isOut ? c.stdout() : c.stderr();
                ByteBuffer b = isOut ? small : big; // stdout is read slowly, 1 KiB a wait
                b.clear();
                int n = ch.read(b);
                if (n < 0) {
                    ch.close();
                    continue;
                }
                int k = isOut ? 0 : 1;
                byte[] line = (isOut ? "abcdefg\n" : "0123456\n").getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < n; i++) {
                    if (b.get(i) != line[(int) ((counts[k] + i) % 8)]) patternOk[k] = false;
                }
                counts[k] += n;
            }
        }
        assertEquals(size, counts[0], "stdout bytes");
        assertEquals(size, counts[1], "stderr bytes");
        assertTrue(patternOk[0] && patternOk[1], "content changed on the way");
        assertEquals(0, status);
    }

    // ---------------------------------------------------------------- redirects

    @Test
    void redirectErrorStreamMergesStderrIntoStdout() throws Exception {
        Child c = Child.start(kernel, new ProcessBuilder("sh", "-c", "echo one; echo two >&2; echo three").redirectErrorStream(true));
        IllegalStateException e = assertThrows(IllegalStateException.class, c::stderr);
        assertTrue(e.getMessage().contains("redirectErrorStream"), e.getMessage());
        Outcome o = finish(c);
        assertEquals("one\ntwo\nthree\n", o.out());
    }

    @Test
    void redirectsToFilesDiscardAndFromFile(@TempDir Path tmp) throws Exception {
        Path in = Files.writeString(tmp.resolve("in.txt"), "from a file\n");
        Path out = tmp.resolve("out.txt");
        Child c = Child.start(kernel, new ProcessBuilder("sh", "-c", "cat; echo noise >&2")
                .redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(Redirect.DISCARD));
        assertThrows(IllegalStateException.class, c::stdin);
        assertThrows(IllegalStateException.class, c::stdout);
        assertThrows(IllegalStateException.class, c::stderr);
        assertEquals(List.of(Event.exit(c).filter()), c.events().stream().map(Event::filter).toList());
        assertEquals(0, finish(c).status());
        assertEquals("from a file\n", Files.readString(out));
        Child append = Child.start(kernel, new ProcessBuilder("echo", "more").redirectOutput(Redirect.appendTo(out.toFile())));
        finish(append);
        assertEquals("from a file\nmore\n", Files.readString(out));
    }

    @Test
    void workingDirectoryAndEnvironment(@TempDir Path tmp) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", "pwd; echo \"$KWAIT_TEST\"").directory(tmp.toFile());
        pb.environment().put("KWAIT_TEST", "value from the builder");
        Outcome o = finish(Child.start(kernel, pb));
        assertEquals(tmp.toRealPath() + "\nvalue from the builder\n", o.out());
    }

    // ---------------------------------------------------------------- signals, ownership

    @Test
    void killInTheMiddleOfOutput() throws Exception {
        Child c = start("yes", "kwait");
        ByteBuffer buf = ByteBuffer.allocate(4096);
        long read = 0;
        while (read < 100_000) {
            kernel.wait(List.of(Event.readable(c.stdout())), PATIENCE);
            buf.clear();
            int n = c.stdout().read(buf);
            assertTrue(n >= 0);
            read += n;
        }
        c.kill();
        Outcome o = finish(c);
        assertEquals(128 + 9, o.status());
    }

    @Test
    void terminateSendsTerm() throws Exception {
        Child c = start("sleep", "30");
        c.terminate();
        assertEquals(128 + 15, finish(c).status());
    }

    @Test
    void otherSignalsNeedSpawnOrAreRefusedClearly() throws Exception {
        Child c = start("sh", "-c", "trap 'exit 7' USR1; echo ready; while :; do sleep 0.01; done");
        ByteBuffer buf = ByteBuffer.allocate(16);
        while (buf.position() == 0) {
            kernel.wait(List.of(Event.readable(c.stdout())), PATIENCE);
            assertTrue(c.stdout().read(buf) >= 0);
        }
        if (kernel.capabilities().contains(Capability.SPAWN)) {
            c.signal("SIGUSR1");
            assertEquals(7, finish(c).status());
        } else {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> c.signal("USR1"));
            assertTrue(e.getMessage().contains("TERM and KILL"), e.getMessage());
            c.kill();
            assertEquals(128 + 9, finish(c).status());
        }
        assertThrows(IllegalArgumentException.class, () -> c.signal("NOSUCH"));
    }

    @Test
    void aDroppedChildIsStillReaped() throws Exception {
        for (int i = 0; i < 20; i++) start("true"); // handles dropped at once
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (zombies() > zombiesBefore || liveChildren() > 0) {
            if (System.nanoTime() > deadline) fail("dropped children not reaped: zombies " + zombies());
            kernel.wait(List.of(Event.after(Duration.ofMillis(5))), null); // the kernel reaps while it polls
        }
    }

    @Test
    void closingTheKernelKillsAndReapsItsChildren() throws Exception {
        Child c = start("sleep", "30");
        long pid = c.pid();
        kernel.close();
        assertTrue(c.hasExited(), "the kernel reaped its child on close");
        assertEquals(OptionalInt.of(128 + 9), c.exitStatus());
        assertFalse(c.stdout().isOpen(), "pipes close with the kernel");
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && isOurZombie(pid));
    }

    @Test
    void ownerTaskKillsItsChildWhenTheTaskEnds() throws Exception {
        Child[] started = new Child[1];
        Scheduler.run(kernel, () -> {
            Task<Void> t = Task.spawn(() -> {
                started[0] = Child.start(kernel, new ProcessBuilder("sleep", "30"), Child.Owner.TASK);
                return null;
            });
            t.join();
            List<Fired> f = kernel.wait(List.of(Event.exit(started[0])), PATIENCE);
            assertEquals(OptionalInt.of(128 + 9), f.get(0).exitStatus());
            return null;
        });
    }

    @Test
    void ownerNoneOutlivesTheKernelAndIsReapedLater() throws Exception {
        Child c = Child.start(kernel, new ProcessBuilder("sleep", "30").redirectOutput(Redirect.DISCARD), Child.Owner.NONE);
        long pid = c.pid();
        kernel.close();
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
        assertTrue(h.isAlive(), "an unowned child outlives its kernel");
        assertFalse(c.stdin().isOpen(), "its pipes closed with the kernel");
        h.destroyForcibly();
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while ((isOurZombie(pid) || ProcessHandle.of(pid).isPresent()) && System.nanoTime() < deadline) LockSupport.parkNanos(5_000_000);
        assertFalse(isOurZombie(pid), "reaped in the background");
        while (!kwaitThreads().isEmpty() && System.nanoTime() < deadline) LockSupport.parkNanos(5_000_000);
    }

    // ---------------------------------------------------------------- what the child inherits, errors

    @Test
    void theChildInheritsOnlyStdinStdoutStderr() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open();
             java.io.FileInputStream file = new java.io.FileInputStream("/dev/null")) {
            server.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
            server.configureBlocking(false);
            kernel.wait(List.of(Event.readable(server), Event.after(Duration.ofMillis(1))), null); // the backend's fds exist now
            Child other = start("cat"); // another child's pipes must not leak either
            Outcome o = finish(start("sh", "-c", "ls /proc/$$/fd"));
            assertEquals(List.of("0", "1", "2"), Arrays.stream(o.out().trim().split("\\s+")).sorted().toList(), o.out());
            other.stdin().close();
            finish(other);
            assertNotNull(file);
        }
    }

    @Test
    void programNotFound() {
        IOException e = assertThrows(IOException.class, () -> start("kwait-no-such-program"));
        assertTrue(e.getMessage().contains("kwait-no-such-program"), e.getMessage());
        assertTrue(e.getMessage().contains("No such file"), e.getMessage());
    }

    @Test
    void directoryNotFound() {
        IOException e = assertThrows(IOException.class,
                () -> Child.start(kernel, new ProcessBuilder("ls").directory(new File("/kwait/no/such/dir"))));
        assertTrue(e.getMessage().contains("\"ls\""), e.getMessage());
        assertTrue(e.getMessage().contains("/kwait/no/such/dir"), e.getMessage());
    }

    @Test
    void permissionDenied(@TempDir Path tmp) throws Exception {
        Path script = Files.writeString(tmp.resolve("not-executable"), "#!/bin/sh\necho hi\n");
        IOException e = assertThrows(IOException.class, () -> start(script.toString()));
        assertTrue(e.getMessage().contains("not-executable"), e.getMessage());
        assertTrue(e.getMessage().contains("Permission denied"), e.getMessage());
    }

    @Test
    void emptyCommandAndMissingRedirectFile(@TempDir Path tmp) {
        IOException e = assertThrows(IOException.class, () -> Child.start(kernel, new ProcessBuilder()));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        File missing = tmp.resolve("missing.txt").toFile();
        IOException f = assertThrows(IOException.class,
                () -> Child.start(kernel, new ProcessBuilder("cat").redirectInput(missing)));
        assertTrue(f.getMessage().contains("missing.txt"), f.getMessage());
    }

    @Test
    void writeAfterTheChildExitedIsBrokenPipeNotASignal() throws Exception {
        Child c = start("true");
        kernel.wait(List.of(Event.exit(c)), PATIENCE);
        IOException e = assertThrows(IOException.class, () -> {
            for (int i = 0; i < 100; i++) c.stdin().write(ByteBuffer.wrap(new byte[1024]));
        });
        assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("broken pipe"), e.getMessage());
        finish(c);
    }

    @Test
    void aChildOfAnotherKernelIsACallError() throws Exception {
        Child c = start("true");
        try (io.kwait.Kernel other = io.kwait.Kernel.open(backend())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> other.wait(List.of(Event.exit(c)), Duration.ZERO));
            assertTrue(e.getMessage().contains("kernel that started it"), e.getMessage());
        }
        finish(c);
    }

    // ---------------------------------------------------------------- threads, tasks

    @Test
    void noThreadPerChildOrStreamWithSpawn() throws Exception {
        requires(Capability.SPAWN);
        List<Child> children = new ArrayList<>();
        for (int i = 0; i < 10; i++) children.add(start("sh", "-c", "echo out; echo err >&2"));
        for (Child c : children) assertEquals(0, c.relayThreads(), c + " costs threads");
        assertTrue(kwaitThreads().isEmpty(), "kwait threads: " + kwaitThreads());
        for (Child c : children) assertEquals(new Outcome("out\n", "err\n", 0), finish(c));
    }

    @Test
    void relayThreadsAreCountedWithoutSpawn() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(kernel.capabilities().contains(Capability.SPAWN));
        Child c = start("cat");
        assertEquals(4, c.relayThreads(), "one relay per pipe plus the JDK's reaper");
        c.stdin().close();
        finish(c);
    }

    @Test
    void statsCountHeldChildrenAndTheirThreadsThenReturnToBaseline() throws Exception {
        Kernel.Stats before = kernel.stats();
        assertEquals(0, before.children(), before.toString());
        assertEquals(0, before.childThreads(), before.toString());
        List<Child> children = new ArrayList<>();
        for (int i = 0; i < 3; i++) children.add(start("cat"));
        Kernel.Stats during = kernel.stats();
        assertEquals(3, during.children(), during.toString());
        boolean spawn = kernel.capabilities().contains(Capability.SPAWN);
        // cat keeps its three pipes open until stdin closes: on select 3 relays + the JDK's reaper each.
        assertEquals(spawn ? 0 : 3 * 4, during.childThreads(), during.toString());
        for (Child c : children) {
            c.stdin().close();
            assertEquals(new Outcome("", "", 0), finish(c));
        }
        assertEquals(before, kernel.stats(), "read to the end and reaped: the kernel holds none of them");
        Child killed = start("sleep", "30");
        assertEquals(1, kernel.stats().children());
        killed.kill();
        finish(killed);
        assertEquals(1, kernel.stats().children(), "held while its stdin is open");
        killed.stdin().close();
        assertEquals(before, kernel.stats(), "killed, reaped, every pipe end closed");
    }

    @Test
    void childOutputInTheSameWaitAsAChanAndATimerInTasks() throws Exception {
        String result = Scheduler.run(kernel, () -> {
            io.kwait.Chan<String> chan = io.kwait.Chan.bounded(4);
            Task<Void> sender = Task.spawn(() -> {
                chan.send("from a task");
                return null;
            });
            Child c = Child.start(kernel, new ProcessBuilder("sh", "-c", "echo from a child"));
            StringBuilder sb = new StringBuilder();
            ByteBuffer buf = ByteBuffer.allocate(256);
            Event recv = Event.recv(chan), tick = Event.every(Duration.ofMillis(1));
            boolean gotChan = false;
            while (!c.isFinished() || !gotChan) {
                List<Event> events = new ArrayList<>(c.events());
                if (!gotChan) events.add(recv);
                events.add(tick);
                for (Fired f : kernel.wait(events, PATIENCE)) {
                    if (f.event() == recv) {
                        sb.append(chan.tryReceive().orElseThrow()).append('|');
                        gotChan = true;
                    } else if (f.filter() == Filter.READ) {
                        Pipe.SourceChannel ch = (Pipe.SourceChannel) f.event().resource();
                        buf.clear();
                        int n = ch.read(buf);
                        if (n < 0) ch.close();
                        else sb.append(new String(buf.array(), 0, n, StandardCharsets.US_ASCII));
                    }
                }
            }
            sender.join();
            return sb.toString();
        });
        assertTrue(result.contains("from a task|"), result);
        assertTrue(result.contains("from a child\n"), result);
    }

    // ---------------------------------------------------------------- helpers

    /** Zombie children of this JVM, from /proc (Linux); 0 elsewhere. */
    static int zombies() {
        return (int) childStates().stream().filter(s -> s.equals("Z")).count();
    }

    /** Live (not zombie) children of this JVM that kwait started: started by "true" and still running. */
    private static int liveChildren() {
        return (int) childStates().stream().filter(s -> !s.equals("Z")).count();
    }

    private static List<String> childStates() {
        List<String> states = new ArrayList<>();
        long me = ProcessHandle.current().pid();
        File[] procs = new File("/proc").listFiles((d, n) -> n.chars().allMatch(Character::isDigit));
        if (procs == null) return states;
        for (File p : procs) {
            try {
                String stat = Files.readString(p.toPath().resolve("stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                if (Long.parseLong(f[1]) == me) states.add(f[0]);
            } catch (IOException | RuntimeException gone) {
                // exited meanwhile
            }
        }
        return states;
    }

    private static boolean isOurZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return f[0].equals("Z") && Long.parseLong(f[1]) == ProcessHandle.current().pid();
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    private static final class ByteArray extends java.io.ByteArrayOutputStream {
        void write(byte[] b, int n) { write(b, 0, n); }

        String string() { return toString(StandardCharsets.UTF_8); }
    }
}
