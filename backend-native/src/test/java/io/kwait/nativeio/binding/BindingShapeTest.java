package io.kwait.nativeio.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * jnr-ffi 2.2.17 on x86-64 passes a wrong sixth argument to a function whose Java signature has
 * six primitive integer parameters (its all-integer fast path; jnr/jnr-ffi#181, seen here
 * with posix_spawnp's envp and, in a C probe, with kevent's int/long/int/long/int/long shape:
 * the callee saw the same garbage word whatever was passed). One non-primitive parameter (an array,
 * a {@code jnr.ffi.Pointer}) takes the call off that path, so no binding may declare such a
 * signature.
 */
class BindingShapeTest {

    @Test
    void noBindingHasSixPrimitiveIntegerParameters() {
        List<String> bad = new ArrayList<>();
        for (Class<?> binding : List.of(LibC.class, SpawnLibC.class)) {
            for (Method m : binding.getDeclaredMethods()) {
                Class<?>[] p = m.getParameterTypes();
                if (p.length != 6) continue; // the fast path takes up to six arguments; seven go the general way
                boolean allPrimitive = true;
                for (Class<?> t : p) allPrimitive &= t.isPrimitive();
                if (allPrimitive) bad.add(binding.getSimpleName() + "." + m.getName());
            }
        }
        assertEquals(List.of(), bad, "six primitive parameters: JNR would corrupt the sixth; make one a Pointer or an array");
    }
}
