package io.kwait.spi;

/**
 * Flags a {@link Backend} reports with a readiness ({@link ReadySink#ready}'s {@code flags}):
 * a bit set of its own, apart from the {@link Interest} bits the core asks for.
 */
public final class ReadyFlags {
    /** The peer closed its end (hang-up / end of stream), where the OS tells. */
    public static final int EOF = 1;
    /** The source is in error; the {@code error} argument says why. */
    public static final int ERROR = 2;
    /** With {@link Interest#EXIT}: {@code data} holds the exit status the OS gave. */
    public static final int EXIT_STATUS = 4;

    private ReadyFlags() {}

    /** Renders a bit set for messages, e.g. {@code "EOF|ERROR"}. */
    public static String toString(int flags) {
        return Interest.render(flags, "EOF", "ERROR", "EXIT_STATUS");
    }
}
