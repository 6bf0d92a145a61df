package io.kwait.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Child process of scenario 4: opens {@code count} connections to {@code host:port}, prints
 * {@code READY}, and holds them until its stdin ends. The client ends live here because both ends
 * of 10,000 connections do not fit under this machine's open-file limit of 20,000.
 */
public final class IdleHolder {
    public static void main(String[] args) throws IOException {
        InetSocketAddress to = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        int count = Integer.parseInt(args[2]);
        List<SocketChannel> held = new ArrayList<>(count);
        for (int i = 0; i < count; i++) held.add(SocketChannel.open(to));
        System.out.println("READY");
        System.out.flush();
        InputStream in = System.in;
        while (in.read() >= 0) { /* hold until the parent closes our stdin */ }
        for (SocketChannel c : held) c.close();
    }
}
