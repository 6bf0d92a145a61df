package io.kwait.bench.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The HTTP/1.1 side every server of the scenario shares: an incremental request scanner (one per
 * connection) and the fixed response.
 *
 * <p>Facts that shape this file: a keep-alive client may send several requests in one segment
 * (pipelining) and a request may arrive split over several reads, so the scanner keeps its state
 * between reads and never needs the bytes again (a caller may reuse its read buffer at once).
 * Only {@code GET} without a body is served: the request line must be {@code GET target
 * HTTP/1.1}, headers run to the empty line and are not interpreted, a head over 8 KiB is refused.
 * Anything else is malformed: the server answers {@link #BAD} and closes.
 */
public final class Requests {
    /** The body of every answer. */
    public static final String BODY = "Hello, World!";

    /** The answer to every request. */
    public static final byte[] RESPONSE = ("HTTP/1.1 200 OK\r\nContent-Length: " + BODY.length()
            + "\r\nContent-Type: text/plain\r\n\r\n" + BODY).getBytes(StandardCharsets.US_ASCII);

    /** The answer to a malformed request, after which the server closes the connection. */
    public static final byte[] BAD = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    /** Pipelined answers written in one call at most (a client rarely pipelines more). */
    public static final int BATCH = 64;

    /** {@link #BATCH} copies of {@link #RESPONSE}, read-only and direct: slice what one write needs. */
    public static ByteBuffer responses() {
        ByteBuffer b = ByteBuffer.allocateDirect(RESPONSE.length * BATCH);
        for (int i = 0; i < BATCH; i++) b.put(RESPONSE);
        return b.flip().asReadOnlyBuffer();
    }

    static final int MAX_HEAD = 8192;
    private static final byte[] METHOD = "GET ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] VERSION = "HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int S_METHOD = 0, S_TARGET = 1, S_VERSION = 2, S_LINE = 3, S_FIELD = 4, S_FIELD_LF = 5, S_END_LF = 6;

    private int state = S_METHOD;
    /** Bytes matched of METHOD or VERSION, or of the target. */
    private int index;
    private int head;

    /**
     * Consumes the buffer's remaining bytes.
     *
     * @return the number of requests completed by them, or -1 when the stream is malformed (the
     *         requests completed before the fault are lost with it: the connection is closing)
     */
    public int feed(ByteBuffer in) {
        int done = 0;
        for (int i = in.position(), end = in.limit(); i < end; i++) {
            byte b = in.get(i);
            if (++head > MAX_HEAD) return -1;
            switch (state) {
                case S_METHOD -> {
                    if (b != METHOD[index]) return -1;
                    if (++index == METHOD.length) next(S_TARGET);
                }
                case S_TARGET -> {
                    if (b == ' ' && index > 0) next(S_VERSION);
                    else if (b <= ' ' || b == 127) return -1;
                    else index++;
                }
                case S_VERSION -> {
                    if (b != VERSION[index]) return -1;
                    if (++index == VERSION.length) next(S_LINE);
                }
                case S_LINE -> state = b == '\r' ? S_END_LF : S_FIELD;
                case S_FIELD -> {
                    if (b == '\r') state = S_FIELD_LF;
                    else if (b == '\n') return -1;
                }
                case S_FIELD_LF -> {
                    if (b != '\n') return -1;
                    state = S_LINE;
                }
                default -> { // S_END_LF: the empty line ends the head
                    if (b != '\n') return -1;
                    done++;
                    head = 0;
                    next(S_METHOD);
                }
            }
        }
        in.position(in.limit());
        return done;
    }

    private void next(int s) {
        state = s;
        index = 0;
    }
}
