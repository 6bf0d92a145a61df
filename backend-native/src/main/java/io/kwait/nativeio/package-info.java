/**
 * What the native backends share, internal to the module: the descriptor table
 * ({@link io.kwait.nativeio.DescriptorTable}, {@link io.kwait.nativeio.Descriptor},
 * {@link io.kwait.nativeio.Owner}), the {@link io.kwait.nativeio.Waker} base, native memory
 * ({@link io.kwait.nativeio.Memory}), loading the C library ({@link io.kwait.nativeio.LibCRuntime}),
 * the JDK internals for fd numbers ({@link io.kwait.nativeio.NioInternals}), blocking in a JDK
 * selector ({@link io.kwait.nativeio.SelectorBridge}), argument checks and timeout arithmetic.
 */
package io.kwait.nativeio;
