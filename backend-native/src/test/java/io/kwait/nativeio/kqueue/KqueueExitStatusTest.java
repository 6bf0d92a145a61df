package io.kwait.nativeio.kqueue;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link KqueueBackend}'s decoding of the wait status {@code NOTE_EXIT} delivers, as the JDK's
 * {@code Process.exitValue()} reports it. Pure arithmetic on the status word, so here and not in
 * the backend tests that run per binding (module kqueue-sim).
 */
class KqueueExitStatusTest {

    @Test
    void exitCodesAreDecodedTheJdksWay() {
        assertEquals(5, ProcWatch.exitCode(5 << 8));
        assertEquals(0, ProcWatch.exitCode(0));
        assertEquals(128 + 9, ProcWatch.exitCode(9));
        assertEquals(128 + 11, ProcWatch.exitCode(11 | 0x80), "core dumped");
        assertEquals(-1, ProcWatch.exitCode(0x137f), "stopped is not an exit");
    }
}
