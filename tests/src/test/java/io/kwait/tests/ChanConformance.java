package io.kwait.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.kwait.Chan;
import io.kwait.ChanClosedException;
import io.kwait.Event;
import io.kwait.Filter;
import io.kwait.Fired;
import io.kwait.Task;
import io.kwait.TaskCancelledException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Channels: send/receive between tasks and threads, the try- variants, closing, iteration,
 * RECV/SEND events, and the exactly-once guarantee under cancellation.
 */
public abstract class ChanConformance extends ConformanceBase {

    /** The three kinds of channel. */
    enum Kind {
        RENDEZVOUS, BOUNDED, UNBOUNDED;

        <T> Chan<T> make() {
            return switch (this) {
                case RENDEZVOUS -> Chan.rendezvous();
                case BOUNDED -> Chan.bounded(4);
                case UNBOUNDED -> Chan.unbounded();
            };
        }
    }

    // ---------------------------------------------------------------- basics

    @Test
    void capacities() {
        assertEquals(0, Chan.rendezvous().capacity());
        assertEquals(3, Chan.bounded(3).capacity());
        assertEquals(Integer.MAX_VALUE, Chan.unbounded().capacity());
        assertThrows(IllegalArgumentException.class, () -> Chan.bounded(0));
        assertThrows(IllegalArgumentException.class, () -> Chan.bounded(-1));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void sendAndReceiveBetweenTasksKeepOrder(Kind kind) throws Exception {
        List<Integer> got = Run.root(kernel, () -> {
            Chan<Integer> chan = kind.make();
            Task<Void> producer = Task.spawn(() -> {
                for (int i = 0; i < 1000; i++) chan.send(i);
                chan.close();
                return null;
            });
            List<Integer> out = new ArrayList<>();
            for (Integer v : chan) out.add(v); // iteration ends at close
            Run.join(producer);
            return out;
        });
        List<Integer> want = new ArrayList<>();
        for (int i = 0; i < 1000; i++) want.add(i);
        assertEquals(want, got);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void orderIsKeptPerSenderWithManySendersAndReceivers(Kind kind) throws Exception {
        Run.root(kernel, () -> {
            Chan<int[]> chan = kind.make();
            int senders = 5, each = 300;
            List<Task<Void>> ss = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                int id = s;
                ss.add(Task.spawn(() -> {
                    for (int i = 0; i < each; i++) {
                        chan.send(new int[] {id, i});
                        if (i % (id + 2) == 0) Task.yieldNow();
                    }
                    return null;
                }));
            }
            List<Task<List<int[]>>> rs = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                rs.add(Task.spawn(() -> {
                    List<int[]> mine = new ArrayList<>();
                    for (int[] m : chan) mine.add(m);
                    return mine;
                }));
            }
            for (Task<Void> s : ss) Run.join(s);
            chan.close();
            int[] next = new int[senders];
            int total = 0;
            for (Task<List<int[]>> r : rs) {
                int[] last = new int[senders];
                java.util.Arrays.fill(last, -1);
                for (int[] m : Run.join(r)) {
                    assertTrue(m[1] > last[m[0]], "a receiver saw sender " + m[0] + " out of order");
                    last[m[0]] = m[1];
                    next[m[0]]++;
                    total++;
                }
            }
            assertEquals(senders * each, total);
            for (int s = 0; s < senders; s++) assertEquals(each, next[s]);
            return null;
        });
    }

    @Test
    void trySendOnAFullBoundedChannelIsFalse() {
        Chan<String> c = Chan.bounded(2);
        assertTrue(c.trySend("a"));
        assertTrue(c.trySend("b"));
        assertFalse(c.trySend("c"));
        assertEquals(2, c.size());
        assertEquals("a", c.tryReceive().orElseThrow());
        assertTrue(c.trySend("c"));
        assertEquals("b", c.tryReceive().orElseThrow());
        assertEquals("c", c.tryReceive().orElseThrow());
        assertEquals(Optional.empty(), c.tryReceive());
    }

    @Test
    void trySendOnAnUnboundedChannelAlwaysSucceeds() {
        Chan<Integer> c = Chan.unbounded();
        for (int i = 0; i < 10_000; i++) assertTrue(c.trySend(i));
        assertEquals(10_000, c.size());
        for (int i = 0; i < 10_000; i++) assertEquals(i, c.tryReceive().orElseThrow());
    }

