package io.kwait.select;

import io.kwait.spi.Backend;
import io.kwait.spi.BackendProvider;
import io.kwait.spi.Interest;
import io.kwait.spi.ReadyFlags;
import io.kwait.spi.Source;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Unit tests of {@link SelectBackend} against real NIO channels on loopback. No sleeps: every
 * blocking poll is one that must return by the contract, bounded by {@code @Timeout}.
 */
class SelectBackendTest {

    private SelectBackend backend;
    private final Reports reports = new Reports();
    private final Deque<Channel> channels = new ArrayDeque<>();

    @BeforeEach
    void open() throws IOException {
        backend = new SelectBackend();
    }

    @AfterEach
    void closeAll() throws IOException {
        backend.close();
        while (!channels.isEmpty()) channels.pop().close();
    }

    private <C extends Channel> C track(C channel) {
        channels.push(channel);
        return channel;
    }

    private Pipe pipe() throws IOException {
        Pipe pipe = Pipe.open();
        track(pipe.source()).configureBlocking(false);
        track(pipe.sink()).configureBlocking(false);
        return pipe;
    }

    private ServerSocketChannel server() throws IOException {
        ServerSocketChannel server = track(ServerSocketChannel.open());
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        server.configureBlocking(false);
        return server;
    }

    private static void writeByte(Pipe pipe) throws IOException {
        assertEquals(1, pipe.sink().write(ByteBuffer.wrap(new byte[] {42})));
    }

    private static int nioOps(Source source) {
        return ((SelectionKey) source.backendState()).interestOps();
    }

    // ---- readiness ----------------------------------------------------------------------------

    @Test
    @Timeout(10)
    void pipeSourceIsReadableAfterAWriteAndStaysSoUntilDrained() throws IOException {
        Pipe pipe = pipe();
        Source src = new TestSource(pipe.source());
        backend.register(src, Interest.READ);
        assertEquals(0, backend.poll(0, reports));
        assertTrue(reports.list.isEmpty());

        writeByte(pipe);
        assertEquals(1, backend.poll(-1, reports));
        Reports.Report r = reports.only();
        assertSame(src, r.source());
        assertEquals(Interest.READ, r.ready());
        assertEquals(0, r.flags());
        assertEquals(0, r.data());
        assertNull(r.error());

        // Level-triggered: reported again while not drained.
        assertEquals(1, backend.poll(-1, reports.clear()));
        assertEquals(Interest.READ, reports.only().ready());

        assertEquals(1, pipe.source().read(ByteBuffer.allocate(8)));
        assertEquals(0, backend.poll(0, reports.clear()));
        assertTrue(reports.list.isEmpty());
    }

    @Test
    @Timeout(10)
    void pipeSinkIsWritable() throws IOException {
        Pipe pipe = pipe();
        Source sink = new TestSource(pipe.sink());
        backend.register(sink, Interest.WRITE);
        assertEquals(1, backend.poll(-1, reports));
        assertEquals(Interest.WRITE, reports.only().ready());
    }

    @Test
    @Timeout(10)
    void serverSocketReadMeansAcceptAndFiresAfterALoopbackConnect() throws IOException {
        ServerSocketChannel server = server();
        Source src = new TestSource(server);
        backend.register(src, Interest.READ);
        assertEquals(SelectionKey.OP_ACCEPT, nioOps(src));
        assertEquals(0, backend.poll(0, reports));

        track(SocketChannel.open(server.getLocalAddress())); // blocking connect: done on return
        assertEquals(1, backend.poll(-1, reports));
        assertSame(src, reports.only().source());
        assertEquals(Interest.READ, reports.only().ready());
        assertNotNull(track(server.accept()));
    }

    @Test
    @Timeout(10)
    void connectingSocketGetsWriteOnCompletionThenSwitchesToOpWrite() throws IOException {
        ServerSocketChannel server = server();
        SocketChannel client = track(SocketChannel.open());
        client.configureBlocking(false);
        boolean connectedAtOnce = client.connect(server.getLocalAddress());
        assumeFalse(connectedAtOnce, "the OS completed the loopback connect synchronously; nothing pending to test");

        Source src = new TestSource(client);
        backend.register(src, Interest.WRITE);
        assertEquals(SelectionKey.OP_CONNECT, nioOps(src), "a pending connect must arm OP_CONNECT");

        assertEquals(1, backend.poll(-1, reports));
        assertEquals(Interest.WRITE, reports.only().ready());
        assertTrue(client.finishConnect());

        // Still OP_CONNECT until the next poll re-maps it; OP_CONNECT on a connected channel
        // would never be reported while the OS kept saying POLLOUT.
        assertEquals(1, backend.poll(-1, reports.clear()));
        assertEquals(SelectionKey.OP_WRITE, nioOps(src));
        assertEquals(Interest.WRITE, reports.only().ready());
        assertEquals(1, client.write(ByteBuffer.wrap(new byte[] {1})));
    }

