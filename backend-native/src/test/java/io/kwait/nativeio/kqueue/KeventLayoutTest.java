package io.kwait.nativeio.kqueue;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every layout writes each field at its documented offset and width and
 * reads back what it wrote; neighbours and padding stay untouched or zero.
 */
class KeventLayoutTest {

    private static final long IDENT = 0x0102_0304_0506_0708L;
    private static final long DATA = -0x1122_3344_5566_7788L;
    private static final long UDATA = 0x7EDC_BA98_7654_3210L;
    private static final int FLAGS = 0xC071; // EV_EOF | EV_ERROR | EV_RECEIPT | EV_ONESHOT | EV_ADD: high bit set
    private static final int FFLAGS = 0x8100_0001;

    private static ByteBuffer buffer(KeventLayout l, int count) {
        ByteBuffer b = ByteBuffer.allocate(l.size() * count).order(ByteOrder.nativeOrder());
        for (int i = 0; i < b.capacity(); i++) b.put(i, (byte) 0x5A); // garbage the writer must overwrite
        return b;
    }

    /** Writes entry 1 of 3 and checks the raw bytes at the documented offsets. */
    private static void roundTrip(KeventLayout l, int size, int filterOff, int filterWidth, int flagsOff, int flagsWidth,
                                  int fflagsOff, int dataOff, int udataOff, int extOff, int extCount) {
        assertEquals(size, l.size(), l + ": size");
        ByteBuffer b = buffer(l, 3);
        int filter = filterWidth == 2 ? -11 : 8;
        l.put(b, 1, IDENT, filter, FLAGS, FFLAGS, DATA, UDATA);
        int base = size;
        assertEquals(IDENT, b.getLong(base), l + ": ident at 0");
        if (filterWidth == 2) assertEquals((short) filter, b.getShort(base + filterOff), l + ": filter");
        else assertEquals(filter, b.getInt(base + filterOff), l + ": filter");
        if (flagsWidth == 2) assertEquals((short) FLAGS, b.getShort(base + flagsOff), l + ": flags");
        else assertEquals(FLAGS, b.getInt(base + flagsOff), l + ": flags");
        assertEquals(FFLAGS, b.getInt(base + fflagsOff), l + ": fflags");
        assertEquals(DATA, b.getLong(base + dataOff), l + ": data");
        assertEquals(UDATA, b.getLong(base + udataOff), l + ": udata");
        for (int k = 0; k < extCount; k++) {
            assertEquals(0L, b.getLong(base + extOff + 8 * k), l + ": ext[" + k + "] zeroed");
            assertEquals(0L, l.ext(b, 1, k));
        }
        // padding (NetBSD: 20..24) is zeroed too
        if (l.dataOffset() - (l.fflagsOffset() + 4) > 0) assertEquals(0, b.getInt(base + l.fflagsOffset() + 4), l + ": padding");
        // decode
        assertEquals(IDENT, l.ident(b, 1));
        assertEquals(filter, l.filter(b, 1));
        assertEquals(FLAGS, l.flags(b, 1), l + ": flags are unsigned");
        assertEquals(FFLAGS, l.fflags(b, 1));
        assertEquals(DATA, l.data(b, 1));
        assertEquals(UDATA, l.udata(b, 1));
        // the neighbours were not touched
        assertEquals((byte) 0x5A, b.get(size - 1), l + ": entry 0 untouched");
        assertEquals((byte) 0x5A, b.get(2 * size), l + ": entry 2 untouched");
        // flags can be rewritten alone
        l.setFlags(b, 1, 0x0041);
        assertEquals(0x0041, l.flags(b, 1));
        assertEquals(filter, l.filter(b, 1));
        assertEquals(FFLAGS, l.fflags(b, 1));
    }

    @Test
    void macosIs32BytesWithTheFieldsOfStructKevent() {
        roundTrip(KeventLayout.MACOS, 32, 8, 2, 10, 2, 12, 16, 24, -1, 0);
    }

    @Test
    void freebsd12Is64BytesWithInt64DataAndExt4() {
        roundTrip(KeventLayout.FREEBSD_12, 64, 8, 2, 10, 2, 12, 16, 24, 32, 4);
    }

    @Test
    void freebsd11Is32Bytes() {
        roundTrip(KeventLayout.FREEBSD_11, 32, 8, 2, 10, 2, 12, 16, 24, -1, 0);
    }

    @Test
    void openbsdIs32Bytes() {
        roundTrip(KeventLayout.OPENBSD, 32, 8, 2, 10, 2, 12, 16, 24, -1, 0);
    }

    @Test
    void netbsdHasUint32FilterAndFlags() {
        roundTrip(KeventLayout.NETBSD_10, 40, 8, 4, 12, 4, 16, 24, 32, -1, 0);
        roundTrip(KeventLayout.NETBSD_11, 72, 8, 4, 12, 4, 16, 24, 32, 40, 4);
    }

    @Test
    void filterIsSignExtendedFromShort() {
        ByteBuffer b = buffer(KeventLayout.MACOS, 1);
        KeventLayout.MACOS.put(b, 0, 3, -10, 0, 0, 0, 0);
        assertEquals(-10, KeventLayout.MACOS.filter(b, 0));
        assertEquals((short) 0xFFF6, b.getShort(8));
    }

    @Test
    void timespecIsSecondsThenNanoseconds() {
        ByteBuffer b = ByteBuffer.allocate(KeventLayout.TIMESPEC_SIZE).order(ByteOrder.nativeOrder());
        KeventLayout.putTimespec(b, 0, 3_000_000_007L);
        assertEquals(3L, b.getLong(0));
        assertEquals(7L, b.getLong(8));
    }

    @Test
    void impossibleLayoutsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new KeventLayout("x", 32, 8, 8, 3, 10, 2, 12, 16, 8, 24, 8, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> new KeventLayout("x", 32, 8, 8, 2, 10, 2, 12, 16, 8, 24, 8, 32, 4));
        assertThrows(IllegalArgumentException.class, () -> new KeventLayout("x", 36, 8, 8, 2, 10, 2, 12, 16, 8, 24, 8, -1, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> KeventLayout.MACOS.ext(buffer(KeventLayout.MACOS, 1), 0, 0));
    }
}
