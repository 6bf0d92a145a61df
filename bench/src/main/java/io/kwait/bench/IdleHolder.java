package io.kwait.bench;

import io.kwait.bench.http.Requests;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Child process of scenarios 4 and 10: opens {@code count} connections to {@code host:port},
 * prints {@code READY}, and holds them until its stdin ends. The client ends live here because
 * both ends of 10,000 connections do not fit under this machine's open-file limit of 20,000.
 *
 * <p>With a fourth argument {@code http} (scenario 10) every connection then makes one keep-alive
 * request and checks the answer, so the server holds served, idle keep-alive connections; the
 * line before {@code READY} says how long the connects and the first answers took:
 * {@code TIMES connectMs answerMs}.
 */
public final class IdleHolder {
    public static void main(String[] args) throws IOException {
        InetSocketAddress to = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        int count = Integer.parseInt(args[2]);
        boolean http = args.length > 3 && args[3].equals("http");
        List<SocketChannel> held = new ArrayList<>(count);
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) held.add(SocketChannel.open(to));
        long t1 = System.nanoTime();
        if (http) {
            ByteBuffer req = ByteBuffer.wrap(("GET /idle HTTP/1.1\r\nHost: " + args[0] + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            for (SocketChannel c : held) {
                c.write(req.rewind());
                if (req.hasRemaining()) throw new IOException("a request did not fit a fresh socket buffer");
            }
            ByteBuffer in = ByteBuffer.allocate(Requests.RESPONSE.length);
            for (SocketChannel c : held) {
                in.clear();
                while (in.hasRemaining()) {
                    if (c.read(in) < 0) throw new IOException("the server closed an idle connection before answering");
                }
                if (!Arrays.equals(in.array(), Requests.RESPONSE)) throw new IOException("wrong answer on an idle connection");
            }
            System.out.printf("TIMES %d %d%n", (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
        }
        System.out.println("READY");
        System.out.flush();
        InputStream in = System.in;
        while (in.read() >= 0) { /* hold until the parent closes our stdin */ }
        for (SocketChannel c : held) c.close();
    }
}
