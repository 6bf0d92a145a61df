package io.kwait.nativeio.epoll;

import java.util.Locale;

/**
 * The layout of {@code struct epoll_event { uint32_t events; uint64_t data; }}. The kernel header
 * declares it {@code __attribute__((packed))} on x86-64 only, to match the 32-bit x86 layout: there
 * it is 12 bytes with {@code data} at offset 4. Every other architecture aligns the 64-bit
 * {@code data} naturally: 16 bytes, {@code data} at 8. Derived from {@code os.arch}, never from one
 * constant: the wrong one corrupts every second event.
 *
 * @param size       {@code sizeof(struct epoll_event)}
 * @param dataOffset {@code offsetof(struct epoll_event, data)}; {@code events} is at 0
 */
public record EpollEventLayout(int size, int dataOffset) {
    /** x86-64 and 32-bit x86. */
    public static final EpollEventLayout PACKED = new EpollEventLayout(12, 4);
    /** aarch64, riscv64 and every other architecture. */
    public static final EpollEventLayout NATURAL = new EpollEventLayout(16, 8);

    /** {@code offsetof(struct epoll_event, events)}. */
    public static final int EVENTS_OFFSET = 0;

    /** The layout for an {@code os.arch} value. */
    public static EpollEventLayout forArch(String osArch) {
        return switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64", "x86", "i386", "i486", "i586", "i686" -> PACKED;
            default -> NATURAL;
        };
    }

    /** The layout for this JVM's architecture. */
    public static EpollEventLayout current() {
        return forArch(System.getProperty("os.arch"));
    }
}
