package io.kwait.nativeio.kqueue;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The numbers per OS and the choice of platform from system properties. */
class KqueueConstantsTest {

    @Test
    void filterNumbersPerOs() {
        for (KqueueConstants c : new KqueueConstants[] {KqueueConstants.MACOS, KqueueConstants.FREEBSD, KqueueConstants.OPENBSD}) {
            assertEquals(-1, c.filters().read(), c.os());
            assertEquals(-2, c.filters().write(), c.os());
            assertEquals(-5, c.filters().proc(), c.os());
            assertEquals(-6, c.filters().signal(), c.os());
            assertEquals(-7, c.filters().timer(), c.os());
            assertTrue(c.filters().userDefined(), c.os());
        }
        assertEquals(-10, KqueueConstants.MACOS.filters().user());
        assertEquals(-11, KqueueConstants.FREEBSD.filters().user());
        assertEquals(-10, KqueueConstants.OPENBSD.filters().user());
    }

    @Test
    void commonFlagsAgreeAndTheDifferingBitsAreNamedPerOs() {
        for (KqueueConstants c : new KqueueConstants[] {KqueueConstants.MACOS, KqueueConstants.FREEBSD, KqueueConstants.OPENBSD}) {
            KqueueConstants.Flags f = c.flags();
            assertEquals(0x1, f.add());
            assertEquals(0x2, f.delete());
            assertEquals(0x4, f.enable());
            assertEquals(0x8, f.disable());
            assertEquals(0x10, f.oneshot());
            assertEquals(0x20, f.clear());
            assertEquals(0x40, f.receipt());
            assertEquals(0x80, f.dispatch());
            assertEquals(0x4000, f.error());
            assertEquals(0x8000, f.eof());
        }
        KqueueConstants.Flags mac = KqueueConstants.MACOS.flags();
        KqueueConstants.Flags bsd = KqueueConstants.FREEBSD.flags();
        assertEquals(0x100, mac.udataSpecific());
        assertEquals(0x200, mac.vanished());
        assertEquals(0, mac.forceOneshot());
        assertEquals(0, mac.keepUdata());
        assertEquals(0x100, bsd.forceOneshot());
        assertEquals(0x200, bsd.keepUdata());
        assertEquals(0, bsd.udataSpecific());
        assertEquals(0, bsd.vanished());
        assertEquals(0xF000, mac.sysflags());
        assertEquals(0xF000, bsd.sysflags());
        assertEquals(0xF800, KqueueConstants.OPENBSD.flags().sysflags());
    }

    @Test
    void notesPerOs() {
        for (KqueueConstants c : new KqueueConstants[] {KqueueConstants.MACOS, KqueueConstants.FREEBSD, KqueueConstants.OPENBSD}) {
            KqueueConstants.Notes n = c.notes();
            assertEquals(0x80000000, n.exit());
            assertEquals(0x01000000, n.trigger());
            assertEquals(0xC0000000, n.ffcopy());
            assertEquals(0x00FFFFFF, n.fflagsMask());
            assertEquals(0x1, n.timerSeconds());
        }
        assertEquals(0x04000000, KqueueConstants.MACOS.notes().exitStatus());
        assertEquals(0, KqueueConstants.FREEBSD.notes().exitStatus());
        assertEquals(0x04000000, KqueueConstants.MACOS.exitStatusNote(), "macOS: the status is there with NOTE_EXITSTATUS");
        assertEquals(0x80000000, KqueueConstants.FREEBSD.exitStatusNote(), "FreeBSD: with every NOTE_EXIT");
        // Timer units: the same names, different values.
        assertEquals(0x4, KqueueConstants.FREEBSD.notes().timerMicroseconds());
        assertEquals(0x2, KqueueConstants.MACOS.notes().timerMicroseconds());
        assertEquals(0x8, KqueueConstants.FREEBSD.notes().timerNanoseconds());
        assertEquals(0x4, KqueueConstants.MACOS.notes().timerNanoseconds());
        assertEquals(0x3, KqueueConstants.OPENBSD.notes().timerNanoseconds());
        assertEquals(0x10, KqueueConstants.FREEBSD.notes().timerAbsolute());
        assertEquals(0x8, KqueueConstants.MACOS.notes().timerAbsolute());
    }

    @Test
    void errnoAndFcntlAreTheBsdOnes() {
        for (KqueueConstants c : new KqueueConstants[] {KqueueConstants.MACOS, KqueueConstants.FREEBSD, KqueueConstants.OPENBSD}) {
            assertEquals(9, c.errnos().ebadf());
            assertEquals(3, c.errnos().esrch());
            assertEquals(2, c.errnos().enoent());
            assertEquals(35, c.errnos().eagain(), "EAGAIN is 35 on the BSDs (11 on Linux)");
            assertEquals(4, c.fcntl().oNonblock(), "O_NONBLOCK is 4 on the BSDs (0x800 on Linux)");
            assertEquals(4, c.fcntl().setfl());
            assertEquals(2, c.fcntl().setfd());
        }
    }

    @Test
    void platformsPairLayoutsWithConstants() {
        assertSame(KeventLayout.MACOS, KqueuePlatform.MACOS.layout());
        assertSame(KqueueConstants.MACOS, KqueuePlatform.MACOS.constants());
        assertSame(KeventLayout.FREEBSD_12, KqueuePlatform.FREEBSD_12.layout());
        assertSame(KeventLayout.FREEBSD_11, KqueuePlatform.FREEBSD_11.layout());
        assertSame(KqueueConstants.FREEBSD, KqueuePlatform.FREEBSD_11.constants());
    }

    @Test
    void detectionByOsNameVersionAndArch() {
        assertSame(KqueuePlatform.MACOS, KqueuePlatform.detect("Mac OS X", "14.4", "aarch64").platform());
        assertSame(KqueuePlatform.MACOS, KqueuePlatform.detect("Mac OS X", "13.0", "x86_64").platform());
        assertSame(KqueuePlatform.FREEBSD_12, KqueuePlatform.detect("FreeBSD", "14.1-RELEASE-p3", "amd64").platform());
        assertSame(KqueuePlatform.FREEBSD_12, KqueuePlatform.detect("FreeBSD", "12.0-RELEASE", "amd64").platform());
        assertSame(KqueuePlatform.FREEBSD_11, KqueuePlatform.detect("FreeBSD", "11.4-RELEASE", "amd64").platform());
        assertSame(KqueuePlatform.OPENBSD, KqueuePlatform.detect("OpenBSD", "7.5", "amd64").platform());
        assertNull(KqueuePlatform.detect("Mac OS X", "14.4", "aarch64").problem());

        KqueuePlatform.Detection linux = KqueuePlatform.detect("Linux", "6.8", "amd64");
        assertFalse(linux.supported());
        assertEquals("kqueue exists on macOS and the BSDs; this is Linux (use epoll)", linux.problem());
        String netbsd = KqueuePlatform.detect("NetBSD", "10.0", "amd64").problem();
        assertTrue(netbsd.contains("__kevent50") && netbsd.contains("__kevent100") && netbsd.contains("uint32_t"), netbsd);
        assertTrue(netbsd.contains("select"), "names the way out: " + netbsd);
        assertTrue(KqueuePlatform.detect("FreeBSD", "CURRENT", "amd64").problem().contains("os.version"));
        assertTrue(KqueuePlatform.detect("FreeBSD", "14.0", "i386").problem().contains("64-bit"));
        assertTrue(KqueuePlatform.detect("Windows 11", "10.0", "amd64").problem().contains("Windows 11"));
    }
}
