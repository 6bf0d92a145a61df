package io.kwait.nativeio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Native memory for {@link io.kwait.nativeio.binding.LibC LibC} calls: a direct {@link ByteBuffer} in native byte order and its
 * address. Reads and writes go through the buffer (JIT intrinsics, no JNI, no
 * {@code sun.misc.Unsafe}); the address goes to C. Freed by the garbage collector with the
 * buffer, so an owner keeps a reference for as long as C may use the memory.
 */
public final class Memory {
    /** The memory, native byte order; use absolute get/put. */
    public final ByteBuffer bytes;
    /** Its address. */
    public final long address;

    /** Allocates {@code size} zeroed bytes. */
    public Memory(int size) {
        this.bytes = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
        this.address = NioInternals.addressOf(bytes);
    }

    /** The size in bytes. */
    public int size() {
        return bytes.capacity();
    }
}
