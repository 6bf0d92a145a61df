package io.kwait.core;

import io.kwait.Event;
import io.kwait.spi.Backend;
import io.kwait.spi.Capability;
import io.kwait.spi.Interest;
import io.kwait.spi.ReadyFlags;
import io.kwait.spi.Source;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The home of processes: one {@link Watch} per pid, served natively where the backend has
 * {@link Capability#PROCESS_EXIT} (pidfd, EVFILT_PROC) and else, or when the backend refuses,
 * through the JDK's {@code onExit()} (the relay). Liveness is asked of the JDK, whose handles
 * check the start time against pid reuse.
 */
public final class ProcessHome implements Home {
    private final Loop loop;
    private final Backend backend;
    private final Map<Long, Watch> watches = new HashMap<>();

    ProcessHome(Loop loop) {
        this.loop = loop;
        this.backend = loop.backend;
    }

    // ---------------------------------------------------------------- validation (Event's factories)

    /** The handle of a live pid, for {@code Event.exit(long)}. */
    public static ProcessHandle handleOf(long pid) {
        return ProcessHandle.of(pid).orElseThrow(() -> new IllegalArgumentException(
                "no process with pid " + pid + "; if it may already have exited, build the event with "
                        + "Event.exit(ProcessHandle) from a handle taken while it was alive"));
    }

    // ---------------------------------------------------------------- watches

    /** One process watched by this kernel. */
    final class Watch extends Source {
        Process process;
        ProcessHandle handle;
        boolean exited, statusKnown, nativeArmed, nativeFailed, relayStarted;
        long status = -1;
        final ArrayList<Subscription> subs = new ArrayList<>(1);

        Watch(long pid) { super(Kind.PROCESS, pid); }

        /**
         * The backend's exit report. A status it carries ({@link ReadyFlags#EXIT_STATUS}, the
         * BSDs' NOTE_EXIT) is not used: the rule is the same on every backend, see {@link #fired}.
         */
        void dispatch(int flags, long data) {
            nativeArmed = false; // a process reports its exit once
            exitObserved();
        }

        void exitObserved() {
            if (exited || watches.get(pid()) != this) return; // seen already, or dropped
            if (process != null ? process.isAlive() : isUnreapedChild(handle)) {
                // The OS says it exited (a native watch fires at zombie time) but the JDK has not reaped
                // it yet and still calls it alive: its exit, and its exit value, come from the JDK.
                startRelay();
                return;
            }
            markExited();
            for (Subscription s : new ArrayList<>(subs)) s.fire(fired(s.event()));
            if (subs.isEmpty()) drop();
        }

        /** Whether the JDK says the process is no longer alive (it checks the start time against pid reuse). */
        boolean isGone() {
            return process != null ? !process.isAlive() : !handle.isAlive();
        }

        private void markExited() {
            exited = true;
            if (process != null) {
                status = process.exitValue();
                statusKnown = true;
            }
        }

        /**
         * The one rule for the exit status, on every backend: known exactly when the event was
         * built from a {@link Process} (the JDK's {@code exitValue()}); by handle or pid it is
         * unknown, even for a child of this JVM (the JDK reaps it and keeps the status in its
         * {@code Process} only) and whatever the OS told.
         */
        io.kwait.Fired fired(Event e) {
            boolean known = statusKnown && e.resource() instanceof Process;
            return Access.api().fired(e, 0, known ? status : -1, null, null, known);
        }

        void startRelay() {
            if (relayStarted) return;
            relayStarted = true;
            CompletableFuture<?> f = process != null ? process.onExit() : handle.onExit();
            f.whenComplete((x, err) -> loop.post(this::exitObserved));
        }

        void drop() {
            if (nativeArmed) backend.deregister(this);
            nativeArmed = false;
            watches.remove(pid(), this);
        }
    }

    /**
     * A child of this JVM watched by handle or pid, that exited but is still a zombie: the JDK's
     * reaper is about to reap it, and {@code isAlive()} stays true until then. Another process's
     * zombie counts as exited: its parent may reap it much later, or never.
     */
    private static boolean isUnreapedChild(ProcessHandle h) {
        return h.isAlive() && h.parent().map(ProcessHandle::pid).orElse(-1L) == ProcessHandle.current().pid();
    }

    @Override
    public void check(Event e) {
        if (e.resource() instanceof io.kwait.Child c) Access.api().core(c).checkLoop(loop);
    }

    @Override
    public void subscribe(WaitCall call, int i, Event e) {
        if (e.resource() instanceof io.kwait.Child c) { // a child kwait started reaps itself: its own watch
            Access.api().core(c).subscribeExit(call, i, e, this);
            return;
        }
        long pid = Access.api().number(e);
        Watch w = watches.get(pid);
        if (w == null) {
            w = new Watch(pid);
            watches.put(pid, w);
        }
        if (e.resource() instanceof Process p) {
            if (w.process == null) { w.process = p; w.handle = p.toHandle(); }
        } else if (w.handle == null) {
            w.handle = (ProcessHandle) e.resource();
        }
        // Asked on every wait, even with a watch armed: its notice may still be on its way, and an
        // exited process must fire at once. Seen here first, exitObserved also fires the waits
        // already subscribed.
        if (!w.exited && w.isGone()) w.exitObserved();
        if (w.exited) {
            call.fire(i, w.fired(e));
            if (w.subs.isEmpty()) w.drop();
            return;
        }
        Subscription sub = new Subscription(call, i, this, w, 0);
        w.subs.add(sub);
        call.add(sub);
        if (loop.capabilities.contains(Capability.PROCESS_EXIT) && !w.nativeFailed) {
            if (!w.nativeArmed) {
                try {
                    backend.register(w, Interest.EXIT);
                    w.nativeArmed = true;
                    // It may have died (and its pid been reused) between the liveness check and the
                    // native watch; the JDK's handle checks the start time, so ask it again now.
                    if (w.isGone()) w.exitObserved();
                } catch (IOException | IllegalArgumentException ex) {
                    Loop.LOG.log(System.Logger.Level.DEBUG, "kwait: native exit watch refused for pid " + pid + ", using the relay", ex);
                    w.nativeFailed = true;
                    w.startRelay();
                }
            }
        } else {
            w.startRelay();
        }
    }

    @Override
    public void release(Subscription s, boolean abandoned) {
        if (s.watch instanceof ChildCore c) {
            c.subs.remove(s);
            return;
        }
        Watch w = (Watch) s.watch;
        w.subs.remove(s);
        // An idle watch of a live process stays after a normal return (the next wait re-arms
        // nothing); after a wait that threw it goes at once. A relay's onExit callback cannot be
        // taken off the JDK's future: it finds the watch dropped and does nothing.
        if (w.subs.isEmpty() && (w.exited || abandoned)) w.drop();
    }

    @Override
    public int count() { return watches.size(); }

    @Override
    public void close() {
        for (Watch w : watches.values()) if (w.nativeArmed) backend.deregister(w);
        watches.clear();
    }
}
