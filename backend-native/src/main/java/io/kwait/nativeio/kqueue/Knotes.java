package io.kwait.nativeio.kqueue;

import io.kwait.nativeio.Descriptor;

/** The knotes of one watched object (an fd number or a pid), and what the current poll learned of them. */
final class Knotes extends Descriptor {
    /** udata of our wakeup event and of every EV_DELETE: generation 0 is never a descriptor's (fact 2 in KqueueReports). */
    static final long NO_ENTRY = 0L;

    /** Interest bits whose knote the kernel holds, as far as we know. */
    int added;

    // What the current poll learned (valid while seq == the reports' pollSeq).
    int seq;
    int ready;
    int eofBits;
    long bytes;
    Throwable error;
    boolean errorIsBadFd;
    boolean exited;
    boolean statusKnown;
    long exitData;

    Knotes(int fd, long pid, boolean process) {
        super(fd, pid, process);
    }
}
