package io.kwait.spi;

/**
 * The interest bits the core asks a {@link Backend} for ({@code READ}, {@code WRITE},
 * {@code EXIT}); a readiness reports the ready ones in the same bits. The flags a backend
 * reports with a readiness are another bit set, {@link ReadyFlags}.
 *
 * <p>Plain {@code int} constants rather than an {@code EnumSet} because they cross the poll loop
 * on every event and a backend maps them straight to its OS bits.
 */
public final class Interest {
    /** The source has bytes to read, a connection to accept, or reached end of stream. */
    public static final int READ = 1;
    /** The source can take bytes without blocking, or a pending connect completed. */
    public static final int WRITE = 2;
    /** A process source exited. */
    public static final int EXIT = 4;

    private Interest() {}

    /** Renders a bit set for messages, e.g. {@code "READ|WRITE"}. */
    public static String toString(int ops) {
        return render(ops, "READ", "WRITE", "EXIT");
    }

    /**
     * {@code bits} as the names of its set bits ({@code names[i]} for bit {@code 1 << i}) joined by
     * {@code |}, unnamed ones as one hex rest; {@code "NONE"} for 0. Also renders {@link ReadyFlags}.
     */
    static String render(int bits, String... names) {
        if (bits == 0) return "NONE";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < names.length; i++) if ((bits & (1 << i)) != 0) sb.append(names[i]).append('|');
        int rest = bits & ~((1 << names.length) - 1);
        if (rest != 0) sb.append("0x").append(Integer.toHexString(rest)).append('|');
        return sb.substring(0, sb.length() - 1);
    }
}
