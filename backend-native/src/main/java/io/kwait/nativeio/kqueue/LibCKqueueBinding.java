package io.kwait.nativeio.kqueue;

import io.kwait.nativeio.binding.LibC;
import io.kwait.nativeio.LibCRuntime;

import java.util.Objects;

/**
 * The real {@link KqueueBinding}: the C library's {@code kqueue}, {@code kevent}, {@code close},
 * {@code pipe}, {@code fcntl}, {@code read} and {@code write} through JNR ({@link LibC}), for the
 * platform {@link KqueuePlatform#detect()} found. Only ever used on macOS and the BSDs.
 */
public final class LibCKqueueBinding implements KqueueBinding {
    private final KqueuePlatform platform;
    private final LibC libc;
    private final jnr.ffi.Runtime runtime;

    /**
     * Binds libc for {@code platform}.
     *
     * @throws IllegalStateException JNR could not load the C library (the message says why)
     */
    public LibCKqueueBinding(KqueuePlatform platform) {
        this.platform = Objects.requireNonNull(platform, "platform");
        this.libc = LibCRuntime.libc();
        this.runtime = jnr.ffi.Runtime.getRuntime(libc);
    }

    @Override
    public KqueuePlatform platform() {
        return platform;
    }

    @Override
    public int kqueue() {
        return libc.kqueue();
    }

    @Override
    public int kevent(int kq, long changelist, int nchanges, long eventlist, int nevents, long timeout) {
        return libc.kevent(kq, changelist, nchanges, eventlist, nevents, timeout == 0 ? null : jnr.ffi.Pointer.wrap(runtime, timeout));
    }

    @Override
    public int close(int fd) {
        return libc.close(fd);
    }

    @Override
    public int pipe(int[] fds) {
        return libc.pipe(fds);
    }

    @Override
    public int fcntl(int fd, int cmd, int arg) {
        return libc.fcntl(fd, cmd, arg);
    }

    @Override
    public long read(int fd, long buf, long count) {
        return libc.read(fd, buf, count);
    }

    @Override
    public long write(int fd, long buf, long count) {
        return libc.write(fd, buf, count);
    }

    @Override
    public int errno() {
        return LibCRuntime.errno();
    }

    @Override
    public String strerror(int errno) {
        String s = libc.strerror(errno);
        return s == null ? "error" : s;
    }

    @Override
    public String describe() {
        return "libc kqueue (" + platform.name() + ")";
    }
}
