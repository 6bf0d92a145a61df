package io.kwait.nativeio.kqueue;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The memory layout of one {@code struct kevent} on one OS (LP64: amd64 and arm64), as data: its
 * size and, per field, the offset and width in bytes. Every read and write of a kevent in kwait
 * goes through a layout, so the same backend code serves every OS, and the simulated kqueue reads
 * the change list and writes the event list in exactly the layout it simulates.
 *
 * <p>Fields are read and written at {@code index * size() + offset} in a buffer of native byte
 * order. Widths: {@code ident} and {@code udata} are pointer-sized (8); {@code filter} and
 * {@code flags} are 2 bytes everywhere except NetBSD (4: {@code uint32_t}); {@code filter} is
 * signed where it is a {@code short}; {@code flags} and {@code fflags} are unsigned bit sets,
 * returned as {@code int}; {@code data} is 8 bytes ({@code intptr_t} or {@code int64_t}). The
 * {@code ext} words (FreeBSD 12+, NetBSD 11+) are zeroed on write and never read: kwait uses none
 * of their filter-specific meanings.
 *
 * <p>Sources: each OS's {@code sys/event.h} (FreeBSD before and after 12, xnu, OpenBSD).
 *
 * @param name       for messages, e.g. {@code "FreeBSD >= 12"}
 * @param size       {@code sizeof(struct kevent)}
 * @param identWidth  width of {@code ident} (offset 0 everywhere)
 * @param filterOffset offset of {@code filter}
 * @param filterWidth  width of {@code filter}: 2 (signed short) or 4 (NetBSD's uint32_t)
 * @param flagsOffset  offset of {@code flags}
 * @param flagsWidth   width of {@code flags}: 2 or 4
 * @param fflagsOffset offset of {@code fflags} (always 4 bytes wide)
 * @param dataOffset   offset of {@code data}
 * @param dataWidth    width of {@code data}
 * @param udataOffset  offset of {@code udata}
 * @param udataWidth   width of {@code udata}
 * @param extOffset    offset of {@code ext[]}, or -1 when the struct has none
 * @param extCount     number of 8-byte {@code ext} words (0, 2 or 4)
 */
public record KeventLayout(String name, int size, int identWidth, int filterOffset, int filterWidth,
                           int flagsOffset, int flagsWidth, int fflagsOffset, int dataOffset, int dataWidth,
                           int udataOffset, int udataWidth, int extOffset, int extCount) {

    /** {@code offsetof(struct kevent, ident)} on every OS. */
    public static final int IDENT_OFFSET = 0;
    /** Width of {@code fflags} on every OS ({@code u_int} / {@code uint32_t}). */
    public static final int FFLAGS_WIDTH = 4;

    /** {@code sizeof(struct timespec)} on every supported (LP64) OS: {@code time_t tv_sec; long tv_nsec;}. */
    public static final int TIMESPEC_SIZE = 16;
    /** {@code offsetof(struct timespec, tv_sec)}. */
    public static final int TIMESPEC_SEC_OFFSET = 0;
    /** {@code offsetof(struct timespec, tv_nsec)}. */
    public static final int TIMESPEC_NSEC_OFFSET = 8;

    /** macOS {@code struct kevent} (not {@code kevent64_s}): 32 bytes; {@code #pragma pack(4)} changes nothing on LP64. */
    public static final KeventLayout MACOS = new KeventLayout("macOS", 32, 8, 8, 2, 10, 2, 12, 16, 8, 24, 8, -1, 0);
    /** FreeBSD 12 and later: 64 bytes, {@code int64_t data}, {@code uint64_t ext[4]}; the ABI {@code dlsym("kevent")} binds there. */
    public static final KeventLayout FREEBSD_12 = new KeventLayout("FreeBSD >= 12", 64, 8, 8, 2, 10, 2, 12, 16, 8, 24, 8, 32, 4);
    /** FreeBSD 11 and earlier ({@code freebsd11_kevent}): 32 bytes, {@code intptr_t data}, no {@code ext}. */
    public static final KeventLayout FREEBSD_11 = new KeventLayout("FreeBSD <= 11", 32, 8, 8, 2, 10, 2, 12, 16, 8, 24, 8, -1, 0);
    /** OpenBSD (event.h rev 1.74): 32 bytes, {@code int64_t data}; the same offsets as macOS. */
    public static final KeventLayout OPENBSD = new KeventLayout("OpenBSD", 32, 8, 8, 2, 10, 2, 12, 16, 8, 24, 8, -1, 0);
    /** NetBSD 10 and earlier (symbol {@code __kevent50}): 40 bytes, {@code uint32_t filter, flags}, padding at 20. */
    public static final KeventLayout NETBSD_10 = new KeventLayout("NetBSD <= 10", 40, 8, 8, 4, 12, 4, 16, 24, 8, 32, 8, -1, 0);
    /** NetBSD 11 and later (symbol {@code __kevent100}): the NetBSD 10 struct plus {@code uint64_t ext[4]}: 72 bytes. */
    public static final KeventLayout NETBSD_11 = new KeventLayout("NetBSD >= 11", 72, 8, 8, 4, 12, 4, 16, 24, 8, 32, 8, 40, 4);

    /** Every layout kwait knows, supported or not (see {@link KqueuePlatform} for which OS is supported). */
    public static final List<KeventLayout> ALL = List.of(MACOS, FREEBSD_12, FREEBSD_11, OPENBSD, NETBSD_10, NETBSD_11);

    public KeventLayout {
        checkWidth("ident", identWidth, 8);
        checkWidth("filter", filterWidth, 2, 4);
        checkWidth("flags", flagsWidth, 2, 4);
        checkWidth("data", dataWidth, 4, 8);
        checkWidth("udata", udataWidth, 8);
        if (size % 8 != 0) throw new IllegalArgumentException(name + ": size " + size + " is not a multiple of 8 (LP64)");
        if (extOffset < 0 ? extCount != 0 : extOffset + 8 * extCount > size) {
            throw new IllegalArgumentException(name + ": ext[" + extCount + "] at " + extOffset + " does not fit " + size + " bytes");
        }
        if (udataOffset + udataWidth > size || dataOffset + dataWidth > size) {
            throw new IllegalArgumentException(name + ": fields run past the struct size " + size);
        }
    }

    private static void checkWidth(String field, int width, int... allowed) {
        for (int a : allowed) if (a == width) return;
        throw new IllegalArgumentException("unsupported width " + width + " for kevent." + field);
    }

    /**
     * Writes kevent number {@code index} of the array in {@code b}: every field, {@code ext[]}
     * zeroed, padding zeroed.
     */
    public void put(ByteBuffer b, int index, long ident, int filter, int flags, int fflags, long data, long udata) {
        int base = index * size;
        for (int i = 0; i < size; i += 8) b.putLong(base + i, 0L);
        b.putLong(base + IDENT_OFFSET, ident);
        putSized(b, base + filterOffset, filterWidth, filter);
        putSized(b, base + flagsOffset, flagsWidth, flags);
        b.putInt(base + fflagsOffset, fflags);
        putSized(b, base + dataOffset, dataWidth, data);
        b.putLong(base + udataOffset, udata);
    }

    /** {@code ident} of kevent {@code index}. */
    public long ident(ByteBuffer b, int index) {
        return b.getLong(index * size + IDENT_OFFSET);
    }

    /** {@code filter} of kevent {@code index}: sign-extended from a {@code short}, or NetBSD's {@code uint32_t} as is. */
    public int filter(ByteBuffer b, int index) {
        return (int) getSized(b, index * size + filterOffset, filterWidth, false);
    }

    /** {@code flags} of kevent {@code index}, unsigned. */
    public int flags(ByteBuffer b, int index) {
        return (int) getSized(b, index * size + flagsOffset, flagsWidth, true);
    }

    /** Overwrites {@code flags} of kevent {@code index}. */
    public void setFlags(ByteBuffer b, int index, int flags) {
        putSized(b, index * size + flagsOffset, flagsWidth, flags);
    }

    /** {@code fflags} of kevent {@code index} (a bit set; compare bits, not signs). */
    public int fflags(ByteBuffer b, int index) {
        return b.getInt(index * size + fflagsOffset);
    }

    /** {@code data} of kevent {@code index}, sign-extended. */
    public long data(ByteBuffer b, int index) {
        return getSized(b, index * size + dataOffset, dataWidth, false);
    }

    /** {@code udata} of kevent {@code index}. */
    public long udata(ByteBuffer b, int index) {
        return b.getLong(index * size + udataOffset);
    }

    /** {@code ext[k]} of kevent {@code index}. */
    public long ext(ByteBuffer b, int index, int k) {
        if (k < 0 || k >= extCount) throw new IndexOutOfBoundsException("ext[" + k + "] of " + name + " (it has " + extCount + ")");
        return b.getLong(index * size + extOffset + 8 * k);
    }

    /** A field of 2, 4 or 8 bytes; a 2-byte one sign-extended unless {@code unsigned}, a 4-byte one always. */
    private static long getSized(ByteBuffer b, int at, int width, boolean unsigned) {
        return switch (width) {
            case 2 -> unsigned ? Short.toUnsignedInt(b.getShort(at)) : b.getShort(at);
            case 4 -> b.getInt(at);
            default -> b.getLong(at);
        };
    }

    private static void putSized(ByteBuffer b, int at, int width, long value) {
        switch (width) {
            case 2 -> b.putShort(at, (short) value);
            case 4 -> b.putInt(at, (int) value);
            default -> b.putLong(at, value);
        }
    }

    /** Writes a {@code struct timespec} of {@code nanos} (at least 0) at {@code offset}. */
    public static void putTimespec(ByteBuffer b, int offset, long nanos) {
        b.putLong(offset + TIMESPEC_SEC_OFFSET, nanos / 1_000_000_000L);
        b.putLong(offset + TIMESPEC_NSEC_OFFSET, nanos % 1_000_000_000L);
    }

    @Override
    public String toString() {
        return "struct kevent (" + name + ", " + size + " bytes)";
    }
}
