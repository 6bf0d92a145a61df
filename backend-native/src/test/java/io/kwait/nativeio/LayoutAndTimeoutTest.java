package io.kwait.nativeio;

import io.kwait.nativeio.epoll.EpollEventLayout;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Struct layouts by architecture, and the timeout conversions every native call uses. */
class LayoutAndTimeoutTest {

    @Test
    void epollEventIsPackedOnX86AndNaturalElsewhere() {
        assertEquals(new EpollEventLayout(12, 4), EpollEventLayout.forArch("amd64"));
        assertEquals(new EpollEventLayout(12, 4), EpollEventLayout.forArch("x86_64"));
        assertEquals(new EpollEventLayout(12, 4), EpollEventLayout.forArch("i386"));
        assertEquals(new EpollEventLayout(16, 8), EpollEventLayout.forArch("aarch64"));
        assertEquals(new EpollEventLayout(16, 8), EpollEventLayout.forArch("riscv64"));
        assertEquals(new EpollEventLayout(16, 8), EpollEventLayout.forArch("ppc64le"));
        assertSame(EpollEventLayout.forArch(System.getProperty("os.arch")), EpollEventLayout.current());
    }

    @Test
    void timeoutsRoundUpToWholeMillisecondsAndNeverDownToZero() {
        assertEquals(-1, PollTimeouts.toMillisRoundingUp(-1));
        assertEquals(-1, PollTimeouts.toMillisRoundingUp(Long.MIN_VALUE));
        assertEquals(0, PollTimeouts.toMillisRoundingUp(0));
        assertEquals(1, PollTimeouts.toMillisRoundingUp(1));
        assertEquals(1, PollTimeouts.toMillisRoundingUp(999_999));
        assertEquals(1, PollTimeouts.toMillisRoundingUp(1_000_000));
        assertEquals(2, PollTimeouts.toMillisRoundingUp(1_000_001));
        assertEquals(1500, PollTimeouts.toMillisRoundingUp(1_500_000_000L));
        assertEquals(Integer.MAX_VALUE, PollTimeouts.toMillisRoundingUp(Long.MAX_VALUE));
        assertEquals(Integer.MAX_VALUE, PollTimeouts.toMillisRoundingUp(Integer.MAX_VALUE * 1_000_000L + 1));
    }

    @Test
    void remainingTimeAfterAnInterruptedCall() {
        assertEquals(-1, PollTimeouts.remainingMillis(-1, 0, 5_000_000_000L));
        assertEquals(0, PollTimeouts.remainingMillis(0, 0, 1));
        assertEquals(7, PollTimeouts.remainingMillis(10, 100, 100 + 3_000_000));
        assertEquals(1, PollTimeouts.remainingMillis(10, 0, 9_999_999)); // 1 ns left: 1 ms, not 0
        assertEquals(0, PollTimeouts.remainingMillis(10, 0, 10_000_000));
        assertEquals(0, PollTimeouts.remainingMillis(10, 0, 50_000_000));
    }

    @Test
    void theJvmRunsWithWhatTheNativeBackendsNeed() {
        assertNull(LibCRuntime.reason(), "libc");
        assertNull(NioInternals.reason(), "surefire passes " + NioInternals.ADD_EXPORTS_FLAG);
    }
}
