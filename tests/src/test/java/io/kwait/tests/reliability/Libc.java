package io.kwait.tests.reliability;

import jnr.ffi.LibraryLoader;

/**
 * The few libc calls the fault tests need and the JDK does not offer: signals aimed at one thread
 * (to interrupt a native wait with EINTR), and raw fds (pipes the JDK never sees, so that a test
 * can close one behind kwait's back and have the number reused). Linux only; JNR comes with the
 * native backend.
 */
public final class Libc {
    /** Linux signal numbers (x86_64 and aarch64 agree on these). */
    static final int SIGUSR1 = 10, SIGUSR2 = 12;

    public interface C {
        int getpid();
        int gettid();
        int tgkill(int tgid, int tid, int sig);
        int kill(int pid, int sig);
        int pipe(int[] fds);
        int close(int fd);
        long write(int fd, byte[] buf, long n);
        long read(int fd, byte[] buf, long n);
        int fcntl(int fd, int cmd, int arg);
    }

    static final C C = LibraryLoader.create(C.class).load("c");

    private Libc() {}

    /** A pipe of raw fds, both ends non-blocking: {read, write}. */
    static int[] pipe() {
        int[] fds = new int[2];
        if (C.pipe(fds) != 0) throw new IllegalStateException("pipe(2) failed");
        for (int fd : fds) C.fcntl(fd, 4 /* F_SETFL */, 0x800 /* O_NONBLOCK */);
        return fds;
    }
}
