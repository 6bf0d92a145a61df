/**
 * The JNR bindings of the C library ({@link io.kwait.nativeio.binding.LibC}, and
 * {@link io.kwait.nativeio.binding.SpawnLibC} for posix_spawn), alone in their package:
 * JNR generates the implementation of a binding interface at run time in a class loader of its
 * own, whose unnamed module must be able to read the interface, so this package is exported to
 * everyone. Nothing else is here; the rest of {@code io.kwait.nativeio} is internal.
 */
package io.kwait.nativeio.binding;
