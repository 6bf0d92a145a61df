package io.kwait;

import io.kwait.core.Access;
import io.kwait.core.FdHome;
import io.kwait.core.ProcessHome;
import io.kwait.core.SignalHome;
import io.kwait.core.TimerHome;
import java.nio.channels.SelectableChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * One thing to wait for: a resource, a {@link Filter}, and an optional attachment handed back in
 * the {@link Fired}. Built by the static factories; immutable (see {@link #every} for the one
 * piece of state a periodic timer keeps); reusable across any number of {@link Kernel#wait} calls,
 * which is the intended use: build the list once, wait on it in a loop.
 *
 * <pre>{@code
 * List<Event> events = List.of(Event.exit(child), Event.readable(server), Event.every(Duration.ofSeconds(1)));
 * for (Fired f : kernel.wait(events, null)) { ... }
 * }</pre>
 *
 * <p>A {@link Chan} is waited on in two forms: <em>committing</em> events, where the wait itself
 * receives ({@link #receive}) or sends ({@link #send(Chan, Object)}) and at most one of them
 * commits per wait (Go's {@code select}), and <em>readiness</em> events ({@link #recv},
 * {@link #send(Chan)}), which only report that a {@code tryReceive}/{@code trySend} would
 * not wait now. The rules are in {@link Chan}.
 *
 * <p>Errors about the event itself throw here, at construction, with a message naming the way
 * out: null (also a null message), a filter the resource cannot have, a negative fd, a pid with no process, a negative
 * delay ({@link #after}: unlike Go's timers, which fire at once, it is refused like a negative
 * {@code Task.sleep} or wait timeout; use {@code Duration.ZERO} to fire at once), a period that
 * is not positive, a signal the JVM reserves or this platform lacks ({@code INFO} on Linux).
 * What only the kernel can judge (a channel in blocking mode, a raw fd on a backend without raw
 * fds) throws at {@link Kernel#wait}.
 */
public final class Event {

    /** What kind of resource an event is about. */
    public enum Kind {
        /** A {@link SelectableChannel}. */ CHANNEL,
        /** A raw int file descriptor (native backends only). */ FD,
        /** A process. */ PROCESS,
        /** A one-shot timer relative to the start of each wait ({@link #after}). */ TIMER_AFTER,
        /** A one-shot timer at an absolute time ({@link #at}). */ TIMER_AT,
        /** A periodic timer ({@link #every}). */ TIMER_EVERY,
        /** A signal. */ SIGNAL,
        /** A {@link Task}. */ TASK,
        /** A {@link Chan}. */ CHAN,
        /** A {@link CompletionStage}. */ STAGE
    }

    static {
        Access.install(new Bridge());
    }

    private final Kind kind;
    private final Filter filter;
    private final Object resource;        // channel, Process/ProcessHandle, Task, Chan, CompletionStage, signal name, Instant
    private final long number;            // fd, pid, or delay/period in nanos
    private final Object attachment;
    private final TimerHome.Schedule every; // only for TIMER_EVERY
    private final Object message;           // only for a committing send (Event.send(chan, message))

    private Event(Kind kind, Filter filter, Object resource, long number, Object attachment, TimerHome.Schedule every) {
        this(kind, filter, resource, number, attachment, every, null);
    }

    private Event(Kind kind, Filter filter, Object resource, long number, Object attachment, TimerHome.Schedule every,
                  Object message) {
        this.kind = kind;
        this.filter = filter;
        this.resource = resource;
        this.number = number;
        this.attachment = attachment;
        this.every = every;
        this.message = message;
    }

    /** {@code number} of a channel event: readiness, or the wait performs the operation. */
    private static final long READINESS = 0, COMMITS = 1;

    // ---------------------------------------------------------------- fds

    /**
     * The channel is readable: data to read, end of stream, or (for a {@code ServerSocketChannel})
     * a connection to accept. The channel must be in non-blocking mode when waited on.
     *
     * <p>A channel closed while a wait watches it (by another thread or task) ends that wait with
     * this event's ERROR {@link Fired} ({@code ClosedChannelException}) within about 50 ms, on
     * every backend: the OS drops a closed fd without a word, so the kernel asks the channels it
     * waits on {@code isOpen()} at that interval. The same holds for {@link #writable}.
     */
    public static Event readable(SelectableChannel channel) {
        Objects.requireNonNull(channel, "channel");
        FdHome.checkReadable(channel);
        return new Event(Kind.CHANNEL, Filter.READ, channel, -1, null, null);
    }

    /**
     * The channel is writable, or — for a {@code SocketChannel} with a connect pending — the
     * connect completed (call {@code finishConnect()}). Non-blocking mode required.
     */
    public static Event writable(SelectableChannel channel) {
        Objects.requireNonNull(channel, "channel");
        FdHome.checkWritable(channel);
        return new Event(Kind.CHANNEL, Filter.WRITE, channel, -1, null, null);
    }

    /**
     * A raw file descriptor the caller owns is readable. Served by the native backends only; the
     * select backend refuses it at {@code wait} with a message naming them. Regular files are not
     * pollable.
     */
    public static Event readable(int fd) {
        return new Event(Kind.FD, Filter.READ, null, FdHome.checkFd(fd), null, null);
    }

    /** A raw file descriptor is writable. See {@link #readable(int)}. */
    public static Event writable(int fd) {
        return new Event(Kind.FD, Filter.WRITE, null, FdHome.checkFd(fd), null, null);
    }

    // ---------------------------------------------------------------- processes

    /**
     * The child process exited; {@link Fired#exitStatus()} is {@link Process#exitValue()}.
     * Fires at once if it already has. kwait never reaps the child itself (the JDK does).
     *
     * <p>The rule for the exit status, the same on every backend: it is known exactly for events
     * built from a {@code Process}; an event built from a {@link ProcessHandle} or a pid gets an
     * empty {@link Fired#exitStatus()}, even for a child of this JVM (the JDK keeps the status in
     * its {@code Process} only) and even where the OS reports one (the BSDs' NOTE_EXIT).
     */
    public static Event exit(Process process) {
        Objects.requireNonNull(process, "process");
        return new Event(Kind.PROCESS, Filter.EXIT, process, process.pid(), null, null);
    }

    /**
     * The process exited. The exit status is unknown ({@link Fired#exitStatus()} empty), whoever
     * started it: see {@link #exit(Process)} for the rule. Fires at once if it already has.
     */
    public static Event exit(ProcessHandle process) {
        Objects.requireNonNull(process, "process");
        return new Event(Kind.PROCESS, Filter.EXIT, process, process.pid(), null, null);
    }

    /**
     * The child exited and kwait reaped it; {@link Fired#exitStatus()} is its exit status, as
     * {@link Process#exitValue()} reports it (128 + N when killed by signal N). Fires at once if it
     * already has. Wait on the kernel that started the child.
     */
    public static Event exit(Child child) {
        Objects.requireNonNull(child, "child");
        return new Event(Kind.PROCESS, Filter.EXIT, child, child.pid(), null, null);
    }

    /**
     * The process with this pid exited; the exit status is unknown (see {@link #exit(Process)}).
     *
     * @throws IllegalArgumentException no process has this pid now; if it may already have
     *                                  exited, build the event from a {@link ProcessHandle} taken while it lived
     */
    public static Event exit(long pid) {
        ProcessHandle handle = ProcessHome.handleOf(pid);
        return new Event(Kind.PROCESS, Filter.EXIT, handle, pid, null, null);
    }

    // ---------------------------------------------------------------- timers

    /**
     * Expires {@code delay} after the start of each wait it is passed to: an idle timeout.
     * {@code Duration.ZERO} fires at once.
     *
     * @throws IllegalArgumentException a negative delay (use {@code Duration.ZERO} to fire at once)
     */
    public static Event after(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        return new Event(Kind.TIMER_AFTER, Filter.EXPIRE, null, TimerHome.delayNanos(delay), null, null);
    }

    /**
     * Expires at an absolute wall-clock time, converted to the kernel's monotonic clock when the
     * wait starts. A time in the past fires at once.
     */
    public static Event at(Instant deadline) {
        Objects.requireNonNull(deadline, "deadline");
        return new Event(Kind.TIMER_AT, Filter.EXPIRE, deadline, 0, null, null);
    }

    /**
     * Expires every {@code period}, on a schedule this event keeps across waits (the first
     * expiry is one period after the first wait that includes it). {@link Fired#count()} says how
     * many periods passed since it last fired, so a slow loop never loses ticks. Use one such
     * event per loop: two loops sharing it share its schedule.
     */
    public static Event every(Duration period) {
        Objects.requireNonNull(period, "period");
        return new Event(Kind.TIMER_EVERY, Filter.EXPIRE, null, TimerHome.periodNanos(period), null, new TimerHome.Schedule());
    }

    // ---------------------------------------------------------------- signals

    /**
     * A signal delivered to this JVM, by name with or without {@code SIG} ({@code "TERM"},
     * {@code "SIGUSR1"}). {@link Fired#count()} is the number of deliveries since it last fired.
     * While a kernel watches a signal, kwait's handler replaces the previous one (the JVM's
     * shutdown for TERM/INT/HUP).
     *
     * <p>When the last watch of a signal in this JVM ends (the last kernel watching it closes or
     * {@linkplain Kernel#unwatch unwatches} it, or the only wait on it throws), kwait's handler stays
     * one more second and swallows what arrives meanwhile: a delivery sent while a kernel watched
     * may still be on its way, and for USR1, USR2, ALRM and most others the previous disposition is
     * the default action, which ends the JVM. One second after the last watch ended the previous
     * handler is back (or, if other code installed a handler in that second, that one stays).
     * Watching the signal again within the second takes kwait's handler up again at once.
     *
     * @throws IllegalArgumentException for QUIT, KILL, STOP and the others the JVM reserves, an unknown
     *                                  name, or a signal this platform lacks ({@code INFO} on Linux)
     */
    public static Event signal(String name) {
        Objects.requireNonNull(name, "name");
        return new Event(Kind.SIGNAL, Filter.SIGNAL, SignalHome.canonicalName(name), 0, null, null);
    }

    // ---------------------------------------------------------------- tasks, channels, stages

    /**
     * The task finished: {@link Fired#result()} is its value, {@link Fired#error()} its exception.
     * Everything the task did happens-before the return of the wait that reports this event.
     */
    public static Event done(Task<?> task) {
        Objects.requireNonNull(task, "task");
        return new Event(Kind.TASK, Filter.DONE, task, 0, null, null);
    }

    /**
     * The stage completed: {@link Fired#result()} is its value, {@link Fired#error()} its exception.
     * The stage's completion, and everything its completing thread did before, happens-before the
     * return of the wait that reports this event; this is how a task waits for work it offloaded
     * to another thread ({@code CompletableFuture.supplyAsync(work, executor)}).
     */
    public static Event done(CompletionStage<?> stage) {
        Objects.requireNonNull(stage, "stage");
        return new Event(Kind.STAGE, Filter.DONE, stage, 0, null, null);
    }

    /**
     * Readiness: the channel has a message ready to receive (buffered, or a sender parked on it),
     * or is closed and drained ({@link Fired#isEof()}). The wait itself takes nothing: take the
     * message with {@link Chan#tryReceive()}, which may come back empty when another party took
     * it first. To have the wait take the message, use {@link #receive(Chan)}.
     *
     * <p>A readiness event only observes, it does not offer: on a rendezvous channel a readiness
     * waiter meets a blocked {@link Chan#send} or a committing {@link #send(Chan, Object)}, never
     * another readiness waiter ({@code recv} here and {@link #send(Chan)} there wait for ever).
     * See {@link Chan} for the whole rule.
     */
    public static Event recv(Chan<?> chan) {
        Objects.requireNonNull(chan, "chan");
        return new Event(Kind.CHAN, Filter.RECV, chan, READINESS, null, null);
    }

    /**
     * Readiness: the channel would take a message now ({@link Chan#trySend} would succeed: room in
     * the buffer, or a receiver parked on it), or is closed ({@link Fired#isEof()}). The wait
     * itself sends nothing; to have it send, use {@link #send(Chan, Object)}. Like {@link #recv},
     * it meets only parties that offer (see there).
     */
    public static Event send(Chan<?> chan) {
        Objects.requireNonNull(chan, "chan");
        return new Event(Kind.CHAN, Filter.SEND, chan, READINESS, null, null);
    }

    /**
     * Committing receive (Go's {@code case v := <-c} in a {@code select}): the wait itself
     * receives. It fires when it has taken a message, which is then {@link Fired#result()} (the
     * RECV filter); or, with nothing taken, with {@link Fired#isEof()} when the channel is closed
     * and drained. At most one committing event commits per wait; a wait that returns without
     * this event, or throws, took nothing through it. Reusable: each wait in which it fires takes
     * one message. See {@link Chan} for how committing and readiness events meet.
     */
    public static Event receive(Chan<?> chan) {
        Objects.requireNonNull(chan, "chan");
        return new Event(Kind.CHAN, Filter.RECV, chan, COMMITS, null, null);
    }

    /**
     * Committing send (Go's {@code case c <- message} in a {@code select}): the wait itself sends
     * {@code message}. It fires (the SEND filter) when the channel has taken it: a receiver has
     * it, or it is buffered. On a closed channel it fires with {@link Fired#isEof()} and
     * {@link Fired#isError()} ({@link Fired#error()} a {@link ChanClosedException}): not sent. At
     * most one committing event commits per wait; a wait that returns without this event, or
     * throws, did not send the message. Reusable: each wait in which it fires sends
     * {@code message} once more. See {@link Chan}.
     *
     * @throws NullPointerException {@code message} is null (channels do not carry null)
     */
    public static <T> Event send(Chan<? super T> chan, T message) {
        Objects.requireNonNull(chan, "chan");
        Objects.requireNonNull(message, "message: channels do not carry null");
        return new Event(Kind.CHAN, Filter.SEND, chan, COMMITS, null, null, message);
    }

    // ---------------------------------------------------------------- accessors

    /** A copy of this event that carries {@code attachment}, handed back by {@link Fired#attachment()}. */
    public Event withAttachment(Object attachment) {
        return new Event(kind, filter, resource, number, attachment,
                kind == Kind.TIMER_EVERY ? new TimerHome.Schedule() : null, message);
    }

    /** The resource kind. */
    public Kind kind() { return kind; }

    /** The filter. */
    public Filter filter() { return filter; }

    /** The caller's attachment, or null. */
    public Object attachment() { return attachment; }

    /**
     * The resource object: the channel, {@code Process}/{@code ProcessHandle}, task, chan, stage,
     * signal name or deadline; null for raw fds and relative timers (see {@link #fd()}, {@link #duration()}).
     */
    public Object resource() { return resource; }

    /** The fd for {@link Kind#FD}, otherwise -1 (a channel's fd is not exposed by the JDK). */
    public long fd() { return kind == Kind.FD ? number : -1; }

    /** The pid for {@link Kind#PROCESS}, otherwise -1. */
    public long pid() { return kind == Kind.PROCESS ? number : -1; }

    /** The delay of {@link #after} or the period of {@link #every}, otherwise null. */
    public Duration duration() {
        return kind == Kind.TIMER_AFTER || kind == Kind.TIMER_EVERY ? Duration.ofNanos(number) : null;
    }

    @Override
    public String toString() {
        String what = switch (kind) {
            case CHANNEL -> resource.getClass().getSimpleName();
            case FD -> "fd " + number;
            case PROCESS -> "pid " + number;
            case TIMER_AFTER -> "after " + Duration.ofNanos(number);
            case TIMER_AT -> "at " + resource;
            case TIMER_EVERY -> "every " + Duration.ofNanos(number);
            case SIGNAL -> "SIG" + resource;
            case CHAN -> number != COMMITS ? String.valueOf(resource)
                    : filter == Filter.RECV ? "receive from " + resource : "send " + message + " to " + resource;
            case TASK, STAGE -> String.valueOf(resource);
        };
        return filter + "(" + what + (attachment != null ? ", " + attachment : "") + ")";
    }

    long number() { return number; }

    boolean commits() { return kind == Kind.CHAN && number == COMMITS; }

    Object message() { return message; }

    TimerHome.Schedule schedule() { return every; }
}
