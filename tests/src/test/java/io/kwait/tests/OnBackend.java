package io.kwait.tests;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the backend a binding class runs the conformance suite on: the {@code @Nested} subclasses
 * of the abstract {@code *Conformance} classes inside it take their {@link ConformanceBase#backend()}
 * from here (see {@code io.kwait.tests.backends}).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface OnBackend {
    /** The backend's name, as {@code Kernel.open(name)} takes it, e.g. {@code "select"}. */
    String value();
}
