package io.kwait.core;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Access to {@code jdk.internal.vm.Continuation}, the one-shot delimited continuation under
 * virtual threads: a switch costs about 90 ns here against 300–700 ns for a virtual-thread
 * handoff. It is a JDK internal, so it is used only when the JVM exports it to kwait
 * ({@code --add-exports java.base/jdk.internal.vm=ALL-UNNAMED}, or {@code =io.kwait} on the module
 * path); otherwise the scheduler uses virtual threads. Reached through method handles because
 * {@code javac --release} cannot compile against a non-exported package.
 */
final class Continuations {
    /** Why continuations cannot be used, or null when they can. */
    static final String UNAVAILABLE_REASON;
    private static final MethodHandle NEW, RUN, YIELD, IS_DONE;
    private static final Object SCOPE;

    static {
        String reason = null;
        MethodHandle n = null, r = null, y = null, d = null;
        Object scope = null;
        try {
            if (!Object.class.getModule().isExported("jdk.internal.vm", Continuations.class.getModule())) {
                reason = "jdk.internal.vm is not exported to kwait; add --add-exports java.base/jdk.internal.vm=ALL-UNNAMED "
                        + "(or =io.kwait on the module path)";
            } else {
                MethodHandles.Lookup l = MethodHandles.lookup(); // publicLookup cannot see a qualified export
                Class<?> scopeClass = Class.forName("jdk.internal.vm.ContinuationScope");
                Class<?> contClass = Class.forName("jdk.internal.vm.Continuation");
                scope = l.findConstructor(scopeClass, MethodType.methodType(void.class, String.class)).invoke("kwait");
                n = l.findConstructor(contClass, MethodType.methodType(void.class, scopeClass, Runnable.class))
                        .asType(MethodType.methodType(Object.class, Object.class, Runnable.class));
                r = l.findVirtual(contClass, "run", MethodType.methodType(void.class))
                        .asType(MethodType.methodType(void.class, Object.class));
                y = l.findStatic(contClass, "yield", MethodType.methodType(boolean.class, scopeClass))
                        .asType(MethodType.methodType(boolean.class, Object.class));
                d = l.findVirtual(contClass, "isDone", MethodType.methodType(boolean.class))
                        .asType(MethodType.methodType(boolean.class, Object.class));
            }
        } catch (Throwable e) {
            reason = "jdk.internal.vm.Continuation is not usable on this JVM: " + e;
        }
        UNAVAILABLE_REASON = reason;
        NEW = n;
        RUN = r;
        YIELD = y;
        IS_DONE = d;
        SCOPE = scope;
    }

    private Continuations() {}

    static Object create(Runnable body) {
        try {
            return NEW.invokeExact(SCOPE, body);
        } catch (Throwable e) {
            throw new IllegalStateException("cannot create a continuation", e);
        }
    }

    /** Runs {@code cont} until it yields or ends. */
    static void run(Object cont) {
        try {
            RUN.invokeExact(cont);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Suspends the running continuation; returns when it is run again. */
    static void yieldNow() {
        boolean ok;
        try {
            ok = (boolean) YIELD.invokeExact(SCOPE);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        if (!ok) {
            throw new IllegalStateException("a kwait task could not be suspended (its stack is pinned by a native frame "
                    + "or, before JDK 24, a held monitor); do not wait inside synchronized blocks or native callbacks");
        }
    }

    static boolean isDone(Object cont) {
        try {
            return (boolean) IS_DONE.invokeExact(cont);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
