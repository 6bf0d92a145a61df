package io.kwait.nativeio.binding;

import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import jnr.ffi.types.uintptr_t;

/**
 * The JNR binding of what {@code PosixSpawner} calls in the C library: {@code posix_spawnp} and
 * its file actions and attributes, pipes, {@code waitpid}, {@code kill}, and {@code read}/{@code write}
 * for the pipe channels. Memory arguments are addresses of direct buffers. Functions return what C returns; the {@code posix_spawn*} family returns an errno
 * value instead of setting {@code errno}.
 *
 * <p>{@code posix_spawn_file_actions_addchdir_np} (glibc 2.29) and
 * {@code posix_spawn_file_actions_addclosefrom_np} (glibc 2.34) may be missing: JNR binds symbols
 * lazily, so calling one that is absent throws {@link UnsatisfiedLinkError}, which
 * {@code PosixSpawner} probes once.
 */
public interface SpawnLibC {
    int posix_spawn_file_actions_init(@uintptr_t long actions);

    int posix_spawn_file_actions_destroy(@uintptr_t long actions);

    int posix_spawn_file_actions_adddup2(@uintptr_t long actions, int fd, int newFd);

    int posix_spawn_file_actions_addclose(@uintptr_t long actions, int fd);

    int posix_spawn_file_actions_addchdir_np(@uintptr_t long actions, @uintptr_t long path);

    int posix_spawn_file_actions_addclosefrom_np(@uintptr_t long actions, int from);

    /** macOS 10.7+: keeps {@code fd} open across exec under {@code POSIX_SPAWN_CLOEXEC_DEFAULT}. */
    int posix_spawn_file_actions_addinherit_np(@uintptr_t long actions, int fd);

    int posix_spawnattr_init(@uintptr_t long attr);

    int posix_spawnattr_destroy(@uintptr_t long attr);

    int posix_spawnattr_setflags(@uintptr_t long attr, short flags);

    int posix_spawnattr_setsigmask(@uintptr_t long attr, @uintptr_t long sigset);

    int posix_spawnattr_setsigdefault(@uintptr_t long attr, @uintptr_t long sigset);

    int sigemptyset(@uintptr_t long sigset);

    int sigfillset(@uintptr_t long sigset);

    /**
     * {@code int posix_spawnp(pid_t *pid, ...)}. The pid comes back in an {@code int[]}: with six
     * {@code long} arguments JNR's all-integer fast path passed a wrong sixth argument here
     * (jnr-ffi 2.2.17, x86-64: execve saw a garbage envp), so one argument is an array.
     *
     * <p>{@code int posix_spawnp(pid_t *pid, const char *file, actions, attr, char *const argv[], char *const envp[])}. */
    int posix_spawnp(@Out int[] pid, @uintptr_t long file, @uintptr_t long actions, @uintptr_t long attr,
                     @uintptr_t long argv, @uintptr_t long envp);

    /** {@code pid_t waitpid(pid_t pid, int *status, int options)}: always one pid, never -1. */
    int waitpid(int pid, @uintptr_t long status, int options);

    /** {@code int waitid(idtype_t, id_t, siginfo_t *, int options)}; used with WNOWAIT only. */
    int waitid(int idType, int id, @uintptr_t long info, int options);

    int kill(int pid, int signal);

    int pipe2(@Out int[] fds, int flags);

    /** {@code int pipe(int fds[2])}, where there is no pipe2 (macOS). */
    int pipe(@Out int[] fds);

    @Variadic(fixedCount = 2)
    int fcntl(int fd, int cmd, int arg);

    /** {@code int open(const char *path, int flags, mode_t mode)}. */
    @Variadic(fixedCount = 2)
    int open(@uintptr_t long path, int flags, int mode);

    int close(int fd);

    @ssize_t long read(int fd, @uintptr_t long buf, @size_t long count);

    @ssize_t long write(int fd, @uintptr_t long buf, @size_t long count);

    String strerror(int errnum);
}
