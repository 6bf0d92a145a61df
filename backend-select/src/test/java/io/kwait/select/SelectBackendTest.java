package io.kwait.select;

import io.kwait.spi.Backend;
import io.kwait.spi.BackendProvider;
import io.kwait.spi.Interest;
import io.kwait.spi.ReadyFlags;
import io.kwait.spi.Source;
import io.kwait.testkit.BackendContract;
import io.kwait.testkit.Reports;
import io.kwait.testkit.TestSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Unit tests of {@link SelectBackend} against real NIO channels on loopback: the backend contract
 * ({@link BackendContract}) and what is select's own (the NIO interest ops behind each interest,
 * pending connects, refusals naming the way out, closed keys, millisecond rounding, the provider).
 * No sleeps: every blocking poll is one that must return by the contract, bounded by {@code @Timeout}.
 */
class SelectBackendTest extends BackendContract<SelectBackend> {

    @Override
    protected SelectBackend newBackend() throws IOException {
        return new SelectBackend();
    }

    private static int nioOps(Source source) {
        return ((SelectionKey) source.backendState()).interestOps();
    }

    /** A source for {@code channel}, registered for {@code interest}. */
    private Source registered(SelectableChannel channel, int interest) throws IOException {
        Source src = new TestSource(channel);
        backend.register(src, interest);
        return src;
    }

    /** A pipe's source channel registered for READ, then closed behind the backend's back. */
    private Source registeredThenClosed() throws IOException {
        Pipe pipe = pipe();
        Source src = registered(pipe.source(), Interest.READ);
        pipe.source().close();
        return src;
    }

    /** A non-blocking client socket, not connected yet, closed after the test. */
    private SocketChannel client() throws IOException {
        SocketChannel client = track(SocketChannel.open());
        client.configureBlocking(false);
        return client;
    }

    /** Starts {@code client}'s connect to a new loopback server; skips the test where the OS completes it at once. */
    private void startConnect(SocketChannel client) throws IOException {
        assumeFalse(client.connect(server().getLocalAddress()),
                "the OS completed the loopback connect synchronously; nothing pending to test");
    }

    /** A client socket whose connect to a loopback server is pending (see {@link #startConnect}). */
    private SocketChannel connecting() throws IOException {
        SocketChannel client = client();
        startConnect(client);
        return client;
    }

    // ---- readiness ----------------------------------------------------------------------------

    @Test
    @Timeout(10)
    void serverSocketReadMeansOpAccept() throws IOException {
        Source src = registered(server(), Interest.READ);
        assertEquals(SelectionKey.OP_ACCEPT, nioOps(src)); // the readiness itself: BackendContract
    }

    @Test
    @Timeout(10)
    void connectingSocketGetsWriteOnCompletionThenSwitchesToOpWrite() throws IOException {
        SocketChannel client = connecting();
        Source src = registered(client, Interest.WRITE);
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
        SocketChannel client = connecting();
        Source src = registered(client, Interest.WRITE);
        assertEquals(1, backend.poll(-1, reports));
        assertTrue(client.finishConnect());

        backend.register(src, Interest.READ | Interest.WRITE);
        assertEquals(SelectionKey.OP_READ | SelectionKey.OP_WRITE, nioOps(src));
    }

    @Test
    @Timeout(10)
    void writeArmedBeforeConnectSwitchesToOpConnect() throws IOException {
        SocketChannel client = client();
        Source src = registered(client, Interest.WRITE);
        assertEquals(SelectionKey.OP_WRITE, nioOps(src));

        startConnect(client);
        // OP_WRITE on a connection-pending channel is never reported: the poll must re-map first.
        assertEquals(1, backend.poll(-1, reports));
        assertEquals(SelectionKey.OP_CONNECT, nioOps(src));
        assertEquals(Interest.WRITE, reports.only().ready());
        assertTrue(client.finishConnect());
    }

    @Test
    @Timeout(10)
    void interestZeroClearsTheKeysOps() throws IOException {
        Source src = registered(pipe().source(), Interest.READ);
        backend.register(src, 0);
        assertEquals(0, nioOps(src)); // that nothing is reported: BackendContract
    }

    // ---- refusals -----------------------------------------------------------------------------

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
        registered(pipe.source(), Interest.READ);
        assertThrows(IllegalStateException.class,
                () -> backend.register(new TestSource(pipe.source()), Interest.READ));
    }

    // ---- closed channels ----------------------------------------------------------------------

    @Test
    @Timeout(10)
    void closingARegisteredChannelIsReportedOnceAsAnError() throws IOException {
        Pipe pipe = pipe();
        Source src = registered(pipe.source(), Interest.READ);
        registered(pipe().source(), Interest.READ); // idle: stays registered
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
        registeredThenClosed(); // never selected: only the key set tells
        assertEquals(1, backend.poll(-1, reports));
        assertEquals(ReadyFlags.ERROR, reports.only().flags());
        assertEquals(0, backend.registrationCount());
    }

    @Test
    @Timeout(10)
    void reRegisteringAClosedRegisteredChannelThrowsAndForgetsIt() throws IOException {
        Source src = registeredThenClosed();
        assertThrows(ClosedChannelException.class, () -> backend.register(src, 0));
        assertNull(src.backendState());
        assertEquals(0, backend.poll(0, reports), "already told through the exception");
        assertEquals(0, backend.registrationCount());
    }

    // ---- timeouts and wakeup ------------------------------------------------------------------

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
    void wakeupBeforePollIsKeptEvenIfRegisterSelectsInternally() throws IOException {
        Source src = registered(pipe().source(), Interest.READ);
        backend.wakeup();
        backend.deregister(src);
        backend.register(src, Interest.READ); // flushes the cancelled key with selectNow()
        assertEquals(0, backend.poll(-1, reports));
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
