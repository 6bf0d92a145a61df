package io.kwait.nativeio.epoll;

import io.kwait.nativeio.binding.LibC;
import io.kwait.nativeio.epoll.Linux;
import io.kwait.nativeio.Memory;
import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.NioInternals;
import io.kwait.spi.Availability;
import io.kwait.spi.BackendProvider;
import io.kwait.spi.Capability;
import io.kwait.spi.Interest;
import io.kwait.spi.ReadyFlags;
import io.kwait.spi.Source;
import io.kwait.testkit.BackendContract;
import io.kwait.testkit.Reports;
import io.kwait.testkit.TestProcesses;
import io.kwait.testkit.TestSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Unit tests of {@link EpollBackend} on real fds: the backend contract ({@link BackendContract}, on
 * JDK channels) and what is epoll's own: pipes made with {@code pipe2} through the binding (raw
 * fds), byte counts and EOF, stale events after fd reuse, regular files, child and non-child
 * processes through pidfds, the switches, every fd released on close. No sleeps for
 * synchronisation: every blocking poll is one that must return by the contract, bounded by
 * {@code @Timeout}; every fd and child is released in {@link #afterEachTest()}.
 */
class EpollBackendTest extends BackendContract<EpollBackend> {

    private static final LibC LIBC = LibCRuntime.libc();

    private final Deque<Integer> rawFds = new ArrayDeque<>();
    private final List<Process> processes = new ArrayList<>();
    private final Memory buf = new Memory(4096);

    @Override
    protected void beforeEachTest() {
        assumeTrue(System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux"), "epoll is Linux only");
    }

    @Override
    protected EpollBackend newBackend() throws IOException {
        return new EpollBackend();
    }

    /** After the backend and the channels: the raw fds and children of the test. */
    @Override
    protected void afterEachTest() throws Exception {
        while (!rawFds.isEmpty()) LIBC.close(rawFds.pop());
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** A non-blocking pipe {read, write} from pipe2, closed after the test unless closed by it. */
    private int[] rawPipe() {
        int[] fds = new int[2];
        assertEquals(0, LIBC.pipe2(fds, Linux.O_CLOEXEC | Linux.O_NONBLOCK), "pipe2");
        rawFds.push(fds[0]);
        rawFds.push(fds[1]);
        return fds;
    }

    /** A raw fd source for {@code fd}, registered for {@code interest}. */
    private Source registeredFd(int fd, int interest) throws IOException {
        Source src = new TestSource(Source.Kind.FD, fd);
        backend.register(src, interest);
        return src;
    }

    private void closeRaw(int fd) {
        assertEquals(0, LIBC.close(fd));
        rawFds.remove(fd);
    }

    private void writeRaw(int fd, int n) {
        assertEquals(n, LIBC.write(fd, buf.address, n));
    }

    private long drainRaw(int fd) {
        long total = 0, r;
        while ((r = LIBC.read(fd, buf.address, buf.size())) > 0) total += r;
        return total;
    }

    private static int openFds() {
        String[] names = new File("/proc/self/fd").list();
        return names == null ? -1 : names.length;
    }

    // ------------------------------------------------------------------ readiness on raw fds

    @Test
    void rawPipeReadIsLevelTriggeredWithTheByteCount() throws IOException {
        int[] p = rawPipe();
        Source src = registeredFd(p[0], Interest.READ);
        assertEquals(1, backend.registrationCount());
        assertEquals(0, backend.poll(0, reports));

        writeRaw(p[1], 3);
        assertEquals(1, backend.poll(-1, reports));
        Reports.Report r = reports.only();
        assertSame(src, r.source());
        assertEquals(Interest.READ, r.ready());
        assertEquals(0, r.flags());
        assertEquals(3, r.data(), "bytes available");
        assertNull(r.error());

        assertEquals(1, backend.poll(-1, reports.clear()), "level-triggered: again until drained");
        assertEquals(3, reports.only().data());
        assertEquals(3, drainRaw(p[0]));
        assertEquals(0, backend.poll(0, reports.clear()));
        assertTrue(reports.list.isEmpty());
    }

    @Test
    void rawPipeWriteEndIsWritableAndReadAndWriteCombine() throws IOException {
        int[] p = rawPipe();
        Source w = registeredFd(p[1], Interest.WRITE);
        registeredFd(p[0], Interest.READ);
        assertEquals(1, backend.poll(-1, reports));
        assertSame(w, reports.only().source());
        assertEquals(Interest.WRITE, reports.only().ready());
        assertEquals(0, reports.only().data(), "no byte count for WRITE");

        writeRaw(p[1], 5);
        assertEquals(2, backend.poll(-1, reports.clear()));
        assertEquals(2, reports.list.size());
    }

    @Test
    void writerClosedIsEndOfFileNotError() throws IOException {
        int[] p = rawPipe();
        registeredFd(p[0], Interest.READ);
        writeRaw(p[1], 2);
        closeRaw(p[1]);
        assertEquals(1, backend.poll(-1, reports));
        Reports.Report r = reports.only();
        assertEquals(Interest.READ, r.ready());
        assertEquals(ReadyFlags.EOF, r.flags(), "EPOLLHUP: hang-up");
        assertEquals(2, r.data(), "buffered bytes are still counted");
    }

    @Test
    void readerClosedIsAnErrorForTheWriter() throws IOException {
        int[] p = rawPipe();
        registeredFd(p[1], Interest.WRITE);
        closeRaw(p[0]);
        assertEquals(1, backend.poll(-1, reports));
        Reports.Report r = reports.only();
        assertEquals(ReadyFlags.ERROR, r.flags() & ReadyFlags.ERROR, "EPOLLERR: " + r);
        assertInstanceOf(IOException.class, r.error());
        assertTrue(r.error().getMessage().contains("EPOLLERR"), r.error().getMessage());
    }

    @Test
    void interestZeroIsSilentEvenOnAHungUpFd() throws IOException {
        int[] p = rawPipe();
        Source src = registeredFd(p[0], Interest.READ);
        closeRaw(p[1]);
        assertEquals(1, backend.poll(-1, reports));
        assertEquals(ReadyFlags.EOF, reports.only().flags());

        backend.register(src, 0);
        assertEquals(1, backend.registrationCount(), "still registered");
        long t0 = System.nanoTime();
        assertEquals(0, backend.poll(TimeUnit.MILLISECONDS.toNanos(60), reports.clear()));
        long waited = System.nanoTime() - t0;
        // EPOLL_CTL_MOD with 0 events would still report EPOLLHUP (see the next test), and this
        // poll would return at once: a busy loop for a kernel whose waits all look elsewhere.
        assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(55), "poll returned after " + waited + " ns");
        assertTrue(reports.list.isEmpty());

        backend.register(src, Interest.READ);
        assertEquals(1, backend.poll(0, reports));
        assertEquals(ReadyFlags.EOF, reports.only().flags());
    }

    @Test
    void theKernelReportsHangUpForAnItemModifiedToNoEvents() {
        // The fact behind interestZeroIsSilentEvenOnAHungUpFd, shown on the raw binding.
        int[] p = rawPipe();
        int ep = LIBC.epoll_create1(Linux.EPOLL_CLOEXEC);
        assertTrue(ep >= 0);
        rawFds.push(ep);
        Memory ev = new Memory(16 * 4);
        int dataOffset = io.kwait.nativeio.epoll.EpollEventLayout.current().dataOffset();
        ev.bytes.putInt(0, Linux.EPOLLIN);
        ev.bytes.putLong(dataOffset, 42);
        assertEquals(0, LIBC.epoll_ctl(ep, Linux.EPOLL_CTL_ADD, p[0], ev.address));
        ev.bytes.putInt(0, 0);
        assertEquals(0, LIBC.epoll_ctl(ep, Linux.EPOLL_CTL_MOD, p[0], ev.address));
        closeRaw(p[1]);
        assertEquals(1, LIBC.epoll_wait(ep, ev.address, 4, 0));
        assertEquals(Linux.EPOLLHUP, ev.bytes.getInt(0) & Linux.EPOLLHUP);
        assertEquals(42, ev.bytes.getLong(dataOffset));
    }

    // ------------------------------------------------------------------ no needless syscalls

    @Test
    void registeringTheSameInterestAgainMakesNoSyscall() throws IOException {
        int[] p = rawPipe();
        Source src = registeredFd(p[0], Interest.READ);
        // Close the fd behind the backend's back: any epoll_ctl on it would now fail with EBADF.
        closeRaw(p[0]);
        for (int i = 0; i < 100; i++) backend.register(src, Interest.READ);
        IOException e = assertThrows(IOException.class, () -> backend.register(src, Interest.READ | Interest.WRITE));
        assertTrue(e.getMessage().contains("EBADF"), e.getMessage());
        backend.deregister(src); // tolerates the closed fd
        assertEquals(0, backend.registrationCount());
    }

    // ------------------------------------------------------------------ call and resource errors

    @Test
    void regularFilesAreRefusedAsACallError() throws IOException {
        Path file = Files.createTempFile("kwait-epoll", ".txt");
        try (FileInputStream in = new FileInputStream(file.toFile())) {
            assertTrue(in.getFD().valid());
            int fd = fdOf(file);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.register(new TestSource(Source.Kind.FD, fd), Interest.READ));
            assertTrue(e.getMessage().contains("regular file"), e.getMessage());
            assertTrue(e.getMessage().contains("EPERM"), e.getMessage());
            assertEquals(0, backend.registrationCount());
        } finally {
            Files.delete(file);
        }
    }

    /** The fd number under which this process has {@code file} open, from /proc/self/fd. */
    private static int fdOf(Path file) throws IOException {
        Path real = file.toRealPath();
        for (String n : new File("/proc/self/fd").list()) {
            try {
                if (Files.readSymbolicLink(Path.of("/proc/self/fd", n)).equals(real)) return Integer.parseInt(n);
            } catch (IOException gone) {
                // the listing's own fd
            }
        }
        throw new AssertionError("no fd for " + file);
    }

    @Test
    void aClosedFdIsAResourceError() throws IOException {
        int[] p = rawPipe();
        closeRaw(p[0]);
        closeRaw(p[1]);
        IOException e = assertThrows(IOException.class, () -> backend.register(new TestSource(Source.Kind.FD, p[0]), Interest.READ));
        assertTrue(e.getMessage().contains("EBADF"), e.getMessage());
        assertEquals(0, backend.registrationCount());
    }

    @Test
    void wrongInterestForTheKindIsRefused() {
        int[] p = rawPipe();
        assertThrows(IllegalArgumentException.class, () -> backend.register(new TestSource(Source.Kind.FD, p[0]), Interest.EXIT));
        assertThrows(IllegalArgumentException.class,
                () -> backend.register(new TestSource(Source.Kind.PROCESS, ProcessHandle.current().pid()), Interest.READ));
        assertEquals(0, backend.registrationCount());
    }

    // ------------------------------------------------------------------ fd reuse

    @Test
    void aStaleEventForAReusedFdNumberIsNotDeliveredToTheNewOwner() throws IOException {
        // Two ready pipes in one batch; while the first is reported, the second is deregistered,
        // closed, and its number reused by a new, empty pipe registered for READ. The batch still
        // holds the old pipe's event with that number: it must be dropped, not reported for the new one.
        int[] first = rawPipe();
        int[] second = rawPipe();
        Source a = registeredFd(first[0], Interest.READ);
        Source old = registeredFd(second[0], Interest.READ);
        writeRaw(first[1], 1);  // ready first: reported first (epoll's ready list is in order)
        writeRaw(second[1], 1);
        int oldFd = second[0];
        AtomicReference<Source> fresh = new AtomicReference<>();
        List<Source> seen = new ArrayList<>();
        int n = backend.poll(-1, (source, ready, flags, data, error) -> {
            seen.add(source);
            if (source == a && fresh.get() == null) {
                backend.deregister(old);
                closeRaw(second[0]);
                closeRaw(second[1]);
                int[] reused = rawPipe();
                assumeTrue(reused[0] == oldFd || reused[1] == oldFd, "the kernel did not reuse fd " + oldFd);
                int fdThere = reused[0] == oldFd ? reused[0] : reused[1];
                Source s = new TestSource(Source.Kind.FD, fdThere);
                fresh.set(s);
                try {
                    backend.register(s, reused[0] == oldFd ? Interest.READ : Interest.WRITE);
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
                // A new, empty pipe: readable it is not. (Its write end is writable, so if the
                // number came back as the write end, register WRITE and expect WRITE only later.)
            }
        });
        assertEquals(List.of(a), seen, "only the first pipe may be reported in this batch");
        assertEquals(1, n);
    }

    @Test
    void aChannelClosedAndItsNumberReusedByAnotherChannel() throws IOException {
        Pipe one = pipe();
        Source first = new TestSource(one.source());
        backend.register(first, Interest.READ);
        int fd = NioInternals.fdOf(one.source());
        one.source().close();
        one.sink().close();

        Pipe two = pipe();
        int fd2 = NioInternals.fdOf(two.source());
        int fd2w = NioInternals.fdOf(two.sink());
        assumeTrue(fd2 == fd || fd2w == fd, "the kernel did not reuse fd " + fd);
        Source second = new TestSource(fd2 == fd ? two.source() : two.sink());
        int interest = fd2 == fd ? Interest.READ : Interest.WRITE;
        backend.register(second, interest);
        assertNull(first.backendState(), "the closed channel's registration was forgotten");
        assertEquals(1, backend.registrationCount());
        two.sink().write(ByteBuffer.wrap(new byte[] {1, 2}));
        assertEquals(1, backend.poll(-1, reports));
        assertSame(second, reports.only().source());

        backend.deregister(first); // the core forgets the old one later: must not touch the new item
        assertEquals(1, backend.poll(-1, reports.clear()));
        assertSame(second, reports.only().source());
    }

    @Test
    void aRawFdAndTheChannelThatOwnsItShareOneItem() throws IOException {
        Pipe p = pipe();
        Source channel = new TestSource(p.source());
        Source raw = new TestSource(Source.Kind.FD, NioInternals.fdOf(p.source()));
        backend.register(channel, Interest.READ);
        backend.register(raw, Interest.READ);
        assertEquals(2, backend.registrationCount());
        p.sink().write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertEquals(2, backend.poll(-1, reports));
        assertEquals(2, reports.list.size());
        for (Reports.Report r : reports.list) assertEquals(3, r.data());
        backend.deregister(raw);
        assertEquals(1, backend.poll(-1, reports.clear()));
        assertSame(channel, reports.only().source(), "the channel still hears of it");
    }

    // ------------------------------------------------------------------ JDK channels

    @Test
    void socketChannelsReportBytesEofAndAccept() throws IOException {
        ServerSocketChannel server = track(ServerSocketChannel.open());
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        server.configureBlocking(false);
        Source acc = new TestSource(server);
        backend.register(acc, Interest.READ);
        assertEquals(0, backend.poll(0, reports));

        SocketChannel client = track(SocketChannel.open(server.getLocalAddress()));
        assertEquals(1, backend.poll(-1, reports));
        assertSame(acc, reports.only().source());
        assertEquals(0, reports.only().data(), "a listening socket has no byte count");
        SocketChannel accepted = track(server.accept());
        accepted.configureBlocking(false);

        Source mine = new TestSource(accepted);
        backend.register(mine, Interest.READ);
        client.write(ByteBuffer.wrap(new byte[7]));
        assertEquals(1, backend.poll(-1, reports.clear()));
        assertEquals(7, reports.only().data());
        assertEquals(0, reports.only().flags());

        client.shutdownOutput();
        assertEquals(1, backend.poll(-1, reports.clear()));
        assertEquals(ReadyFlags.EOF, reports.only().flags(), "EPOLLRDHUP");
        assertEquals(7, reports.only().data());
    }

    @Test
    void aChannelClosedWhileRegisteredIsForgottenAndReportedByRegister() throws IOException {
        Pipe p = pipe();
        Source src = new TestSource(p.source());
        backend.register(src, Interest.READ);
        p.source().close();
        assertThrows(ClosedChannelException.class, () -> backend.register(src, Interest.READ | Interest.WRITE));
        backend.deregister(src);
        assertEquals(0, backend.registrationCount());
    }

    // ------------------------------------------------------------------ processes

    /** A child ({@link TestProcesses#child}), destroyed and reaped after the test. */
    private Process start(String... command) throws IOException {
        Process p = TestProcesses.child(command);
        processes.add(p);
        return p;
    }

    @Test
    void childExitIsReportedOnceThroughAPidfdAndNotReaped() throws Exception {
        Process p = start("sleep", "30");
        Source src = new TestSource(Source.Kind.PROCESS, p.pid());
        backend.register(src, Interest.EXIT);
        backend.register(src, Interest.EXIT); // no change
        assertEquals(1, backend.registrationCount());
        assertEquals(0, backend.poll(0, reports));

        p.destroyForcibly();
        assertEquals(1, backend.poll(-1, reports));
        Reports.Report r = reports.only();
        assertSame(src, r.source());
        assertEquals(Interest.EXIT, r.ready());
        assertEquals(0, r.flags(), "no status from a pidfd");
        assertEquals(0, backend.registrationCount(), "reported once, then forgotten");
        assertNull(src.backendState());
        assertEquals(0, backend.poll(0, reports.clear()));
        // The JDK reaped it, not kwait: its exit value is the real one, not 0.
        assertEquals(128 + 9, p.waitFor());
    }

    @Test
    void aProcessThatIsNotOurChild() throws Exception {
        ProcessHandle other = TestProcesses.notOurChild();
        long pid = other.pid();
        try {
            Source src = new TestSource(Source.Kind.PROCESS, pid);
            backend.register(src, Interest.EXIT);
            assertEquals(0, backend.poll(0, reports));
            // pidfd_send_signal through the binding: race-free against pid reuse.
            long pidfd = LIBC.syscall(Linux.SYS_PIDFD_OPEN, (int) pid, 0);
            assertTrue(pidfd >= 0, "pidfd_open: " + LibCRuntime.describe(LibCRuntime.errno()));
            rawFds.push((int) pidfd);
            assertEquals(0, LIBC.syscall(Linux.SYS_PIDFD_SEND_SIGNAL, (int) pidfd, 15, 0L, 0));
            assertEquals(1, backend.poll(-1, reports));
            assertEquals(Interest.EXIT, reports.only().ready());
            // Not our child: waitid on its pidfd says ECHILD (and with WNOWAIT would never reap anyway).
            Memory info = new Memory(Linux.SIGINFO_SIZE);
            assertEquals(-1, LIBC.waitid(Linux.P_PIDFD, (int) pidfd, info.address, Linux.WEXITED | Linux.WNOHANG | Linux.WNOWAIT));
            assertEquals(Linux.ECHILD, LibCRuntime.errno());
        } finally {
            other.destroyForcibly();
        }
    }

    @Test
    void aProcessAlreadyGoneIsReportedByTheNextPoll() throws Exception {
        Process p = start("true");
        assertEquals(0, p.waitFor());
        Source src = new TestSource(Source.Kind.PROCESS, p.pid());
        backend.register(src, Interest.EXIT); // ESRCH (unless the pid was reused at once: then it is that one's)
        assertEquals(1, backend.registrationCount());
        if (ProcessHandle.of(p.pid()).isEmpty()) {
            assertEquals(1, backend.poll(-1, reports));
            assertEquals(Interest.EXIT, reports.only().ready());
            assertEquals(0, backend.registrationCount());
        }
    }

    @Test
    void pidfdsCanBeDisabledSoTheCoreUsesItsRelay() throws Exception {
        Process p = start("sleep", "30");
        System.setProperty(EpollBackend.PIDFD_PROPERTY, "false");
        try (EpollBackend off = new EpollBackend()) {
            IOException e = assertThrows(IOException.class,
                    () -> off.register(new TestSource(Source.Kind.PROCESS, p.pid()), Interest.EXIT));
            assertTrue(e.getMessage().contains(EpollBackend.PIDFD_PROPERTY), e.getMessage());
            assertEquals(0, off.registrationCount());
            assertTrue(off.capabilities().contains(Capability.PROCESS_EXIT), "the capability stays: the fallback is per source");
        } finally {
            System.clearProperty(EpollBackend.PIDFD_PROPERTY);
        }
    }

    @Test
    void byteCountsCanBeSwitchedOff() throws Exception {
        System.setProperty(EpollBackend.BYTES_PROPERTY, "false");
        try (EpollBackend lean = new EpollBackend()) {
            assertFalse(lean.capabilities().contains(Capability.BYTES_AVAILABLE));
            int[] p = rawPipe();
            Source src = new TestSource(Source.Kind.FD, p[0]);
            lean.register(src, Interest.READ);
            writeRaw(p[1], 4);
            assertEquals(1, lean.poll(-1, reports));
            assertEquals(0, reports.only().data());
            lean.deregister(src);
        } finally {
            System.clearProperty(EpollBackend.BYTES_PROPERTY);
        }
    }

    // ------------------------------------------------------------------ lifecycle

    @Test
    void closeReleasesEveryFdItOpenedAndThenRefusesWork() throws Exception {
        int before = openFds();
        EpollBackend b = new EpollBackend();
        int[] p = rawPipe();
        Process child = start("sleep", "30");
        Source fd = new TestSource(Source.Kind.FD, p[0]);
        Source proc = new TestSource(Source.Kind.PROCESS, child.pid());
        b.register(fd, Interest.READ);
        b.register(proc, Interest.EXIT);
        assertEquals(2, b.registrationCount());
        assertTrue(openFds() >= before + 2 + 5, "epoll fd, eventfd, selector fds, the pipe, the pidfd");

        b.close();
        b.close(); // idempotent
        assertEquals(0, b.registrationCount());
        assertNull(fd.backendState());
        assertNull(proc.backendState());
        b.wakeup(); // does nothing
        closeRaw(p[0]);
        closeRaw(p[1]);
        child.destroyForcibly().waitFor();
        // The child's pipes to the JDK are gone with it; what is left must be what we had.
        assertEquals(before, openFds(), "fds left open by a closed backend");
        assertThrows(IllegalStateException.class, () -> b.register(new TestSource(Source.Kind.FD, 0), Interest.READ));
        assertThrows(IllegalStateException.class, () -> b.poll(0, reports));
        b.deregister(fd); // ignored
    }

    @Test
    void theProviderIsFoundAndAvailable() {
        BackendProvider found = null;
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p.name().equals("epoll")) found = p;
        }
        assertInstanceOf(EpollBackendProvider.class, found);
        assertEquals(10, found.priority());
        Availability a = found.availability();
        assertTrue(a.available(), a.reason());
        assertSame(a.available(), found.availability().available());
        assertEquals(java.util.EnumSet.allOf(Capability.class), backend.capabilities());
        assertEquals("epoll", backend.name());
    }
}