    @Test
    void trySendOnARendezvousChannelNeedsAWaitingReceiver() throws Exception {
        rootWith(Chan.rendezvous(), c -> {
            assertFalse(c.trySend("nobody"), "no receiver waits");
            assertEquals(0, c.size());
            Task<String> r = Task.spawn(c::receive);
            Task.yieldNow(); // r parks in receive
            assertTrue(c.trySend("taken"));
            assertEquals("taken", r.join());
            assertFalse(c.trySend("again"));
        });
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void tryReceiveOnAnEmptyChannelIsEmpty(Kind kind) {
        Chan<String> c = kind.make();
        assertEquals(Optional.empty(), c.tryReceive());
        assertFalse(c.isClosed());
        c.close();
        assertEquals(Optional.empty(), c.tryReceive());
        assertTrue(c.isClosed());
    }

    @Test
    void tryReceiveTakesFromABlockedSenderOfARendezvousChannel() throws Exception {
        rootWith(Chan.rendezvous(), c -> {
            Task<String> s = Task.spawn(() -> { c.send("hand"); return "sent"; });
            Task.yieldNow();
            assertFalse(s.isDone());
            assertEquals("hand", c.tryReceive().orElseThrow());
            assertEquals("sent", s.join());
            assertEquals(Optional.empty(), c.tryReceive());
        });
    }

    @ParameterizedTest
    @EnumSource(value = Kind.class, names = {"BOUNDED", "UNBOUNDED"})
    void closeLetsReceiversDrainThenThrows(Kind kind) throws Exception {
        rootWith(kind.make(), c -> {
            c.send("1");
            c.send("2");
            c.send("3");
            c.close();
            assertTrue(c.isClosed());
            assertEquals("1", c.receive());
            assertEquals("2", c.tryReceive().orElseThrow());
            Iterator<String> it = c.iterator();
            assertTrue(it.hasNext());
            assertEquals("3", it.next());
            assertFalse(it.hasNext());
            assertThrows(NoSuchElementException.class, it::next);
            assertThrows(ChanClosedException.class, c::receive);
            assertThrows(ChanClosedException.class, c::receive, "stays closed");
            assertEquals(Optional.empty(), c.tryReceive());
            c.close(); // idempotent
        });
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void sendOnAClosedChannelThrows(Kind kind) throws Exception {
        rootWith(kind.make(), c -> {
            c.close();
            assertThrows(ChanClosedException.class, () -> c.send("x"));
            assertThrows(ChanClosedException.class, () -> c.trySend("x"));
            assertThrows(ChanClosedException.class, c::receive);
        });
        Chan<String> c = kind.make();
        c.close();
        assertThrows(ChanClosedException.class, () -> c.send("x"), "from a plain thread too");
    }

    @ParameterizedTest
    @EnumSource(value = Kind.class, names = {"RENDEZVOUS", "BOUNDED"})
    void aSenderBlockedAtCloseGetsChanClosed(Kind kind) throws Exception {
        rootWith(kind.make(), c -> {
            int room = c.capacity();
            for (int i = 0; i < room; i++) c.send("fill" + i);
            Task<String> s = Task.spawn(() -> { c.send("blocked"); return "sent"; });
            Task.yieldNow();
            assertFalse(s.isDone(), "the sender should be blocked on a full channel");
            c.close();
            ExecutionException e = assertThrows(ExecutionException.class, s::join);
            assertTrue(e.getCause() instanceof ChanClosedException, "got " + e.getCause());
            List<String> drained = new ArrayList<>();
            for (String m : c) drained.add(m);
            assertEquals(room, drained.size());
            assertFalse(drained.contains("blocked"), "the message of a sender that got ChanClosed was delivered");
        });
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aReceiverBlockedAtCloseGetsChanClosed(Kind kind) throws Exception {
        rootWith(kind.make(), c -> {
            List<Task<String>> rs = new ArrayList<>();
            for (int i = 0; i < 3; i++) rs.add(Task.spawn(c::receive));
            Task.yieldNow();
            c.close();
            for (Task<String> r : rs) {
                ExecutionException e = assertThrows(ExecutionException.class, r::join);
                assertTrue(e.getCause() instanceof ChanClosedException, "got " + e.getCause());
            }
        });
    }

    @Test
    void nullMessagesAreRefused() {
        for (Kind k : Kind.values()) {
            Chan<String> c = k.make();
            assertThrows(NullPointerException.class, () -> c.send(null));
            assertThrows(NullPointerException.class, () -> c.trySend(null));
            assertEquals(0, c.size());
        }
    }

    @Test
    void plainThreadsUseChannelsWithoutAScheduler() throws Exception {
        Chan<Integer> c = Chan.rendezvous();
        Outcome<Void> producer = onThread("producer", () -> {
            for (int i = 0; i < 200; i++) c.send(i);
            c.close();
            return null;
        });
        int expect = 0;
        for (int v : c) assertEquals(expect++, v);
        assertEquals(200, expect);
        assertNull(producer.failure());
    }

    @Test
    void anInterruptedPlainThreadLeavesReceiveWithoutTakingAMessage() throws Exception {
        Chan<String> c = Chan.rendezvous();
        Outcome<String> receiver = onThread("receiver", c::receive);
        receiver.thread.interrupt();
        Throwable t = receiver.failure();
        assertTrue(t instanceof InterruptedException, "got " + t + ", received " + receiver.value.get());
        assertFalse(c.trySend("x"), "the interrupted receiver is still registered");
    }

    @Test
    void anInterruptedPlainThreadLeavesACommittingWaitWithoutTakingOrSending() throws Exception {
        Chan<String> c = Chan.rendezvous();
        io.kwait.Kernel own = openKernel(io.kwait.TimeSource.system());
        Outcome<List<Fired>> waiter = onThread("waiter", () -> own.wait(List.of(Event.receive(c), Event.send(c, "never")), null));
        Run.root(kernel, () -> {
            only(kernel.wait(List.of(Event.send(c)), null)); // the thread's receive offer is parked
            return null;
        });
        waiter.thread.interrupt();
        Throwable t = waiter.failure();
        assertTrue(t instanceof InterruptedException, "got " + t + ", fired " + waiter.value.get());
        assertFalse(c.trySend("x"), "the interrupted wait's receive offer went with it");
        assertEquals(Optional.empty(), c.tryReceive(), "the interrupted wait's send offer went with it");
    }

    // ---------------------------------------------------------------- RECV / SEND events

    @ParameterizedTest
    @EnumSource(Kind.class)
    void recvEventFiresWhenAMessageIsReadyAndTakesNothing(Kind kind) throws Exception {
        rootWith(kind.make(), c -> {
            Event e = Event.recv(c);
            assertEquals(Filter.RECV, e.filter());
            assertEquals(List.of(), kernel.wait(List.of(e), Duration.ZERO), "nothing to receive yet");
            Task<String> s = Task.spawn(() -> { c.send("m"); return "sent"; });
            Fired f = waitOne(e);
            assertFalse(f.isEof());
            assertFalse(f.isError());
            // level-triggered and non-consuming: it fires again until someone receives
            assertEquals(1, kernel.wait(List.of(e), Duration.ZERO).size());
            assertEquals("m", c.tryReceive().orElseThrow(), "the wait must not take the message");
            assertEquals("sent", s.join());
            assertEquals(List.of(), kernel.wait(List.of(e), Duration.ZERO));
            c.close();
            Fired eof = kernel.wait(List.of(e), null).get(0);
            assertTrue(eof.isEof(), "a closed, drained channel fires RECV with EOF");
        });
    }

    @Test
    void recvEventOnAClosedChannelWithMessagesIsNotEofUntilDrained() throws Exception {
        rootWith(Chan.bounded(2), c -> {
            c.send("last");
            c.close();
            Event e = Event.recv(c);
            Fired f = kernel.wait(List.of(e), null).get(0);
            assertFalse(f.isEof());
            assertEquals("last", c.tryReceive().orElseThrow());
            assertTrue(kernel.wait(List.of(e), null).get(0).isEof());
        });
    }

    @Test
    void sendEventFiresWhenTheChannelWouldTakeAMessage() throws Exception {
        rootWith(Chan.bounded(1), c -> {
            Event e = Event.send(c);
            assertEquals(Filter.SEND, e.filter());
            assertEquals(1, kernel.wait(List.of(e), Duration.ZERO).size(), "room in the buffer");
            assertTrue(c.trySend("a"));
            assertEquals(List.of(), kernel.wait(List.of(e), Duration.ZERO), "full");
            Task<String> r = Task.spawn(c::receive);
            Fired f = kernel.wait(List.of(e), null).get(0);
            assertSame(e, f.event());
            assertFalse(f.isEof());
            assertEquals("a", r.join());
            assertTrue(c.trySend("b"));
            c.close();
            assertTrue(kernel.wait(List.of(e), null).get(0).isEof(), "a closed channel fires SEND with EOF");
        });
    }

    @Test
    void sendEventOnARendezvousChannelFiresWhenAReceiverWaits() throws Exception {
        rootWith(Chan.rendezvous(), c -> {
            Event e = Event.send(c);
            assertEquals(List.of(), kernel.wait(List.of(e), Duration.ZERO));
            Task<String> r = Task.spawn(c::receive);
            Fired f = kernel.wait(List.of(e), null).get(0);
            assertSame(e, f.event());
            assertTrue(c.trySend("x"));
            assertEquals("x", r.join());
        });
    }

    @Test
    void recvAndSendEventsAmongOthersReportOnlyWhatFired() throws Exception {
        Run.root(kernel, () -> {
            Chan<String> a = Chan.unbounded();
            Chan<String> b = Chan.bounded(1);
            b.send("full");
            Event ra = Event.recv(a), sb = Event.send(b), rb = Event.recv(b), t = Event.after(Duration.ofHours(1));
            List<Fired> fired = kernel.wait(List.of(ra, sb, rb, t), null);
            assertEquals(1, fired.size());
            assertSame(rb, fired.get(0).event());
            a.send("x");
            fired = kernel.wait(List.of(ra, sb, rb, t), null);
            assertEquals(2, fired.size());
            assertSame(ra, fired.get(0).event(), "fired events come in the order given");
            assertSame(rb, fired.get(1).event());
            assertEquals(0, kernel.stats().timers());
            return null;
        });
    }

    // ---------------------------------------------------------------- committing events: Event.receive, Event.send(chan, message)

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aCommittingReceiveTakesTheMessageIntoTheFired(Kind kind) throws Exception {
        Chan<String> c = kind.make();
        Event e = Event.receive(c);
        assertEquals(Filter.RECV, e.filter(), "a committing receive has the readiness event's filter");
        Run.root(kernel, () -> {
            assertEquals(List.of(), kernel.wait(List.of(e), Duration.ZERO), "nothing to receive yet");
            if (kind == Kind.RENDEZVOUS) assertFalse(c.trySend("probe"), "a poll (Duration.ZERO) leaves no offer behind");
            Task<String> s = Task.spawn(() -> { c.send("m"); return "sent"; });
            Fired f = only(kernel.wait(List.of(e), null));
            assertSame(e, f.event());
            assertEquals("m", f.result());
            assertFalse(f.isEof());
            assertEquals("sent", s.join());
            assertEquals(Optional.empty(), c.tryReceive(), "the wait took the message");
            c.close();
            Fired eof = only(kernel.wait(List.of(e), null));
            assertTrue(eof.isEof(), "a closed, drained channel fires a committing receive with EOF");
            assertNull(eof.result());
            return null;
        });
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aCommittingSendHandsTheMessageOver(Kind kind) throws Exception {
        Chan<String> c = kind.make();
        Run.root(kernel, () -> {
            Task<String> r = Task.spawn(c::receive);
            Task.yieldNow(); // r parks in receive
            Event e = Event.send(c, "x");
            assertEquals(Filter.SEND, e.filter());
            Fired f = only(kernel.wait(List.of(e), null));
            assertSame(e, f.event());
            assertFalse(f.isError());
            assertEquals("x", r.join());
            if (kind == Kind.RENDEZVOUS) {
                assertEquals(List.of(), kernel.wait(List.of(e), Duration.ZERO), "no receiver waits now");
            } else {
                assertEquals(1, kernel.wait(List.of(e), Duration.ZERO).size(), "a buffered send fires at once");
                assertEquals("x", c.tryReceive().orElseThrow());
            }
            assertEquals(Optional.empty(), c.tryReceive());
            return null;
        });
    }

    /** The defect: two waits on opposite ends of a rendezvous channel met no one. Committing waits meet, whoever waits first. */
    @Test
    void twoCommittingWaitsMeetOnARendezvousChannel() throws Exception {
        Run.root(kernel, () -> {
            Chan<Integer> c = Chan.rendezvous();
            for (int i = 0; i < 200; i++) {
                int m = i;
                boolean senderFirst = i % 2 == 0;
                Task<Fired> s = null, r = null;
                for (int k = 0; k < 2; k++) {
                    if ((k == 0) == senderFirst) s = Task.spawn(() -> only(kernel.wait(List.of(Event.send(c, m)), null)));
                    else r = Task.spawn(() -> only(kernel.wait(List.of(Event.receive(c), Event.after(Duration.ofHours(1))), null)));
                    Task.yieldNow(); // the first parks with its offer left on the channel
                }
                assertFalse(Run.join(s).isError());
                assertEquals(m, (Integer) Run.join(r).result());
            }
            assertEquals(0, kernel.stats().timers(), "the hour-long timeouts went with their waits");
            return null;
        });
    }

    /** A committing party meets readiness waiters, blocked sends and receives, and the try- calls. */
    @Test
    void aCommittingWaitMeetsEveryOtherKindOfParty() throws Exception {
        rootWith(Chan.rendezvous(), c -> {
            // committing send, readiness receiver
            Task<Fired> s = Task.spawn(() -> only(kernel.wait(List.of(Event.send(c, "a")), null)));
            Event recv = Event.recv(c);
            only(kernel.wait(List.of(recv), null)); // a parked committing sender makes RECV ready
            assertEquals("a", c.tryReceive().orElseThrow());
            assertFalse(Run.join(s).isError());
            // committing receive, readiness sender
            Task<Fired> r = Task.spawn(() -> only(kernel.wait(List.of(Event.receive(c)), null)));
            only(kernel.wait(List.of(Event.send(c)), null));
            assertTrue(c.trySend("b"));
            assertEquals("b", Run.join(r).result());
            // committing receive, blocked sender (the sender parked first)
            Task<Void> blocked = Task.spawn(() -> { c.send("c"); return null; });
            Task.yieldNow();
            assertEquals("c", only(kernel.wait(List.of(Event.receive(c)), null)).result());
            Run.join(blocked);
            // committing send, blocked receiver (the wait parked first)
            Task<Fired> s2 = Task.spawn(() -> only(kernel.wait(List.of(Event.send(c, "d")), null)));
            Task.yieldNow();
            assertEquals("d", c.receive());
            assertFalse(Run.join(s2).isError());
        });
    }

    /** Go's rule: one case of a select proceeds. Several committing events ready at once: the first in list order. */
    @Test
    void atMostOneCommittingEventCommitsPerWait() throws Exception {
        Run.root(kernel, () -> {
            Chan<String> a = Chan.bounded(2), b = Chan.bounded(2);
            a.send("a1");
            b.send("b1");
            Event ra = Event.receive(a), rb = Event.receive(b), sa = Event.send(a, "a2"), sb = Event.send(b, "b2");
            Fired f = only(kernel.wait(List.of(rb, ra, sa, sb), null));
            assertSame(rb, f.event(), "the first in list order that can commit does");
            assertEquals("b1", f.result());
            assertEquals(1, a.size(), "a was not touched");
            assertEquals(0, b.size());
            f = only(kernel.wait(List.of(sb, sa), null));
            assertSame(sb, f.event());
            assertEquals(1, a.size());
            assertEquals("b2", b.tryReceive().orElseThrow());
            // parked on two rendezvous channels: the first sender to come wins, the other stays blocked
            Chan<String> x = Chan.rendezvous(), y = Chan.rendezvous();
            Task<List<Fired>> w = Task.spawn(() -> kernel.wait(List.of(Event.receive(x), Event.receive(y)), null));
            Task.yieldNow();
            Task<Void> sy = Task.spawn(() -> { y.send("y"); return null; });
            Task<Void> sx = Task.spawn(() -> { x.send("x"); return null; });
            Fired got = only(Run.join(w));
            assertEquals("y", got.result());
            Run.join(sy);
            assertFalse(sx.isDone(), "the other sender must still wait: its message was not taken");
            assertEquals("x", x.tryReceive().orElseThrow());
            Run.join(sx);
            return null;
        });
    }

    /** A wait that ends by its timeout or another event took and sent nothing through its committing events. */
    @Test
    void aWaitEndedByAnotherEventCommitsNothing() throws Exception {
        rootWith(Chan.rendezvous(), c -> {
            Event t = Event.after(Duration.ofMillis(5));
            Fired f = only(kernel.wait(List.of(Event.receive(c), Event.send(c, "unsent"), t), null));
            assertSame(t, f.event());
            assertFalse(c.trySend("x"), "the receive offer is gone");
            assertEquals(Optional.empty(), c.tryReceive(), "the send offer is gone");
            Task<Void> done = Task.spawn(() -> null);
            f = only(kernel.wait(List.of(Event.receive(c), Event.done(done)), null));
            assertEquals(Filter.DONE, f.filter());
            assertFalse(c.trySend("y"));
            // a readiness event of the same wait does not fire on the wait's own offer
            Event recv = Event.recv(c), send = Event.send(c);
            f = only(kernel.wait(List.of(Event.send(c, "mine"), recv, send, Event.receive(c), t), null));
            assertSame(t, f.event(), "only the timeout fires: " + f);
        });
    }

    @Test
    void closingTheChannelEndsACommittingWaitWithNothingMoved() throws Exception {
        Run.root(kernel, () -> {
            Chan<String> c = Chan.rendezvous(), d = Chan.rendezvous();
            Task<Fired> r = Task.spawn(() -> only(kernel.wait(List.of(Event.receive(c)), null)));
            Task<Fired> s = Task.spawn(() -> only(kernel.wait(List.of(Event.send(d, "late")), null)));
            Task.yieldNow();
            c.close();
            d.close();
            Fired rf = Run.join(r), sf = Run.join(s);
            assertTrue(rf.isEof());
            assertFalse(rf.isError());
            assertNull(rf.result());
            assertTrue(sf.isEof());
            assertTrue(sf.isError(), "a committing send on a closed channel is an error: not sent");
            assertTrue(sf.error() instanceof ChanClosedException, "got " + sf.error());
            // already closed when the wait starts: fires at once
            sf = only(kernel.wait(List.of(Event.send(c, "x")), null));
            assertTrue(sf.isEof() && sf.isError());
            assertTrue(only(kernel.wait(List.of(Event.receive(c)), null)).isEof());
            // closed with messages left: the committing receive drains them first
            Chan<String> b = Chan.bounded(2);
            b.send("left");
            b.close();
            Fired left = only(kernel.wait(List.of(Event.receive(b)), null));
            assertFalse(left.isEof());
            assertEquals("left", left.result());
            assertTrue(only(kernel.wait(List.of(Event.receive(b)), null)).isEof());
            return null;
        });
    }

    @Test
    void committingEventsRefuseNullAndNameTheirOperation() {
        Chan<String> c = Chan.rendezvous();
        assertThrows(NullPointerException.class, () -> Event.send(c, null));
        assertThrows(NullPointerException.class, () -> Event.receive(null));
        assertTrue(Event.send(c, "hi").toString().contains("send hi to"), Event.send(c, "hi").toString());
        assertTrue(Event.receive(c).toString().contains("receive from"), Event.receive(c).toString());
        Event withAttachment = Event.send(c, "hi").withAttachment("tag");
        assertTrue(withAttachment.toString().contains("send hi to"), "the copy keeps the message: " + withAttachment);
    }

    /**
     * Go's TestSelfSelect: two parties each offer both a send and a receive on the same channel in
     * one wait, 1,000 times; on a rendezvous channel a wait never meets itself. Tasks of one
     * scheduler, and plain threads on kernels of their own.
     */
    @ParameterizedTest
    @EnumSource(value = Kind.class, names = {"RENDEZVOUS", "BOUNDED"})
    @Timeout(60)
    void goSelfSelect(Kind kind) throws Exception {
        Chan<Integer> c = kind == Kind.RENDEZVOUS ? Chan.rendezvous() : Chan.bounded(10);
        Run.root(kernel, () -> {
            List<Task<Void>> ts = new ArrayList<>();
            for (int p = 0; p < 2; p++) {
                int party = p;
                ts.add(Task.spawn(() -> { selfSelect(kernel, c, party, kind); return null; }));
            }
            for (Task<Void> t : ts) Run.join(t);
            return null;
        });
        Chan<Integer> d = kind == Kind.RENDEZVOUS ? Chan.rendezvous() : Chan.bounded(10);
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int p = 0; p < 2; p++) {
            int party = p;
            io.kwait.Kernel own = openKernel(io.kwait.TimeSource.system());
            threads.add(Thread.ofPlatform().name("self-select-" + p).start(() -> {
                try {
                    selfSelect(own, d, party, kind);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread t : threads) t.join();
        if (failure.get() != null) throw new AssertionError("a plain thread failed", failure.get());
    }

    private static void selfSelect(io.kwait.Kernel k, Chan<Integer> c, int party, Kind kind) throws Exception {
        Event send = Event.send(c, party), recv = Event.receive(c);
        for (int i = 0; i < 1000; i++) {
            List<Event> events = party == 0 || i % 2 == 0 ? List.of(send, recv) : List.of(recv, send);
            Fired f = only(k.wait(events, Duration.ofSeconds(20)));
            if (f.event() == recv && kind == Kind.RENDEZVOUS) {
                assertTrue((Integer) f.result() != party, "self receive: party " + party + " got its own message");
            }
        }
    }

    /**
     * Go's TestSelectStress: per channel (two rendezvous, bounded(2), bounded(3)) a task sends N
     * and a task receives N with plain calls, while one party sends N on each in a single
     * committing wait over all four (dropping a channel once it has had N) and one receives N from
     * each likewise. Nothing may deadlock; each side counts exactly N per channel. The two
     * selecting parties are tasks, then plain threads on kernels of their own.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    @Timeout(90)
    void goSelectStress(boolean selectorsOnThreads) throws Exception {
        final int n = 2000;
        List<Chan<Integer>> c = List.of(Chan.rendezvous(), Chan.rendezvous(), Chan.bounded(2), Chan.bounded(3));
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        if (selectorsOnThreads) {
            for (boolean sending : new boolean[] {true, false}) {
                io.kwait.Kernel own = openKernel(io.kwait.TimeSource.system());
                threads.add(Thread.ofPlatform().name("select-" + (sending ? "sender" : "receiver")).start(() -> {
                    try {
                        selectAll(own, c, n, sending);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
        }
        Run.root(kernel, () -> {
            List<Task<Void>> ts = new ArrayList<>();
            for (Chan<Integer> ch : c) {
                ts.add(Task.spawn(() -> { for (int i = 0; i < n; i++) ch.send(0); return null; }));
                ts.add(Task.spawn(() -> { for (int i = 0; i < n; i++) ch.receive(); return null; }));
            }
            if (!selectorsOnThreads) {
                ts.add(Task.spawn(() -> { selectAll(kernel, c, n, true); return null; }));
                ts.add(Task.spawn(() -> { selectAll(kernel, c, n, false); return null; }));
            }
            for (Task<Void> t : ts) Run.join(t);
            return null;
        });
        for (Thread t : threads) t.join();
        if (failure.get() != null) throw new AssertionError("a selecting thread failed", failure.get());
        for (Chan<Integer> ch : c) assertEquals(Optional.empty(), ch.tryReceive(), "every message was received");
    }

    /** One party of {@link #goSelectStress}: n sends (or receives) on each channel, one committing wait over all of them each time. */
    private static void selectAll(io.kwait.Kernel k, List<Chan<Integer>> c, int n, boolean sending) throws Exception {
        int[] count = new int[c.size()];
        List<Event> live = new ArrayList<>();
        int[] order = sending ? new int[] {3, 2, 0, 1} : new int[] {0, 1, 2, 3}; // as in Go's test
        for (int i : order) live.add((sending ? Event.send(c.get(i), 0) : Event.receive(c.get(i))).withAttachment(i));
        for (int i = 0; i < c.size() * n; i++) {
            Fired f = only(k.wait(live, Duration.ofSeconds(30)));
            assertFalse(f.isError() || f.isEof(), "no channel is closed: " + f);
            int ch = (Integer) f.attachment();
            if (++count[ch] == n) live.remove(f.event());
        }
        assertEquals(List.of(), live);
    }

    // ---------------------------------------------------------------- cross-thread wakeups

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aPlainThreadSendWakesATaskWaitingOnRecv(Kind kind) throws Exception {
        Chan<String> c = kind.make();
        PlainSender sender = new PlainSender(c, 1);
        String got = Run.root(kernel, () -> {
            Event e = Event.recv(c);
            sender.go();
            List<Fired> fired = kernel.wait(List.of(e, Event.after(Duration.ofHours(1))), null);
            assertEquals(1, fired.size());
            assertSame(e, fired.get(0).event());
            return c.tryReceive().orElseThrow();
        });
        sender.join();
        assertEquals("m0", got);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aPlainThreadSendWakesATaskBlockedInReceive(Kind kind) throws Exception {
        Chan<String> c = kind.make();
        PlainSender sender = new PlainSender(c, 100);
        rootWith(c, ch -> {
            sender.go();
            for (int i = 0; i < 100; i++) assertEquals("m" + i, ch.receive());
        });
        sender.join();
    }

    @Test
    void aPlainThreadReceiveWakesATaskBlockedInSend() throws Exception {
        Chan<Integer> c = Chan.rendezvous();
        List<Integer> got = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread th = new Thread(() -> {
            try {
                for (int v : c) got.add(v);
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        th.start();
        Run.root(kernel, () -> {
            for (int i = 0; i < 100; i++) c.send(i);
            c.close();
            return null;
        });
        th.join();
        assertNull(failure.get());
        assertEquals(100, got.size());
        for (int i = 0; i < 100; i++) assertEquals(i, got.get(i));
    }

    @Test
    @Timeout(60)
    void tasksOfTwoSchedulersOnTwoKernelsTalkThroughChannels() throws Exception {
        io.kwait.Kernel other = openKernel(io.kwait.TimeSource.system());
        Chan<Integer> ping = Chan.rendezvous();
        Chan<Integer> pong = Chan.bounded(1);
        final int rounds = 2000;
        AtomicReference<Throwable> otherFailure = new AtomicReference<>();
        Thread otherRunner = new Thread(() -> {
            try {
                Run.root(other, () -> {
                    Event recv = Event.recv(ping);
                    for (int i = 0; i < rounds; i++) {
                        if (i % 2 == 0) {
                            assertEquals(i, ping.receive());
                        } else {
                            other.wait(List.of(recv), null);
                            assertEquals(i, ping.tryReceive().orElseThrow());
                        }
                        pong.send(-i);
                    }
                    return null;
                });
            } catch (Throwable e) {
                otherFailure.set(e);
            }
        }, "other-scheduler");
        otherRunner.start();
        Run.root(kernel, () -> {
            for (int i = 0; i < rounds; i++) {
                ping.send(i);
                if (i % 3 == 0) {
                    kernel.wait(List.of(Event.recv(pong)), null);
                    assertEquals(-i, pong.tryReceive().orElseThrow());
                } else {
                    assertEquals(-i, pong.receive());
                }
            }
            return null;
        });
        otherRunner.join();
        assertNull(otherFailure.get());
    }

    // ---------------------------------------------------------------- exactly once under cancellation

    /**
     * A receiver is cancelled at many different points relative to a send (before it starts,
     * while it waits, after the message was handed to it but before it ran). Whatever happens,
     * each message ends up received exactly once: by the receiver, or left in the channel.
     * With {@code committing} the parties wait on {@code Event.receive}/{@code Event.send(c, m)}
     * instead: a wait that threw moved nothing, one that fired moved its message once.
     */
    @ParameterizedTest(name = "{0}, committing waits: {1}")
    @CsvSource({"RENDEZVOUS, false", "BOUNDED, false", "UNBOUNDED, false", "RENDEZVOUS, true", "BOUNDED, true", "UNBOUNDED, true"})
    @Timeout(60)
    void cancelledReceiversNeitherLoseNorDuplicate(Kind kind, boolean committing) throws Exception {
        final int iterations = 1500;
        Run.root(kernel, () -> {
            Chan<Integer> chan = kind.make();
            int[] count = new int[iterations];
            int receiverGot = 0, receiverCancelled = 0;
            for (int it = 0; it < iterations; it++) {
                int msg = it, a = it % 4, b = (it / 4) % 4, order = (it / 16) % 3;
                // spawn order rotates: receiver, sender, canceller in every cyclic order
                Task<Integer> r = null;
                Task<Void> sender = null, canceller = null;
                Object[] receiverRef = new Object[1];
                for (int k = 0; k < 3; k++) {
                    int which = (k + order) % 3;
                    if (which == 0) {
                        r = Task.spawn(() -> {
                            Integer v = receive(chan, committing);
                            count[v]++;
                            return v;
                        });
                        receiverRef[0] = r;
                    } else if (which == 1) {
                        sender = Task.spawn(() -> { Run.yields(a); send(chan, msg, committing && msg % 2 == 0); return null; });
                    } else {
                        canceller = Task.spawn(() -> {
                            Run.yields(b);
                            ((Task<?>) receiverRef[0]).cancel();
                            return null;
                        });
                    }
                }
                Run.join(canceller);
                try {
                    assertEquals(msg, Run.join(r));
                    receiverGot++;
                } catch (TaskCancelledException e) {
                    receiverCancelled++;
                }
                // what the receiver did not take is still in the channel (buffered, or a blocked sender)
                while (!sender.isDone() || chan.size() > 0) {
                    Optional<Integer> m = chan.tryReceive();
                    if (m.isPresent()) count[m.get()]++;
                    else Task.yieldNow();
                }
                Run.join(sender);
                assertEquals(1, count[msg], "message " + msg + " received " + count[msg] + " times (iteration " + it + ")");
                assertEquals(Optional.empty(), chan.tryReceive());
            }
            assertTrue(receiverGot > 0 && receiverCancelled > 0,
                    "the interleavings should cover both outcomes: got " + receiverGot + ", cancelled " + receiverCancelled);
            return null;
        });
    }

    /**
     * Senders on a full channel are cancelled at many points: a send that threw was not
     * delivered, one that returned was delivered exactly once.
     * With {@code committing} the parties wait on {@code Event.receive}/{@code Event.send(c, m)}
     * instead: a wait that threw moved nothing, one that fired moved its message once.
     */
    @ParameterizedTest(name = "{0}, committing waits: {1}")
    @CsvSource({"RENDEZVOUS, false", "BOUNDED, false", "RENDEZVOUS, true", "BOUNDED, true"})
    @Timeout(60)
    void cancelledSendersNeitherLoseNorDuplicate(Kind kind, boolean committing) throws Exception {
        final int iterations = 1500;
        Run.root(kernel, () -> {
            Chan<Integer> chan = kind == Kind.BOUNDED ? Chan.bounded(1) : Chan.rendezvous();
            int[] count = new int[iterations];
            int delivered = 0, withdrawn = 0;
            for (int it = 0; it < iterations; it++) {
                int msg = it, a = it % 3, b = (it / 3) % 4, c = (it / 12) % 4;
                if (kind == Kind.BOUNDED && (it / 48) % 2 == 0) assertTrue(chan.trySend(-1), "filler");
                Task<Boolean> s = Task.spawn(() -> {
                    Run.yields(a);
                    return send(chan, msg, committing);
                });
                Task<Void> canceller = Task.spawn(() -> { Run.yields(b); s.cancel(); return null; });
                Task<Void> receiver = Task.spawn(() -> {
                    Run.yields(c);
                    Optional<Integer> m = committing && msg % 2 == 0 ? committingPoll(chan) : chan.tryReceive();
                    if (m.isPresent() && m.get() >= 0) count[m.get()]++;
                    return null;
                });
                Run.join(canceller);
                Run.join(receiver);
                boolean sent;
                try {
                    sent = Run.join(s);
                } catch (TaskCancelledException e) {
                    sent = false;
                }
                Optional<Integer> m;
                while ((m = chan.tryReceive()).isPresent()) if (m.get() >= 0) count[m.get()]++;
                if (sent) {
                    delivered++;
                    assertEquals(1, count[msg], "a send that returned must be delivered once (iteration " + it + ")");
                } else {
                    withdrawn++;
                    assertEquals(0, count[msg], "a send that threw must not be delivered (iteration " + it + ")");
                }
            }
            assertTrue(delivered > 0 && withdrawn > 0, "both outcomes should occur: " + delivered + "/" + withdrawn);
            return null;
        });
    }

    /**
     * A plain thread sends while task receivers are cancelled over and over: every message is
     * received exactly once.
     * With {@code committing} the parties wait on {@code Event.receive}/{@code Event.send(c, m)}
     * instead: a wait that threw moved nothing, one that fired moved its message once.
     */
    @ParameterizedTest(name = "{0}, committing waits: {1}")
    @CsvSource({"RENDEZVOUS, false", "BOUNDED, false", "UNBOUNDED, false", "RENDEZVOUS, true", "BOUNDED, true", "UNBOUNDED, true"})
    @Timeout(90)
    void aPlainThreadSenderAndCancelledTaskReceiversNeitherLoseNorDuplicate(Kind kind, boolean committing) throws Exception {
        final int messages = 3000;
        Chan<Integer> chan = kind.make();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread sender = new Thread(() -> {
            try {
                for (int i = 0; i < messages; i++) chan.send(i);
                chan.close();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "plain-sender");
        int[] count = new int[messages];
        Run.root(kernel, () -> {
            sender.start();
            boolean closed = false;
            for (int round = 0; !closed; round++) {
                Task<Boolean> r = Task.spawn(() -> {
                    try {
                        while (true) {
                            Integer v = receive(chan, committing);
                            if (v == null) return true; // a committing receive fired EOF: closed and drained
                            count[v]++;
                        }
                    } catch (ChanClosedException e) {
                        return true;
                    }
                });
                switch (round % 4) {
                    case 0 -> Task.yieldNow();
                    case 1 -> Run.yields(3);
                    case 2 -> kernel.wait(List.of(Event.done(r)), Duration.ofMillis(1));
                    default -> { } // cancelled before it starts
                }
                r.cancel();
                try {
                    closed = r.join();
                } catch (TaskCancelledException e) {
                    closed = false;
                }
            }
            return null;
        });
        sender.join();
        assertNull(failure.get());
        for (int i = 0; i < messages; i++) {
            if (count[i] != 1) fail("message " + i + " received " + count[i] + " times");
        }
    }

    /** Task senders (with {@code committing}: in committing waits) are cancelled while a plain thread receives: exactly-once for what was sent. */
    @ParameterizedTest(name = "{0}, committing waits: {1}")
    @CsvSource({"RENDEZVOUS, false", "BOUNDED, false", "RENDEZVOUS, true", "BOUNDED, true"})
    @Timeout(90)
    void cancelledTaskSendersAndAPlainThreadReceiverNeitherLoseNorDuplicate(Kind kind, boolean committing) throws Exception {
        final int rounds = 2000;
        Chan<Integer> chan = kind.make();
        Set<Integer> received = ConcurrentHashMap.newKeySet();
        List<Integer> duplicates = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread receiver = new Thread(() -> {
            try {
                for (int v : chan) if (!received.add(v)) duplicates.add(v);
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "plain-receiver");
        receiver.start();
        Set<Integer> sent = new HashSet<>();
        Run.root(kernel, () -> {
            for (int round = 0; round < rounds; round++) {
                int msg = round;
                Task<Boolean> s = Task.spawn(() -> send(chan, msg, committing));
                switch (round % 4) {
                    case 0 -> Task.yieldNow();
                    case 1 -> Run.yields(2);
                    case 2 -> kernel.wait(List.of(Event.done(s)), Duration.ofMillis(1));
                    default -> { }
                }
                s.cancel();
                try {
                    if (Run.join(s)) sent.add(msg);
                } catch (TaskCancelledException e) {
                    // not sent
                }
            }
            chan.close();
            return null;
        });
        receiver.join();
        assertNull(failure.get());
        assertEquals(List.of(), duplicates);
        assertEquals(sent, received, "what was received must be exactly what was sent");
        assertFalse(sent.isEmpty());
    }

    // ---------------------------------------------------------------- helpers

    /** What a test does as the root task with one channel. */
    @FunctionalInterface
    private interface ChanBody {
        void run(Chan<String> c) throws Exception;
    }

    /** Runs {@code body} on {@code c} as the root task on the test's kernel (see {@link Run#root}). */
    private void rootWith(Chan<String> c, ChanBody body) throws Exception {
        Run.root(kernel, () -> {
            body.run(c);
            return null;
        });
    }

    /** Receives one message: by {@code receive()}, or by a committing wait (null when that fired EOF). */
    private Integer receive(Chan<Integer> chan, boolean committing) throws Exception {
        if (!committing) return chan.receive();
        return only(kernel.wait(List.of(Event.receive(chan)), null)).result(); // null at EOF
    }

    /** Sends one message: by {@code send()}, or by a committing wait (true: it fired, so it was sent). */
    private boolean send(Chan<Integer> chan, int message, boolean committing) throws Exception {
        if (!committing) {
            chan.send(message);
            return true;
        }
        Fired f = only(kernel.wait(List.of(Event.send(chan, message)), null));
        assertFalse(f.isError(), "the channel is never closed here: " + f);
        return true;
    }

    /** A committing receive that does not wait ({@code Duration.ZERO}): like {@code tryReceive}. */
    private Optional<Integer> committingPoll(Chan<Integer> chan) throws Exception {
        List<Fired> f = kernel.wait(List.of(Event.receive(chan)), Duration.ZERO);
        return f.isEmpty() ? Optional.empty() : Optional.of(f.get(0).result());
    }

    /** A plain thread that sends "m0", "m1", ... on a channel once {@link #go()} is called. */
    private static final class PlainSender {
        private final CountDownLatch go = new CountDownLatch(1);
        private final Outcome<Void> outcome;

        PlainSender(Chan<String> c, int messages) {
            outcome = onThread("plain-sender", () -> {
                go.await();
                for (int i = 0; i < messages; i++) c.send("m" + i);
                return null;
            });
        }

        /** Lets the thread send. */
        void go() {
            go.countDown();
        }

        /** Joins the thread (bounded), rethrowing what it threw. */
        void join() throws Exception {
            outcome.get();
        }
    }

    private static Fired only(List<Fired> fired) {
        assertEquals(1, fired.size(), "one event fired: " + fired);
        return fired.get(0);
    }
}
