package io.kwait.bench.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The correctness probe every server passes before wrk measures it, with what wrk never sends: a
 * request split over two writes with a pause between them, three requests pipelined in one write
 * whose last one is cut in the middle, and a malformed request (answered 400, then closed). Every
 * answer must be byte for byte {@link Requests#RESPONSE}, and nothing more may arrive.
 */
public final class Probe {
    private Probe() {}

    static final int TIMEOUT_MS = 5000;

    /** Throws an {@link IOException} naming the first fault. */
    public static void check(int port) throws IOException, InterruptedException {
        String req = "GET /probe HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: kwait-probe\r\n\r\n";
        try (Socket s = open(port)) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(ascii(req.substring(0, 9)));
            out.flush();
            Thread.sleep(30); // a pause so the server most likely reads the first part alone (not a synchronisation)
            out.write(ascii(req.substring(9)));
            expect(in, Requests.RESPONSE, 1, "a request split over two writes");
            String three = req + req + req;
            int cut = 2 * req.length() + 20;
            out.write(ascii(three.substring(0, cut)));
            out.flush();
            expect(in, Requests.RESPONSE, 2, "two pipelined requests");
            Thread.sleep(30);
            out.write(ascii(three.substring(cut)));
            expect(in, Requests.RESPONSE, 1, "the rest of a pipelined request cut in the middle");
            s.setSoTimeout(200);
            int extra = readSome(in);
            if (extra >= 0) throw new IOException("extra bytes after the answers (first: " + extra + ")");
        }
        try (Socket s = open(port)) {
            s.getOutputStream().write(ascii("BREW /pot HTTP/1.1\r\n\r\n"));
            byte[] got = s.getInputStream().readAllBytes(); // to the server's close
            if (!Arrays.equals(got, Requests.BAD)) throw new IOException("a malformed request got '" + text(got) + "', not 400 then close");
        }
    }

    private static Socket open(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
        s.setSoTimeout(TIMEOUT_MS);
        s.setTcpNoDelay(true);
        return s;
    }

    private static void expect(InputStream in, byte[] one, int count, String what) throws IOException {
        byte[] got = in.readNBytes(one.length * count);
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        for (int i = 0; i < count; i++) want.write(one);
        if (!Arrays.equals(got, want.toByteArray())) {
            throw new IOException("after " + what + ": expected " + count + " answer(s), got '" + text(got) + "'");
        }
    }

    private static int readSome(InputStream in) throws IOException {
        try {
            return in.read();
        } catch (java.net.SocketTimeoutException e) {
            return -1;
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII).replace("\r", "\\r").replace("\n", "\\n");
    }

    /** {@code Probe PORT}: checks one running server. */
    public static void main(String[] args) throws Exception {
        check(Integer.parseInt(args[0]));
        System.out.println("ok");
    }
}
