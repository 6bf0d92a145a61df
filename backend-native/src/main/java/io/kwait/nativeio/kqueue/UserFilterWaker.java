package io.kwait.nativeio.kqueue;

import io.kwait.nativeio.Memory;
import io.kwait.nativeio.Waker;

import java.io.IOException;

/**
 * The kqueue backend's wakeup where the kernel has {@code EVFILT_USER} (its fact 8): one user event
 * with {@code EV_CLEAR}, udata 0, triggered by {@code kevent(NOTE_TRIGGER)} from any thread. The
 * kernel resets it when a poll takes it, so there is nothing to drain.
 */
final class UserFilterWaker extends Waker {
    /** The ident of the user event (idents of EVFILT_USER are ours to choose). */
    private static final long IDENT = 1L;

    private final KqueueBinding sys;
    private final int kq;
    /** The NOTE_TRIGGER kevent; written once, read by any thread. */
    private final Memory trigger;

    /**
     * Adds the user event to {@code kq}.
     *
     * @throws IOException the kernel refused {@code EVFILT_USER} (the message names the errno)
     */
    UserFilterWaker(KqueueBinding sys, int kq) throws IOException {
        this.sys = sys;
        this.kq = kq;
        KeventLayout layout = sys.platform().layout();
        KqueueConstants k = sys.platform().constants();
        int user = k.filters().user();
        Memory add = new Memory(2 * layout.size());
        layout.put(add.bytes, 0, IDENT, user, k.flags().add() | k.flags().clear() | k.flags().receipt(), 0, 0, 0L);
        Memory zero = new Memory(KeventLayout.TIMESPEC_SIZE);
        int n = sys.kevent(kq, add.address, 1, add.address + layout.size(), 1, zero.address);
        int err = n < 0 ? sys.errno()
                : n == 1 && (layout.flags(add.bytes, 1) & k.flags().error()) != 0 ? (int) layout.data(add.bytes, 1) : 0;
        if (err != 0) throw new IOException("the kernel refused EVFILT_USER: " + sys.strerror(err) + " (errno " + err + ")");
        this.trigger = new Memory(layout.size());
        layout.put(trigger.bytes, 0, IDENT, user, 0, k.notes().trigger(), 0, 0L);
    }

    @Override
    protected void signal() {
        sys.kevent(kq, trigger.address, 1, 0L, 0, 0L);
    }

    @Override
    protected void release() {
        // the user event goes with the kqueue, which the backend closes
    }

    @Override
    public String toString() {
        return "EVFILT_USER";
    }
}
