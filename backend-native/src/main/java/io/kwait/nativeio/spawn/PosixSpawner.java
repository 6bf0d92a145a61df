/*
 * Facts about starting a child from a JVM that shape this file. Sources: POSIX posix_spawn(3),
 * glibc's posix/spawni.c (sysdeps/unix/sysv/linux/spawni.c) and NEWS, the Linux man pages pipe(2),
 * waitpid(2), signal(7); the JDK's ProcessImpl/ProcessHandleImpl; HotSpot's signals_posix.cpp;
 * native-facts.md §2.2, §4.2 and peers.md §1.3, §2 in the project's research notes.
 *
 * 1. No Java in the child. A fork()ed JVM child may run no Java code (no JNI, no JNR: locks held
 *    by other threads stay held), and the JDK's own ProcessImpl.forkAndExec is an internal whose
 *    launch modes change (VFORK is going away; NuProcess#164). posix_spawnp does fork+exec in C:
 *    glibc >= 2.24 uses clone(CLONE_VM|CLONE_VFORK) and reports the exec's errno as its return
 *    value (ENOENT, EACCES ...) after reaping the failed child itself, so a failed start leaves no
 *    zombie and the error names the cause, like ProcessBuilder.start's "error=2, No such file".
 *
 * 2. Only 0, 1, 2 cross exec. The JDK opens many fds without O_CLOEXEC (files, sockets: it closes
 *    every fd in its own children). macOS has POSIX_SPAWN_CLOEXEC_DEFAULT (every fd without a file
 *    action closes at exec; an inherited 0, 1, 2 gets posix_spawn_file_actions_addinherit_np).
 *    Linux and FreeBSD have not, so the file actions end with posix_spawn_file_actions_addclosefrom_np(3)
 *    (glibc 2.34, FreeBSD 13.1); without it, with one addclose per fd listed in /proc/self/fd
 *    (/dev/fd on FreeBSD; glibc ignores EBADF for those, so an fd closed meanwhile is harmless; one
 *    opened meanwhile by another thread without O_CLOEXEC could leak into the child: the fallback is
 *    documented as such). The numbers of each OS are data ({@link SpawnPlatform}). kwait's own fds are O_CLOEXEC
 *    anyway: pipes from pipe2(O_CLOEXEC), redirect files opened with O_CLOEXEC, the backends' epoll,
 *    eventfd and pidfds.
 *
 * 3. The pipes. pipe2(O_CLOEXEC) (macOS has no pipe2: pipe, then FD_CLOEXEC on both ends); the parent's end is then made O_NONBLOCK with fcntl, the child's
 *    end stays blocking (programs expect blocking stdio) and becomes 0, 1 or 2 by adddup2, which
 *    clears close-on-exec on the new number. The parent closes the child's ends right after the
 *    spawn, so the child's exit (or close) is end of file for us.
 *
 * 4. Working directory: posix_spawn_file_actions_addchdir_np (glibc 2.29, macOS 10.15, FreeBSD 13.1). Where it is missing,
 *    spawn() throws UnsupportedOperationException and the core starts that child through
 *    ProcessBuilder (same semantics, a relay thread per stream); -Dkwait.spawn.addchdir=false
 *    pretends it is missing, to test that path.
 *
 * 5. Signals. The child inherits the spawning thread's signal mask, and HotSpot blocks some signals
 *    on its threads (SIGQUIT on all but one); ignored dispositions survive exec. So the attributes
 *    set an empty mask (POSIX_SPAWN_SETSIGMASK) and every signal to its default
 *    (POSIX_SPAWN_SETSIGDEF with a full set; glibc skips what cannot be reset): the child starts
 *    as from a shell. In the parent, HotSpot installs a handler for SIGPIPE that ignores it, so a
 *    write to a pipe whose reader is gone returns EPIPE ("Broken pipe" IOException) instead of
 *    killing the JVM.
 *
 * 6. Reaping is the child's ({@link NativeChild}): waitpid(pid), never waitpid(-1), so the JDK's
 *    reaper threads keep their own children and we keep ours.
 *
 * 7. PATH: posix_spawnp searches the JVM's PATH, not the ProcessBuilder's environment, as
 *    ProcessBuilder.start does. The command line and file names are encoded in sun.jnu.encoding.
 */
