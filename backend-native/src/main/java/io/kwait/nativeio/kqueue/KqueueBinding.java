package io.kwait.nativeio.kqueue;

/**
 * The system calls {@link KqueueBackend} makes, with C semantics: the real one
 * ({@link LibCKqueueBinding}, JNR on libc) on macOS and the BSDs, a simulated one
 * ({@code SimulatedKqueue}, module {@code kqueue-sim}) on Linux for tests. Swapping the binding is
 * the only difference between the two: the backend writes change lists and reads event lists as
 * raw memory in {@link #platform()}'s layout either way.
 *
 * <p>Memory arguments are addresses of native memory the caller owns for the duration of the call;
 * 0 is C's {@code NULL}. Every call returns what the C function returns ({@code -1} on failure)
 * and leaves the failure's {@code errno}, in the platform's numbering
 * ({@link KqueueConstants#errnos()}), for {@link #errno()} on the same thread.
 *
 * <p>Thread-safety is that of the system calls: any thread may call at any time; {@code kevent}
 * on one kqueue from two threads at once is allowed (a wakeup triggers while the poller waits).
 */
public interface KqueueBinding {

    /** The OS this binding speaks for: the layout of {@code struct kevent} and the constants. */
    KqueuePlatform platform();

    /** {@code int kqueue(void)}: a new kqueue fd. */
    int kqueue();

    /**
     * {@code int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent
     * *eventlist, int nevents, const struct timespec *timeout)}.
     *
     * @param changelist address of {@code nchanges} kevents to apply first, in order
     * @param eventlist  address of room for {@code nevents} kevents
     * @param timeout    address of a {@code struct timespec} ({@link KeventLayout#TIMESPEC_SIZE}
     *                   bytes), or 0 to wait without limit
     * @return the number of kevents written to {@code eventlist}, or -1
     */
    int kevent(int kq, long changelist, int nchanges, long eventlist, int nevents, long timeout);

    /** {@code int close(int fd)}; closing a descriptor removes every kevent that refers to it. */
    int close(int fd);

    /** {@code int pipe(int fds[2])}: {@code fds[0]} reads, {@code fds[1]} writes; blocking, inherited by exec. */
    int pipe(int[] fds);

    /** {@code int fcntl(int fd, int cmd, int arg)} with the platform's {@link KqueueConstants#fcntl()} numbers. */
    int fcntl(int fd, int cmd, int arg);

    /** {@code ssize_t read(int fd, void *buf, size_t count)}. */
    long read(int fd, long buf, long count);

    /** {@code ssize_t write(int fd, const void *buf, size_t count)}. */
    long write(int fd, long buf, long count);

    /** {@code errno} left by the last failed call of this thread. */
    int errno();

    /** {@code strerror(errno)}, for messages. */
    String strerror(int errno);

    /** Says in a few words what this binding is, e.g. {@code "libc kqueue (macOS)"}. */
    String describe();
}
