package io.kwait.tests.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.kwait.Chan;
import io.kwait.ChanClosedException;
import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import io.kwait.TaskCancelledException;
import io.kwait.tests.ConformanceBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Channel messages among many tasks (and a few plain threads) over rendezvous, bounded and
 * unbounded channels, with senders and receivers cancelled and channels closed at random moments.
 * The ledger: every message a send reported as done is received exactly once; every message whose
 * send threw (cancelled, closed, interrupted) is never received; nothing arrives twice.
 *
 * <p>Parties use every way the API offers: {@code send}/{@code receive} (and the iterator), the
 * non-waiting {@code trySend}/{@code tryReceive} with {@code Task.yieldNow}, readiness waits
 * ({@code Event.send}/{@code Event.recv}) followed by a try, and committing waits
 * ({@code Event.send(chan, m)}/{@code Event.receive}), some with a short timer beside them, some
 * also offering to receive from the same or another channel in the same wait (Go's self-select);
 * one plain thread in two sends by committing waits on a kernel of its own. Two readiness parties
 * on a rendezvous channel never meet (neither offers: see {@code Chan}), and receivers are
 * cancelled, so the root closes every channel once no message moved for a while; that, and the
 * random closes, is how every run ends.
 */
@Timeout(value = 2, unit = java.util.concurrent.TimeUnit.HOURS) // the real bound is Reliability.budget()
public abstract class StressConformance extends ConformanceBase {

    private enum Way { PLAIN, TRY, READY, COMMIT }

    private final Set<Long> sentOk = ConcurrentHashMap.newKeySet();
    private final Set<Long> refused = ConcurrentHashMap.newKeySet();
    private final Map<Long, Integer> received = new ConcurrentHashMap<>();
    private final AtomicLong moved = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong committingWaits = new AtomicLong();

    @Test
    void messagesAmongManyTasksArriveExactlyOnce() {
        int messages = Reliability.scale(40_000, 1_000_000);
        int tasks = Reliability.scale(90, 1_000);
        long seed = Reliability.seed();
        long t0 = System.nanoTime();
        int[] cancels = new int[1];
        int[] closes = new int[1];
        List<Kernel> threadKernels = List.of(openKernel(io.kwait.TimeSource.system()));
        assertTimeoutPreemptively(Reliability.budget(), () -> {
            Scheduler.run(kernel, () -> {
                run(seed, messages, tasks, cancels, closes, threadKernels);
                return null;
            });
        }, () -> "seed " + seed + " (replay with -Dkwait.reliability.seed=" + seed + ")");
        long ms = Math.max(1, Reliability.ms(t0));
        String where = "seed " + seed + " (replay with -Dkwait.reliability.seed=" + seed + ")";
        assertEquals(0, duplicates.get(), "messages received twice; " + where);
        for (Long m : received.keySet()) {
            if (!sentOk.contains(m)) {
                fail("message " + m + " was received but its send " + (refused.contains(m) ? "threw" : "never ran") + "; " + where);
            }
        }
        Set<Long> lost = new java.util.HashSet<>(sentOk);
        lost.removeAll(received.keySet());
        assertTrue(lost.isEmpty(), lost.size() + " messages sent but never received, e.g. " + lost.stream().limit(5).toList() + "; " + where);
        Reliability.figure(backend(), "stress", String.format(java.util.Locale.ROOT,
                "%d sent, %d received exactly once, %d not taken (send threw or fired ERROR), 0 twice; %d tasks + 3 threads, "
                        + "%d committing waits, %d cancels, %d random closes; %d ms (%.0f msg/s); seed %d",
                sentOk.size(), received.size(), refused.size(), tasks, committingWaits.get(), cancels[0], closes[0], ms,
                received.size() * 1000.0 / ms, seed));
    }

    private void run(long seed, int messages, int tasks, int[] cancels, int[] closes, List<Kernel> threadKernels) throws Exception {
        Random rnd = new Random(seed);
        Kernel k = Scheduler.current().kernel();
        List<Chan<Long>> chans = List.of(Chan.rendezvous(), Chan.bounded(8), Chan.unbounded());
        int sendersPerChan = Math.max(1, tasks / 6);
        int receiversPerChan = Math.max(1, tasks / 3 - sendersPerChan);
        // Planned a quarter above the target: the random closes cut every channel short of its plan.
        int perSender = Math.max(1, messages * 5 / 4 / (chans.size() * (sendersPerChan + 1)));
        List<Task<?>> senders = new ArrayList<>();
        List<Task<?>> all = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long[] closeAt = new long[chans.size()];
        AtomicLong[] sentOn = new AtomicLong[chans.size()];
        long id = 0;
        for (int c = 0; c < chans.size(); c++) {
            Chan<Long> ch = chans.get(c);
            sentOn[c] = new AtomicLong();
            // A random close somewhere between half the planned messages and past them (then: at the end).
            closeAt[c] = (long) (perSender * (sendersPerChan + 1) * (0.5 + rnd.nextDouble() * 0.8));
            for (int s = 0; s < sendersPerChan; s++) {
                Way way = Way.values()[rnd.nextInt(Way.values().length)];
                long first = id;
                id += perSender;
                AtomicLong counter = sentOn[c];
                Random own = new Random(rnd.nextLong());
                Task<?> t = Task.spawn(() -> { sender(k, ch, way, first, perSender, counter, own); return null; });
                senders.add(t);
                all.add(t);
            }
            for (int r = 0; r < receiversPerChan; r++) {
                Way way = Way.values()[rnd.nextInt(Way.values().length)];
                Chan<Long> other = chans.get((c + 1 + rnd.nextInt(chans.size() - 1)) % chans.size());
                Random own = new Random(rnd.nextLong());
                all.add(Task.spawn(() -> { receiver(k, ch, way, other, own); return null; }));
            }
            long first = id;
            id += perSender;
            AtomicLong counter = sentOn[c];
            // One plain thread per channel sends too: cross-thread sends wake the kernel.
            Kernel own = c == 1 ? threadKernels.get(0) : null; // one thread sends by committing waits on its own kernel
            threads.add(Thread.ofPlatform().name("stress-sender-" + c).start(() -> threadSender(own, ch, first, perSender, counter)));
        }
        long lastMoved = -1;
        int idle = 0;
        while (senders.stream().anyMatch(t -> !t.isDone()) || threads.stream().anyMatch(Thread::isAlive)) {
            Task.yieldNow();
            if (rnd.nextInt(150) == 0) {
                Task<?> victim = all.get(rnd.nextInt(all.size()));
                if (victim.cancel()) cancels[0]++;
            }
            for (int c = 0; c < chans.size(); c++) {
                if (!chans.get(c).isClosed() && sentOn[c].get() >= closeAt[c]) {
                    chans.get(c).close();
                    closes[0]++;
                }
            }
            long m = moved.get();
            if (m != lastMoved) {
                lastMoved = m;
                idle = 0;
            } else if (++idle > 2_000) {
                // Nothing moves: the parties left cannot meet (readiness on both sides of a
                // rendezvous, or every receiver cancelled). Closing ends them all.
                for (Chan<Long> ch : chans) ch.close();
                if (idle > 2_000_000) throw new AssertionError("nothing finished after every channel was closed");
            }
        }
        for (Chan<Long> ch : chans) ch.close();
        for (Task<?> t : all) {
            try {
                t.join();
            } catch (TaskCancelledException cancelled) {
                // a random cancellation
            } catch (ExecutionException e) {
                throw new AssertionError("a party failed: " + e.getCause(), e.getCause());
            }
        }
        for (Thread t : threads) t.join();
        // What the last receivers did not take is still buffered: it is received here.
        for (Chan<Long> ch : chans) {
            for (Optional<Long> m; (m = ch.tryReceive()).isPresent(); ) got(m.get());
        }
    }

    private void sender(Kernel k, Chan<Long> ch, Way way, long first, int n, AtomicLong counter, Random rnd) throws Exception {
        Event ready = Event.send(ch);
        for (long m = first; m < first + n; m++) {
            try {
                switch (way) {
                    case COMMIT -> {
                        if (!commitSend(k, ch, m, rnd)) {
                            refused.add(m); // fired ERROR: the channel is closed, the message was not sent
                            return;
                        }
                    }
                    case PLAIN -> ch.send(m);
                    case TRY -> {
                        while (!ch.trySend(m)) Task.yieldNow();
                    }
                    case READY -> {
                        do {
                            k.wait(List.of(ready), null);
                        } while (!ch.trySend(m));
                    }
                }
            } catch (ChanClosedException | TaskCancelledException notTaken) {
                refused.add(m);
                if (notTaken instanceof TaskCancelledException c) throw c;
                return;
            }
            sentOk.add(m);
            counter.incrementAndGet();
            moved.incrementAndGet();
        }
    }

    private void threadSender(Kernel own, Chan<Long> ch, long first, int n, AtomicLong counter) {
        Random rnd = new Random(first);
        for (long m = first; m < first + n; m++) {
            try {
                if (own == null) {
                    ch.send(m);
                } else if (!commitSend(own, ch, m, rnd)) {
                    refused.add(m);
                    return;
                }
            } catch (ChanClosedException closed) {
                refused.add(m);
                return;
            } catch (InterruptedException e) {
                refused.add(m);
                return;
            }
            sentOk.add(m);
            counter.incrementAndGet();
            moved.incrementAndGet();
        }
    }

    private void receiver(Kernel k, Chan<Long> ch, Way way, Chan<Long> other, Random rnd) throws Exception {
        Event ready = Event.recv(ch);
        switch (way) {
            case COMMIT -> {
                Event mine = Event.receive(ch), theirs = Event.receive(other), soon = Event.after(Duration.ofMillis(1));
                boolean otherOpen = true;
                for (;;) {
                    List<Event> events = new ArrayList<>(3);
                    events.add(mine);
                    if (otherOpen && rnd.nextInt(3) == 0) events.add(rnd.nextBoolean() ? 0 : 1, theirs);
                    if (rnd.nextInt(4) == 0) events.add(soon);
                    committingWaits.incrementAndGet();
                    int committed = 0;
                    boolean end = false;
                    for (Fired f : k.wait(events, null)) {
                        if (f.event() == soon) continue;
                        if (f.isEof()) {
                            if (f.event() == mine) end = true;
                            else otherOpen = false;
                        } else {
                            committed++;
                            got(f.<Long>result());
                        }
                    }
                    if (committed > 1) throw new AssertionError("one wait committed " + committed + " receives");
                    if (end) return;
                }
            }
            case PLAIN -> {
                for (Long m : ch) got(m);
            }
            case TRY -> {
                for (;;) {
                    Optional<Long> m = ch.tryReceive();
                    if (m.isPresent()) got(m.get());
                    else if (ch.isClosed() && ch.size() == 0) return;
                    else Task.yieldNow();
                }
            }
            case READY -> {
                for (;;) {
                    k.wait(List.of(ready), null);
                    Optional<Long> m = ch.tryReceive();
                    if (m.isPresent()) got(m.get());
                    else if (ch.isClosed() && ch.size() == 0) return;
                }
            }
        }
    }

    /**
     * Sends {@code m} by committing waits until one fires (a short timer or a self-select receive
     * may end a wait first: then nothing was sent, and it waits again); false when the channel is
     * closed (fired ERROR: not sent). A self-select receive that fired took a message: it counts.
     */
    private boolean commitSend(Kernel k, Chan<Long> ch, long m, Random rnd) throws InterruptedException {
        Event send = Event.send(ch, m), recv = Event.receive(ch), soon = Event.after(Duration.ofMillis(1));
        for (;;) {
            List<Event> events = new ArrayList<>(3);
            events.add(send);
            if (rnd.nextInt(5) == 0) events.add(rnd.nextBoolean() ? 0 : 1, recv); // Go's self-select
            if (rnd.nextInt(4) == 0) events.add(soon);
            committingWaits.incrementAndGet();
            boolean sent = false, closed = false;
            int committed = 0;
            for (Fired f : k.wait(events, Duration.ofSeconds(1))) {
                if (f.event() == send) {
                    if (f.isError()) closed = true;
                    else { sent = true; committed++; }
                } else if (f.event() == recv && !f.isEof()) {
                    committed++;
                    got(f.<Long>result());
                }
            }
            if (committed > 1) throw new AssertionError("one wait committed " + committed + " operations");
            if (sent) return true;
            if (closed) return false;
        }
    }

    private void got(long m) {
        if (received.merge(m, 1, Integer::sum) > 1) duplicates.incrementAndGet();
        moved.incrementAndGet();
    }
}