    @Test
    @Timeout(10)
    void reRegisterAfterFinishConnectMapsToOpWriteAtOnce() throws IOException {
        ServerSocketChannel server = server();
        SocketChannel client = track(SocketChannel.open());
        client.configureBlocking(false);
        assumeFalse(client.connect(server.getLocalAddress()), "loopback connect completed synchronously");
        Source src = new TestSource(client);
        backend.register(src, Interest.WRITE);
        assertEquals(1, backend.poll(-1, reports));
        assertTrue(client.finishConnect());

        backend.register(src, Interest.READ | Interest.WRITE);
        assertEquals(SelectionKey.OP_READ | SelectionKey.OP_WRITE, nioOps(src));
    }

    @Test
    @Timeout(10)
    void writeArmedBeforeConnectSwitchesToOpConnect() throws IOException {
        ServerSocketChannel server = server();
        SocketChannel client = track(SocketChannel.open());
        client.configureBlocking(false);
        Source src = new TestSource(client);
        backend.register(src, Interest.WRITE);
        assertEquals(SelectionKey.OP_WRITE, nioOps(src));

        assumeFalse(client.connect(server.getLocalAddress()), "loopback connect completed synchronously");
        // OP_WRITE on a connection-pending channel is never reported: the poll must re-map first.
        assertEquals(1, backend.poll(-1, reports));
        assertEquals(SelectionKey.OP_CONNECT, nioOps(src));
        assertEquals(Interest.WRITE, reports.only().ready());
        assertTrue(client.finishConnect());
    }

    @Test
    @Timeout(10)
    void interestZeroKeepsTheRegistrationButReportsNothing() throws IOException {
        Pipe pipe = pipe();
        writeByte(pipe);
        Source src = new TestSource(pipe.source());
        backend.register(src, Interest.READ);
        backend.register(src, 0);
        assertEquals(0, nioOps(src));
        assertEquals(1, backend.registrationCount());
        assertEquals(0, backend.poll(0, reports));
        assertTrue(reports.list.isEmpty());

        backend.register(src, Interest.READ); // re-armed: the byte is still there
        assertEquals(1, backend.poll(0, reports));
        assertEquals(Interest.READ, reports.only().ready());
    }

    @Test
    @Timeout(10)
    void onlyTheAskedBitsAreReported() throws IOException {
        ServerSocketChannel server = server();
        SocketChannel client = track(SocketChannel.open(server.getLocalAddress()));
        client.configureBlocking(false);
        SocketChannel peer = track(server.accept());
        assertNotNull(peer);
        assertEquals(1, peer.write(ByteBuffer.wrap(new byte[] {7})));

        Source src = new TestSource(client);
        backend.register(src, Interest.WRITE); // readable too, but not asked
        assertEquals(1, backend.poll(-1, reports));
        assertEquals(Interest.WRITE, reports.only().ready());

        backend.register(src, Interest.READ | Interest.WRITE);
        // The byte may still be in flight on loopback; poll until READ shows up with WRITE.
        do {
            backend.poll(-1, reports.clear());
        } while (reports.only().ready() != (Interest.READ | Interest.WRITE));
    }

    // ---- refusals -----------------------------------------------------------------------------

