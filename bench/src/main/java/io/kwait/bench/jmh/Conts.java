package io.kwait.bench.jmh;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * {@code jdk.internal.vm.Continuation}, reached by reflection so the code compiles with
 * {@code --release 21}; usable only when the JVM runs with
 * {@code --add-exports java.base/jdk.internal.vm=ALL-UNNAMED}.
 */
public final class Conts {
    private Conts() {}

    static final MethodHandle NEW_SCOPE, NEW_CONT, RUN, YIELD;
    static final Throwable UNAVAILABLE;

    static {
        MethodHandle s = null, c = null, r = null, y = null;
        Throwable why = null;
        try {
            Class<?> scope = Class.forName("jdk.internal.vm.ContinuationScope");
            Class<?> cont = Class.forName("jdk.internal.vm.Continuation");
            MethodHandles.Lookup l = MethodHandles.lookup();
            s = l.findConstructor(scope, MethodType.methodType(void.class, String.class)).asType(MethodType.methodType(Object.class, String.class));
            c = l.findConstructor(cont, MethodType.methodType(void.class, scope, Runnable.class))
                    .asType(MethodType.methodType(Object.class, Object.class, Runnable.class));
            r = l.findVirtual(cont, "run", MethodType.methodType(void.class)).asType(MethodType.methodType(void.class, Object.class));
            y = l.findStatic(cont, "yield", MethodType.methodType(boolean.class, scope)).asType(MethodType.methodType(boolean.class, Object.class));
        } catch (Throwable e) {
            why = e;
        }
        NEW_SCOPE = s;
        NEW_CONT = c;
        RUN = r;
        YIELD = y;
        UNAVAILABLE = why;
    }

    /** Whether this JVM lets us use Continuation, and if not, why. */
    public static String unavailableReason() {
        if (UNAVAILABLE != null) {
            return "jdk.internal.vm.Continuation not accessible (" + UNAVAILABLE.getClass().getSimpleName() + ": " + UNAVAILABLE.getMessage()
                    + "); run with --add-exports java.base/jdk.internal.vm=ALL-UNNAMED";
        }
        return null;
    }
}
