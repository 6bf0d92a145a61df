package io.kwait.bench;

import io.kwait.Event;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import io.netty.util.HashedWheelTimer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 6, lateness: {@code count} timers due at 1 ms spacing, all scheduled up front
 * (the first is due {@code leadMs} after scheduling starts). Lateness = the time the timer's code
 * ran minus its due time.
 */
public final class Lateness {
    private Lateness() {}

    /** kwait: one task per timer, each in kernel.wait(after(due - now)). */
    public static List<Row> kwait(Args a) throws Exception {
        String backend = a.str("backend");
        int count = a.integer("count", 10_000);
        long spacing = a.lng("spacingUs", 1000) * 1000, lead = a.lng("leadMs", 300) * 1_000_000;
        double[] late = new double[count];
        try (Kernel k = Kernel.open(backend)) {
            Scheduler.run(k, () -> {
                long base = System.nanoTime() + lead;
                List<Task<Void>> tasks = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    int idx = i;
                    long due = base + i * spacing;
                    tasks.add(Task.spawn(() -> {
                        long d = due - System.nanoTime();
                        k.wait(List.of(Event.after(Duration.ofNanos(Math.max(0, d)))), null);
                        late[idx] = System.nanoTime() - due;
                        return null;
                    }));
                }
                for (Task<Void> t : tasks) t.join();
                return null;
            });
        }
        return List.of(new Row("6l", Kw.key(backend, null), Kw.name(backend) + ": a task per timer in wait(after)", "kwait", backend,
                "ns", "dist", late).put("count", count));
    }

    /** Peer: ScheduledThreadPoolExecutor with one thread. */
    public static List<Row> stpe(Args a) throws Exception {
        int count = a.integer("count", 10_000);
        long spacing = a.lng("spacingUs", 1000) * 1000, lead = a.lng("leadMs", 300) * 1_000_000;
        double[] late = new double[count];
        ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1);
        ex.setRemoveOnCancelPolicy(true);
        CountDownLatch all = new CountDownLatch(count);
        long base = System.nanoTime() + lead;
        for (int i = 0; i < count; i++) {
            int idx = i;
            long due = base + i * spacing;
            ex.schedule(() -> { late[idx] = System.nanoTime() - due; all.countDown(); }, due - System.nanoTime(), TimeUnit.NANOSECONDS);
        }
        all.await();
        ex.shutdown();
        return List.of(new Row("6l", "stpe", "ScheduledThreadPoolExecutor (1 thread)", "peer", "", "ns", "dist", late).put("count", count));
    }

    /** Peer: Netty HashedWheelTimer with a 1 ms tick. */
    public static List<Row> wheel(Args a) throws Exception {
        int count = a.integer("count", 10_000);
        long spacing = a.lng("spacingUs", 1000) * 1000, lead = a.lng("leadMs", 300) * 1_000_000;
        double[] late = new double[count];
        HashedWheelTimer timer = new HashedWheelTimer(1, TimeUnit.MILLISECONDS, 512);
        timer.start();
        CountDownLatch all = new CountDownLatch(count);
        long base = System.nanoTime() + lead;
        for (int i = 0; i < count; i++) {
            int idx = i;
            long due = base + i * spacing;
            timer.newTimeout(t -> { late[idx] = System.nanoTime() - due; all.countDown(); }, due - System.nanoTime(), TimeUnit.NANOSECONDS);
        }
        all.await();
        timer.stop();
        return List.of(new Row("6l", "wheel", "Netty HashedWheelTimer, tick 1 ms", "peer", "", "ns", "dist", late).put("count", count));
    }
}