    @Test
    @Timeout(10)
    void blockingChannelIsRefusedWithTheWayOut() throws IOException {
        Pipe pipe = Pipe.open();
        track(pipe.source());
        track(pipe.sink());
        Source src = new TestSource(pipe.source()); // blocking: the default
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.register(src, Interest.READ));
        assertTrue(e.getMessage().contains("configureBlocking(false) before waiting on it"), e.getMessage());
        assertTrue(e.getMessage().contains(pipe.source().toString()), e.getMessage());
        assertEquals(0, backend.registrationCount());
    }

    @Test
    @Timeout(10)
    void rawFdIsRefusedNamingTheNativeBackends() {
        Source fd = new TestSource(Source.Kind.FD, 7);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.register(fd, Interest.READ));
        assertTrue(e.getMessage().contains("(fd 7)"), e.getMessage());
        assertTrue(e.getMessage().contains("-Dkwait.backend=epoll"), e.getMessage());
        assertTrue(e.getMessage().contains("kqueue"), e.getMessage());
    }

    @Test
    @Timeout(10)
    void processIsRefusedPointingAtTheCoreRelay() {
        Source proc = new TestSource(Source.Kind.PROCESS, ProcessHandle.current().pid());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.register(proc, Interest.EXIT));
        assertTrue(e.getMessage().contains("relay"), e.getMessage());
    }

    @Test
    @Timeout(10)
    void opsTheChannelCannotDoAreRefusedNamingTypeAndOp() throws IOException {
        Pipe pipe = pipe();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.register(new TestSource(pipe.sink()), Interest.READ));
        assertTrue(e.getMessage().contains("Pipe.SinkChannel"), e.getMessage());
        assertTrue(e.getMessage().contains("READ"), e.getMessage());

        ServerSocketChannel server = server();
        e = assertThrows(IllegalArgumentException.class,
                () -> backend.register(new TestSource(server), Interest.WRITE));
        assertTrue(e.getMessage().contains("ServerSocketChannel"), e.getMessage());
        assertTrue(e.getMessage().contains("WRITE"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> backend.register(new TestSource(pipe.source()), Interest.EXIT));
        assertTrue(e.getMessage().contains("EXIT"), e.getMessage());
        assertEquals(0, backend.registrationCount());
    }

    @Test
    @Timeout(10)
    void oneChannelThroughTwoSourcesIsRefused() throws IOException {
        Pipe pipe = pipe();
        backend.register(new TestSource(pipe.source()), Interest.READ);
        assertThrows(IllegalStateException.class,
                () -> backend.register(new TestSource(pipe.source()), Interest.READ));
    }

    // ---- closed channels ----------------------------------------------------------------------

    @Test
    @Timeout(10)
    void closedChannelIsRefusedWithClosedChannelException() throws IOException {
        Pipe pipe = pipe();
        pipe.source().close();
        assertThrows(ClosedChannelException.class,
                () -> backend.register(new TestSource(pipe.source()), Interest.READ));
        assertEquals(0, backend.registrationCount());
    }

    @Test
    @Timeout(10)
    void closingARegisteredChannelIsReportedOnceAsAnError() throws IOException {
        Pipe pipe = pipe();
        Pipe other = pipe();
        Source src = new TestSource(pipe.source());
        Source idle = new TestSource(other.source());
        backend.register(src, Interest.READ);
        backend.register(idle, Interest.READ);
        assertEquals(0, backend.poll(0, reports));

        pipe.source().close();
        assertEquals(1, backend.poll(0, reports));
        Reports.Report r = reports.only();
        assertSame(src, r.source());
        assertEquals(Interest.READ | Interest.WRITE, r.ready());
        assertEquals(ReadyFlags.ERROR, r.flags());
        assertInstanceOf(ClosedChannelException.class, r.error());
        assertNull(src.backendState(), "a closed source is forgotten");
        assertEquals(1, backend.registrationCount());

        assertEquals(0, backend.poll(0, reports.clear()));
        backend.deregister(src); // already forgotten: ignored
        assertThrows(ClosedChannelException.class, () -> backend.register(src, Interest.READ));
        assertEquals(1, backend.registrationCount());
    }

    @Test
    @Timeout(10)
    void aChannelClosedBetweenPollsMakesABlockingPollReturn() throws IOException {
        Pipe pipe = pipe();
        Source src = new TestSource(pipe.source());
        backend.register(src, Interest.READ);
        pipe.source().close(); // never selected: only the key set tells
        assertEquals(1, backend.poll(-1, reports));
        assertEquals(ReadyFlags.ERROR, reports.only().flags());
        assertEquals(0, backend.registrationCount());
    }

    @Test
    @Timeout(10)
    void reRegisteringAClosedRegisteredChannelThrowsAndForgetsIt() throws IOException {
        Pipe pipe = pipe();
        Source src = new TestSource(pipe.source());
        backend.register(src, Interest.READ);
        pipe.source().close();
        assertThrows(ClosedChannelException.class, () -> backend.register(src, 0));
        assertNull(src.backendState());
        assertEquals(0, backend.poll(0, reports), "already told through the exception");
        assertEquals(0, backend.registrationCount());
    }

    // ---- deregistration -----------------------------------------------------------------------

    @Test
    @Timeout(10)
    void deregisteredSourceIsNotReportedAndCanComeBackBeforeTheNextPoll() throws IOException {
        Pipe pipe = pipe();
        writeByte(pipe);
        Source src = new TestSource(pipe.source());
        backend.register(src, Interest.READ);
        backend.deregister(src);
        assertNull(src.backendState());
        assertEquals(0, backend.registrationCount());
        assertEquals(0, backend.poll(0, reports));

        backend.register(src, Interest.READ);
        backend.deregister(src);
        // The cancelled key is not flushed yet: NIO's register would throw CancelledKeyException.
        backend.register(src, Interest.READ);
        assertEquals(1, backend.registrationCount());
        assertEquals(1, backend.poll(0, reports));
        assertSame(src, reports.only().source());

        backend.deregister(new TestSource(pipe.sink())); // unknown: ignored
    }

    @Test
    @Timeout(10)
    void aSinkMayDeregisterAnotherReadySourceWhichIsThenNotReported() throws IOException {
        Pipe a = pipe();
        Pipe b = pipe();
        writeByte(a);
        writeByte(b);
        Source sa = new TestSource(a.source());
        Source sb = new TestSource(b.source());
        backend.register(sa, Interest.READ);
        backend.register(sb, Interest.READ);
        int n = backend.poll(0, (source, ready, flags, data, error) -> {
            reports.ready(source, ready, flags, data, error);
            backend.deregister(source == sa ? sb : sa);
        });
        assertEquals(1, n);
        assertEquals(1, reports.list.size());
        assertEquals(1, backend.registrationCount());
    }

    @Test
    @Timeout(10)
    void registrationCountFollowsRegisterDeregisterAndClose() throws IOException {
        Pipe pipe = pipe();
        Source a = new TestSource(pipe.source());
        Source b = new TestSource(pipe.sink());
        backend.register(a, Interest.READ);
        backend.register(b, Interest.WRITE);
        backend.register(b, Interest.WRITE); // no change: still one registration
        assertEquals(2, backend.registrationCount());
        backend.deregister(a);
        assertEquals(1, backend.registrationCount());
        backend.close();
        assertEquals(0, backend.registrationCount());
        assertNull(b.backendState());
        backend.close(); // idempotent
        backend.wakeup(); // allowed after close: does nothing
        backend.deregister(b);
        assertThrows(IllegalStateException.class, () -> backend.poll(0, reports));
        assertThrows(IllegalStateException.class, () -> backend.register(a, Interest.READ));
    }

    // ---- timeouts and wakeup ------------------------------------------------------------------

    @Test
    @Timeout(10)
    void pollZeroReturnsAtOnce() throws IOException {
        backend.register(new TestSource(pipe().source()), Interest.READ);
        assertEquals(0, backend.poll(0, reports));
        assertTrue(reports.list.isEmpty());
    }

    @Test
    @Timeout(10)
    void oneNanosecondIsRoundedUpNotTurnedIntoForever() throws IOException {
        backend.register(new TestSource(pipe().source()), Interest.READ);
        assertEquals(0, backend.poll(1, reports)); // select(0) would block for ever
        assertEquals(0, backend.poll(999_999, reports));
        assertTrue(reports.list.isEmpty());
    }

    @Test
    void millisecondsAreRoundedUp() {
        assertEquals(1, SelectBackend.toMillis(1));
        assertEquals(1, SelectBackend.toMillis(999_999));
        assertEquals(1, SelectBackend.toMillis(1_000_000));
        assertEquals(2, SelectBackend.toMillis(1_000_001));
        assertEquals(Long.MAX_VALUE / 1_000_000 + 1, SelectBackend.toMillis(Long.MAX_VALUE));
    }

    @Test
    @Timeout(10)
    void wakeupFromAnotherThreadEndsABlockingPoll() throws Exception {
        backend.register(new TestSource(pipe().source()), Interest.READ);
        CountDownLatch started = new CountDownLatch(1);
        Thread waker = new Thread(() -> {
            try {
                started.await();
            } catch (InterruptedException e) {
                return;
            }
            backend.wakeup(); // before or during the poll: either way it must end
        });
        waker.start();
        started.countDown();
        assertEquals(0, backend.poll(-1, reports));
        waker.join();
        assertTrue(reports.list.isEmpty());
    }

    @Test
    @Timeout(10)
    void wakeupBeforePollIsKeptEvenIfRegisterSelectsInternally() throws IOException {
        Pipe pipe = pipe();
        Source src = new TestSource(pipe.source());
        backend.register(src, Interest.READ);
        backend.wakeup();
        backend.deregister(src);
        backend.register(src, Interest.READ); // flushes the cancelled key with selectNow()
        assertEquals(0, backend.poll(-1, reports));
    }

    @Test
    @Timeout(10)
    void wakeupWithNothingRegisteredEndsAPoll() throws IOException {
        backend.wakeup();
        backend.wakeup(); // repeated calls collapse
        assertEquals(0, backend.poll(-1, reports));
        assertEquals(0, backend.poll(1, reports));
    }

    // ---- provider -----------------------------------------------------------------------------

    @Test
    @Timeout(10)
    void providerIsFoundByServiceLoaderAndOpensAWorkingBackend() throws IOException {
        BackendProvider provider = ServiceLoader.load(BackendProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("select"))
                .findFirst().orElseThrow(() -> new AssertionError("no select provider on the class path"));
        assertInstanceOf(SelectBackendProvider.class, provider);
        assertEquals(0, provider.priority());
        assertTrue(provider.availability().available());
        assertEquals("", provider.availability().reason());
        assertSame(provider.availability(), provider.availability(), "probed once and cached");
        try (Backend b = provider.open()) {
            assertEquals("select", b.name());
            assertTrue(b.capabilities().isEmpty());
            assertEquals(0, b.registrationCount());
        }
    }
}
