package io.kwait.nativeio.spawn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kwait.nativeio.Memory;
import io.kwait.nativeio.binding.SpawnLibC;
import io.kwait.nativeio.kqueue.KqueueConstants;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The spawn numbers per OS: detection, agreement with the kqueue tables, and Linux's against the running kernel. */
class SpawnPlatformTest {

    @Test
    void detectsByOsNameAndRefusesWhatItDoesNotKnow() {
        assertSame(SpawnPlatform.LINUX, SpawnPlatform.detect("Linux", "amd64").platform());
        assertSame(SpawnPlatform.LINUX, SpawnPlatform.detect("Linux", "aarch64").platform());
        assertSame(SpawnPlatform.MACOS, SpawnPlatform.detect("Mac OS X", "aarch64").platform());
        assertSame(SpawnPlatform.FREEBSD, SpawnPlatform.detect("FreeBSD", "amd64").platform());
        for (String[] no : List.of(new String[] {"OpenBSD", "amd64"}, new String[] {"Linux", "mips"},
                new String[] {"Mac OS X", "x86"}, new String[] {"Windows 11", "amd64"})) {
            SpawnPlatform.Detection d = SpawnPlatform.detect(no[0], no[1]);
            assertNull(d.platform(), no[0] + "/" + no[1]);
            assertNotNull(d.problem());
        }
    }

    @Test
    void bsdNumbersAgreeWithTheKqueueTables() {
        for (Object[] pair : List.of(new Object[] {SpawnPlatform.MACOS, KqueueConstants.MACOS},
                new Object[] {SpawnPlatform.FREEBSD, KqueueConstants.FREEBSD})) {
            SpawnPlatform s = (SpawnPlatform) pair[0];
            KqueueConstants k = (KqueueConstants) pair[1];
            assertEquals(k.errnos().eintr(), s.eintr(), s.name());
            assertEquals(k.errnos().eagain(), s.eagain(), s.name());
            assertEquals(k.errnos().epipe(), s.epipe(), s.name());
            assertEquals(k.fcntl().getfl(), s.fGetfl(), s.name());
            assertEquals(k.fcntl().setfl(), s.fSetfl(), s.name());
            assertEquals(k.fcntl().setfd(), s.fSetfd(), s.name());
            assertEquals(k.fcntl().fdCloexec(), s.fdCloexec(), s.name());
            assertEquals(k.fcntl().oNonblock(), s.oNonblock(), s.name());
        }
    }

    @Test
    void whereTheOsesDifferTheTablesDiffer() {
        // Values copied from one OS to another are the mistake this table exists to prevent.
        assertNotEquals(SpawnPlatform.MACOS.oCloexec(), SpawnPlatform.FREEBSD.oCloexec());
        assertNotEquals(SpawnPlatform.MACOS.wexited(), SpawnPlatform.FREEBSD.wexited());
        assertNotEquals(SpawnPlatform.MACOS.wnowait(), SpawnPlatform.FREEBSD.wnowait());
        assertNotEquals(SpawnPlatform.MACOS.pPid(), SpawnPlatform.FREEBSD.pPid());
        assertNotEquals(SpawnPlatform.LINUX.setsigdef(), SpawnPlatform.FREEBSD.setsigdef());
        assertNotEquals(SpawnPlatform.LINUX.eagain(), SpawnPlatform.MACOS.eagain());
        assertEquals(0, SpawnPlatform.LINUX.cloexecDefault());
        assertNotEquals(0, SpawnPlatform.MACOS.cloexecDefault());
        for (SpawnPlatform p : List.of(SpawnPlatform.LINUX, SpawnPlatform.MACOS, SpawnPlatform.FREEBSD)) {
            assertEquals(9, p.signals().get("KILL"), p.name());
            assertEquals(15, p.signals().get("TERM"), p.name());
            assertEquals(p.signals().size(), new HashSet<>(p.signals().values()).size(), p.name() + ": two names, one number");
            assertTrue(SpawnPlatform.allocation(p.actionsSize()) >= p.actionsSize());
        }
        assertEquals(10, SpawnPlatform.LINUX.signals().get("USR1"));
        assertEquals(30, SpawnPlatform.MACOS.signals().get("USR1"));
        assertEquals(20, SpawnPlatform.FREEBSD.signals().get("CHLD"));
    }

    @Test
    void linuxNumbersAreTheRunningKernels() throws Exception {
        Assumptions.assumeTrue(Posix.reason() == null && Posix.PLATFORM == SpawnPlatform.LINUX, "needs native spawn on Linux");
        SpawnLibC c = Posix.libc();
        int[] fds = new int[2];
        assertEquals(0, c.pipe2(fds, Posix.O_CLOEXEC | Posix.O_NONBLOCK));
        try {
            int fl = c.fcntl(fds[0], Posix.F_GETFL, 0);
            assertTrue((fl & Posix.O_NONBLOCK) != 0, "O_NONBLOCK as F_GETFL reports it: " + Integer.toHexString(fl));
            PipeFd.setBlocking(fds[0], true);
            assertEquals(0, c.fcntl(fds[0], Posix.F_GETFL, 0) & Posix.O_NONBLOCK, "F_SETFL cleared it");
            Memory b = new Memory(8);
            assertEquals(-1, c.read(fds[1], b.address, 1), "reading the write end fails");
            assertEquals(9, Posix.errno(), "EBADF");
            PipeFd.setBlocking(fds[1], false);
            Memory big = new Memory(1 << 20);
            while (c.write(fds[1], big.address, 1 << 20) > 0) { /* fill the pipe */ }
            assertEquals(Posix.EAGAIN, Posix.errno(), "a full non-blocking pipe says EAGAIN");
        } finally {
            c.close(fds[0]);
            c.close(fds[1]);
        }
        Memory path = Posix.cString("/dev/null");
        int fd = c.open(path.address, Posix.O_WRONLY | Posix.O_APPEND | Posix.O_CLOEXEC, 0);
        assertTrue(fd >= 0);
        try {
            int fl = c.fcntl(fd, Posix.F_GETFL, 0);
            assertEquals(Posix.O_WRONLY | Posix.O_APPEND, fl & (Posix.O_WRONLY | Posix.O_APPEND | 3), Integer.toHexString(fl));
        } finally {
            c.close(fd);
        }
    }
}
