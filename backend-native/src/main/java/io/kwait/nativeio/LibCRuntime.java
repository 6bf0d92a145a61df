package io.kwait.nativeio;

import io.kwait.nativeio.binding.LibC;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.Runtime;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Loads {@link LibC} once per JVM, lazily, and keeps why it failed if it did. Never throws from
 * {@link #reason()}, so availability probes can ask it. {@link #load} binds another interface to
 * the C library the same way (spawn's {@code SpawnLibC}).
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
        static final Loaded<LibC> C = load(LibC.class, LibCRuntime::explain, "ioctlFixedArity", "ioctl");
    }

    /**
     * A JNR binding of the C library as {@link #load} made it: the library and its runtime, or
     * why there is none ({@code library} null, {@code reason} set).
     */
    public record Loaded<T>(T library, Runtime runtime, String reason) {
        /** No library, for {@code reason}. */
        public static <T> Loaded<T> refused(String reason) {
            return new Loaded<>(null, null, reason);
        }

        /** @throws IllegalStateException there is no library; the message says why */
        public T libraryOrThrow() {
            if (library == null) throw new IllegalStateException(reason);
            return library;
        }
    }

    /**
     * Binds {@code binding} to the standard C library, after the jffi setting above; never throws.
     *
     * @param explain what a failure to load means, for {@link Loaded#reason()}
     * @param renames pairs of a Java method name and the C symbol it binds
     */
    public static <T> Loaded<T> load(Class<T> binding, Function<Throwable, String> explain, String... renames) {
        try {
            if (System.getProperty("jffi.unsafe.disabled") == null) System.setProperty("jffi.unsafe.disabled", "true");
            LibraryLoader<T> loader = LibraryLoader.create(binding);
            for (int i = 0; i + 1 < renames.length; i += 2) loader.map(renames[i], renames[i + 1]);
            T library = loader.load(Platform.getNativePlatform().getStandardCLibraryName());
            return new Loaded<>(library, Runtime.getRuntime(library), null);
        } catch (Throwable t) { // LinkageError from jffi's JNI stub, SecurityException, anything: report, never throw
            return Loaded.refused(explain.apply(t));
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

    /**
     * The availability probe of a native backend, never throwing: the JDK internals first (before
     * anything loads JNR), then the C library, then {@code check}, the mechanism's own (null when it
     * works, else why not).
     *
     * @param mechanism for the message when a probe throws ({@code "epoll"})
     */
    public static String probe(String mechanism, Supplier<String> check) {
        try {
            String jdkReason = NioInternals.reason();
            if (jdkReason != null) return jdkReason;
            String libcReason = reason();
            if (libcReason != null) return libcReason;
            return check.get();
        } catch (RuntimeException | LinkageError e) {
            return "probing " + mechanism + " failed (" + e + "); use -Dkwait.backend=select";
        }
    }

    /** Why the C library cannot be used, or null when it can. */
    public static String reason() {
        return Holder.C.reason();
    }

    /**
     * The binding.
     *
     * @throws IllegalStateException it could not be loaded; the message says why
     */
    public static LibC libc() {
        return Holder.C.libraryOrThrow();
    }

    /** {@code errno} of the last call on this thread; read it right after the call that failed. */
    public static int errno() {
        return Holder.C.runtime().getLastError();
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
