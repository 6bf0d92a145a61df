package io.kwait.nativeio;

import io.kwait.nativeio.binding.LibC;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.Runtime;

/**
 * Loads {@link LibC} once per JVM, lazily, and keeps why it failed if it did. Never throws from
 * {@link #reason()}, so availability probes can ask it.
 *
 * <p>Before loading, sets {@code jffi.unsafe.disabled=true} unless the application chose a value:
 * jffi otherwise does its own memory access through {@code sun.misc.Unsafe}, which JDK 24+ warns
 * about on the console (JEP 498). kwait reads and writes native memory through direct
 * {@code ByteBuffer}s and passes plain addresses, so jffi's slower JNI path is taken only while
 * JNR builds its stubs, once.
 */
public final class LibCRuntime {
    private LibCRuntime() {}

    private static final class Holder {
        static final LibC LIBC;
        static final Runtime RUNTIME;
        static final String REASON;

        static {
            LibC libc = null;
            Runtime runtime = null;
            String reason = null;
            try {
                if (System.getProperty("jffi.unsafe.disabled") == null) System.setProperty("jffi.unsafe.disabled", "true");
                String name = Platform.getNativePlatform().getStandardCLibraryName();
                libc = LibraryLoader.create(LibC.class).map("ioctlFixedArity", "ioctl").load(name);
                runtime = Runtime.getRuntime(libc);
            } catch (Throwable t) { // LinkageError from jffi's JNI stub, SecurityException, anything: report, never throw
                libc = null;
                reason = explain(t);
            }
            LIBC = libc;
            RUNTIME = runtime;
            REASON = reason;
        }
    }

    /**
     * Names the way out of a failed load. The usual failure on the module path is ASM: jnr-ffi
     * generates its stubs with it, but as an automatic module it cannot {@code require} it, and
     * nothing else does, so module org.objectweb.asm is not resolved unless the JVM is told to.
     */
    static String explain(Throwable t) {
        boolean modulePath = LibCRuntime.class.getModule().isNamed();
        if (mentions(t, "org/objectweb/asm") || mentions(t, "org.objectweb.asm")) {
            return modulePath
                    ? "JNR cannot load ASM (" + t + "): on the module path nothing requires module org.objectweb.asm"
                            + " (jnr-ffi is an automatic module); run the JVM with --add-modules org.objectweb.asm"
                    : "JNR cannot load ASM (" + t + "): put org.ow2.asm:asm, a dependency of jnr-ffi, on the class path";
        }
        return "JNR could not bind the C library (" + t + "); usual causes: jffi cannot extract its native stub"
                + " (java.io.tmpdir not writable; or set -Djffi.boot.library.path)"
                + (modulePath ? ", or a module layer that hides io.kwait.nativeio from JNR's generated classes" : "");
    }

    private static boolean mentions(Throwable t, String text) {
        for (Throwable e = t; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (String.valueOf(e.getMessage()).contains(text)) return true;
        }
        return false;
    }

    /** Why the C library cannot be used, or null when it can. */
    public static String reason() {
        return Holder.REASON;
    }

    /**
     * The binding.
     *
     * @throws IllegalStateException it could not be loaded; the message says why
     */
    public static LibC libc() {
        LibC libc = Holder.LIBC;
        if (libc == null) throw new IllegalStateException(Holder.REASON);
        return libc;
    }

    /** {@code errno} of the last call on this thread; read it right after the call that failed. */
    public static int errno() {
        return Holder.RUNTIME.getLastError();
    }

    /** {@code "Bad file descriptor (errno 9)"}: strerror and the number, for messages. */
    public static String describe(int errno) {
        String text = null;
        try {
            text = libc().strerror(errno);
        } catch (RuntimeException | LinkageError ignored) {
            // a message without the text is still a message
        }
        return (text == null ? "error" : text) + " (errno " + errno + ")";
    }
}
