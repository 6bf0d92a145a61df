package io.kwait.spi;

/**
 * Bit sets exchanged between the core and a {@link Backend}: what the core wants to hear about
 * ({@code READ}, {@code WRITE}, {@code EXIT}) and the flags a backend reports with a readiness
 * ({@code EOF}, {@code ERROR}, {@code EXIT_STATUS}).
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

    /** Reported flag: the peer closed its end (hang-up / end of stream) where the OS tells. */
    public static final int FLAG_EOF = 1;
    /** Reported flag: the source is in error; the {@code error} argument says why. */
    public static final int FLAG_ERROR = 2;
    /** Reported flag with {@link #EXIT}: {@code data} holds the exit status the OS gave. */
    public static final int FLAG_EXIT_STATUS = 4;

    private Interest() {}

    /** Renders a bit set for messages, e.g. {@code "READ|WRITE"}. */
    public static String toString(int ops) {
        if (ops == 0) return "NONE";
        StringBuilder sb = new StringBuilder();
        if ((ops & READ) != 0) sb.append("READ|");
        if ((ops & WRITE) != 0) sb.append("WRITE|");
        if ((ops & EXIT) != 0) sb.append("EXIT|");
        int rest = ops & ~(READ | WRITE | EXIT);
        if (rest != 0) sb.append("0x").append(Integer.toHexString(rest)).append('|');
        return sb.substring(0, sb.length() - 1);
    }
}