package io.kwait.nativeio.spawn;

import io.kwait.nativeio.binding.SpawnLibC;
import io.kwait.nativeio.Memory;
import io.kwait.spi.SpawnedProcess;
import io.kwait.spi.Spawner;
import java.io.File;
import java.io.IOException;
import java.lang.ref.Reference;
import java.lang.ProcessBuilder.Redirect;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts children with {@code posix_spawnp} through JNR, their {@code PIPE}s as non-blocking
 * channels the native backends watch by fd ({@link PipeSource}, {@link PipeSink}), with no thread.
 * Shared by the epoll and kqueue backends ({@code Backend.spawner()}); available on Linux with
 * glibc, and on macOS and FreeBSD with their numbers ({@link SpawnPlatform}, not verified there);
 * {@link #reason()} says why not elsewhere. Thread-safe.
 */
public final class PosixSpawner implements Spawner {

    /** System property: {@code false} acts as if the C library had no {@code addchdir_np} (fact 4). */
    public static final String ADDCHDIR_PROPERTY = "kwait.spawn.addchdir";

    private static final PosixSpawner INSTANCE = new PosixSpawner();

    private static final class Probe {
        static final boolean HAS_CHDIR, HAS_CLOSEFROM;

        static {
            boolean chdir = false, closefrom = false;
            if (Posix.reason() == null) {
                SpawnLibC c = Posix.libc();
                Memory fa = new Memory(Posix.ACTIONS_SIZE);
                Memory root = Posix.cString("/");
                c.posix_spawn_file_actions_init(fa.address);
                try {
                    chdir = c.posix_spawn_file_actions_addchdir_np(fa.address, root.address) == 0;
                } catch (UnsatisfiedLinkError missing) {
                    chdir = false;
                }
                try {
                    closefrom = c.posix_spawn_file_actions_addclosefrom_np(fa.address, 3) == 0;
                } catch (UnsatisfiedLinkError missing) {
                    closefrom = false;
                }
                c.posix_spawn_file_actions_destroy(fa.address);
            }
            HAS_CHDIR = chdir;
            HAS_CLOSEFROM = closefrom;
        }
    }

    private PosixSpawner() {}

    /** The spawner, or null when {@link #reason()} is not. */
    public static PosixSpawner instanceOrNull() {
        return Posix.reason() == null ? INSTANCE : null;
    }

    /** Why children cannot be spawned natively here (OS, architecture, JNR, JDK internals), or null. */
    public static String reason() {
        return Posix.reason();
    }

    @Override
    public SpawnedProcess spawn(ProcessBuilder builder) throws IOException {
        List<String> cmd = List.copyOf(builder.command());
        if (cmd.isEmpty()) throw new IOException("Cannot run program: the command is empty");
        String program = cmd.get(0);
        File dir = builder.directory();
        boolean chdirOk = Probe.HAS_CHDIR && !"false".equalsIgnoreCase(System.getProperty(ADDCHDIR_PROPERTY));
        if (dir != null && !chdirOk) {
            throw new UnsupportedOperationException("this C library has no posix_spawn_file_actions_addchdir_np"
                    + " (glibc 2.29+, macOS 10.15+, FreeBSD 13.1+), needed for ProcessBuilder.directory()");
        }
        String prefix = "Cannot run program \"" + program + "\"" + (dir == null ? "" : " (in directory \"" + dir + "\")");
        SpawnLibC c = Posix.libc();
        List<Integer> childSide = new ArrayList<>(3);  // closed in the parent after the spawn, whatever happens
        List<Integer> parentSide = new ArrayList<>(3); // closed only if the spawn fails
        List<Memory> keep = new ArrayList<>();
        Memory fa = new Memory(Posix.ACTIONS_SIZE);
        Memory attr = new Memory(Posix.ATTR_SIZE);
        boolean faInit = false, attrInit = false, ok = false;
        try {
            int[] in = stream(builder.redirectInput(), 0, prefix, childSide, parentSide);
            int[] out = stream(builder.redirectOutput(), 1, prefix, childSide, parentSide);
            boolean merge = builder.redirectErrorStream();
            int[] err = merge ? new int[] {-1, -1} : stream(builder.redirectError(), 2, prefix, childSide, parentSide);

            check(c.posix_spawn_file_actions_init(fa.address), "posix_spawn_file_actions_init", prefix);
            faInit = true;
            if (in[0] >= 0) check(c.posix_spawn_file_actions_adddup2(fa.address, in[0], 0), "adddup2", prefix);
            if (out[0] >= 0) check(c.posix_spawn_file_actions_adddup2(fa.address, out[0], 1), "adddup2", prefix);
            if (merge) check(c.posix_spawn_file_actions_adddup2(fa.address, 1, 2), "adddup2", prefix);
            else if (err[0] >= 0) check(c.posix_spawn_file_actions_adddup2(fa.address, err[0], 2), "adddup2", prefix);
            if (dir != null) {
                Memory d = Posix.cString(dir.getPath());
                keep.add(d);
                check(c.posix_spawn_file_actions_addchdir_np(fa.address, d.address), "addchdir_np", prefix);
            }
            boolean cloexecDefault = Posix.POSIX_SPAWN_CLOEXEC_DEFAULT != 0;
            if (cloexecDefault) {
                // macOS: every fd without a file action closes at exec, so an inherited 0, 1, 2 needs one.
                if (in[0] < 0) check(c.posix_spawn_file_actions_addinherit_np(fa.address, 0), "addinherit_np", prefix);
                if (out[0] < 0) check(c.posix_spawn_file_actions_addinherit_np(fa.address, 1), "addinherit_np", prefix);
                if (!merge && err[0] < 0) check(c.posix_spawn_file_actions_addinherit_np(fa.address, 2), "addinherit_np", prefix);
            } else if (Probe.HAS_CLOSEFROM) {
                check(c.posix_spawn_file_actions_addclosefrom_np(fa.address, 3), "addclosefrom_np", prefix);
            } else {
                for (int fd : openFdsFrom3()) check(c.posix_spawn_file_actions_addclose(fa.address, fd), "addclose", prefix);
            }

            check(c.posix_spawnattr_init(attr.address), "posix_spawnattr_init", prefix);
            attrInit = true;
            Memory empty = new Memory(Posix.SIGSET_SIZE), full = new Memory(Posix.SIGSET_SIZE);
            keep.add(empty);
            keep.add(full);
            c.sigemptyset(empty.address);
            c.sigfillset(full.address);
            check(c.posix_spawnattr_setsigmask(attr.address, empty.address), "setsigmask", prefix);
            check(c.posix_spawnattr_setsigdefault(attr.address, full.address), "setsigdefault", prefix);
            short flags = (short) (Posix.POSIX_SPAWN_SETSIGMASK | Posix.POSIX_SPAWN_SETSIGDEF | (cloexecDefault ? Posix.POSIX_SPAWN_CLOEXEC_DEFAULT : 0));
            check(c.posix_spawnattr_setflags(attr.address, flags), "setflags", prefix);

            Memory file = Posix.cString(program);
            Memory argv = Posix.cStringArray(cmd, keep);
            List<String> env = new ArrayList<>();
            for (Map.Entry<String, String> e : builder.environment().entrySet()) env.add(e.getKey() + "=" + e.getValue());
            Memory envp = Posix.cStringArray(env, keep);
            keep.add(file);
            keep.add(argv);
            keep.add(envp);
            int[] pidOut = new int[1];
            int rc = c.posix_spawnp(pidOut, file.address, fa.address, attr.address, argv.address, envp.address);
            if (rc != 0) throw new IOException(prefix + ": " + Posix.describe(rc));
            int pid = pidOut[0];
            ok = true;
            return new NativeChild(pid,
                    in[1] >= 0 ? new PipeSink(in[1], "stdin of " + pid) : null,
                    out[1] >= 0 ? new PipeSource(out[1], "stdout of " + pid) : null,
                    err[1] >= 0 ? new PipeSource(err[1], "stderr of " + pid) : null);
        } catch (IllegalArgumentException nul) {
            throw new IOException(prefix + ": " + nul.getMessage(), nul);
        } finally {
            if (faInit) c.posix_spawn_file_actions_destroy(fa.address);
            if (attrInit) c.posix_spawnattr_destroy(attr.address);
            for (int fd : childSide) c.close(fd);
            if (!ok) for (int fd : parentSide) c.close(fd);
            // C saw only addresses: the buffers must outlive the calls, not just their last Java use.
            Reference.reachabilityFence(keep);
            Reference.reachabilityFence(fa);
            Reference.reachabilityFence(attr);
        }
    }

    /**
     * Sets up one standard stream: {@code {childFd, parentFd}}, -1 where there is none (INHERIT:
     * no action; a file: opened here, so a missing file is the parent's clear error).
     */
    private static int[] stream(Redirect r, int which, String prefix, List<Integer> childSide, List<Integer> parentSide)
            throws IOException {
        SpawnLibC c = Posix.libc();
        switch (r.type()) {
            case INHERIT -> { return new int[] {-1, -1}; }
            case PIPE -> {
                int[] fds = new int[2];
                if (Posix.PLATFORM.hasPipe2() ? c.pipe2(fds, Posix.O_CLOEXEC) < 0 : c.pipe(fds) < 0) {
                    throw new IOException(prefix + ": " + (Posix.PLATFORM.hasPipe2() ? "pipe2" : "pipe") + " failed: " + Posix.describe(Posix.errno()));
                }
                int childFd = which == 0 ? fds[0] : fds[1];
                int parentFd = which == 0 ? fds[1] : fds[0];
                childSide.add(childFd);
                parentSide.add(parentFd);
                if (!Posix.PLATFORM.hasPipe2()) {
                    // Fact 3: no pipe2 (macOS). Close-on-exec a moment later: a fork elsewhere in between
                    // could inherit the pair (the JDK's own children close every fd; ours get CLOEXEC_DEFAULT).
                    for (int fd : fds) {
                        if (c.fcntl(fd, Posix.F_SETFD, Posix.FD_CLOEXEC) < 0) {
                            throw new IOException(prefix + ": fcntl(F_SETFD) failed: " + Posix.describe(Posix.errno()));
                        }
                    }
                }
                PipeFd.setBlocking(parentFd, false);
                return new int[] {childFd, parentFd};
            }
            default -> {
                File f = r.file();
                int flags = switch (r.type()) {
                    case READ -> Posix.O_RDONLY;
                    case WRITE -> Posix.O_WRONLY | Posix.O_CREAT | Posix.O_TRUNC;
                    default -> Posix.O_WRONLY | Posix.O_CREAT | Posix.O_APPEND;
                };
                Memory path = Posix.cString(f.getPath());
                int fd = c.open(path.address, flags | Posix.O_CLOEXEC, 0666);
                if (fd < 0) {
                    String role = which == 0 ? "stdin" : which == 1 ? "stdout" : "stderr";
                    throw new IOException(prefix + ": cannot open " + f + " for its " + role + ": " + Posix.describe(Posix.errno()));
                }
                childSide.add(fd);
                return new int[] {fd, -1};
            }
        }
    }

    private static void check(int rc, String what, String prefix) throws IOException {
        if (rc != 0) throw new IOException(prefix + ": " + what + " failed: " + Posix.describe(rc));
    }

    /** Fact 2's fallback: the fds open now, from 3 up. */
    private static List<Integer> openFdsFrom3() {
        List<Integer> fds = new ArrayList<>();
        String[] names = new File(Posix.PLATFORM.fdDirectory()).list();
        if (names == null) return fds;
        for (String n : names) {
            try {
                int fd = Integer.parseInt(n);
                if (fd >= 3) fds.add(fd);
            } catch (NumberFormatException ignored) {
                // not an fd entry
            }
        }
        return fds;
    }
}
