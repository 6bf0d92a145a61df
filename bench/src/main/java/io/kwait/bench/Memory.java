package io.kwait.bench;

import io.kwait.Chan;
import io.kwait.Event;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.SynchronousQueue;
import javax.management.ObjectName;

/**
 * Scenario 8: heap per parked waiter. Used heap after full GCs, before and after {@code count}
 * waiters are parked; (after - before) / count. A parked virtual thread's stack lives in the heap
 * (stack chunks), so both sides count their stacks. Also returns the classes that grew most
 * (from the GC class histogram), per waiter.
 */
public final class Memory {
    private Memory() {}

    static long usedAfterGc() throws InterruptedException {
        MemoryMXBean m = ManagementFactory.getMemoryMXBean();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(50);
            best = Math.min(best, m.getHeapMemoryUsage().getUsed());
        }
        return best;
    }

    /** class name -> bytes, from the DiagnosticCommand MBean's GC.class_histogram. */
    static Map<String, Long> histogram() {
        Map<String, Long> out = new HashMap<>();
        try {
            Object r = ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                    "gcClassHistogram", new Object[] {null}, new String[] {String[].class.getName()});
            for (String line : r.toString().split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 4 && f[0].endsWith(":")) out.put(f[3], Long.parseLong(f[2]));
            }
        } catch (Exception e) {
            out.put("(histogram unavailable: " + e + ")", 0L);
        }
        return out;
    }

    static String topGrowth(Map<String, Long> before, Map<String, Long> after, int count) {
        List<Map.Entry<String, Long>> diff = new ArrayList<>();
        for (Map.Entry<String, Long> e : after.entrySet()) {
            long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            if (d > 0) diff.add(Map.entry(e.getKey(), d));
        }
        diff.sort((x, y) -> Long.compare(y.getValue(), x.getValue()));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(8, diff.size()); i++) {
            if (i > 0) sb.append("; ");
            String name = diff.get(i).getKey();
            sb.append(name.substring(name.lastIndexOf('.') + 1)).append(' ').append(Math.round((double) diff.get(i).getValue() / count));
        }
        return sb.toString();
    }

    private static Row row(String key, String label, String who, String backend, long before, long after, int count, String top) {
        return new Row("8", key, label, who, backend, "bytes/waiter", "value", new double[] {(double) (after - before) / count})
                .put("count", count).put("top", top);
    }

    /** kwait: {@code count} tasks parked in chan.receive(), wait(recv(chan)) or wait(after(1 h)). */
    public static List<Row> kwait(Args a) throws Exception {
        String backend = a.str("backend"), how = a.str("how");
        int count = a.integer("count", 100_000);
        try (Kernel k = Kernel.open(backend)) {
            long[] r = new long[2];
            String[] top = new String[1];
            Scheduler.run(k, () -> {
                Chan<Object> chan = Chan.rendezvous();
                List<Event> recv = List.of(Event.recv(chan));
                List<Event> timer = List.of(Event.after(Duration.ofHours(1)));
                List<Task<?>> tasks = new ArrayList<>(count);
                Task.yieldNow();
                Map<String, Long> h0 = histogram();
                r[0] = usedAfterGc();
                for (int i = 0; i < count; i++) {
                    tasks.add(Task.spawn(switch (how) {
                        case "receive" -> () -> chan.receive();
                        case "recv" -> () -> k.wait(recv, null);
                        case "timer" -> () -> k.wait(timer, null);
                        default -> throw new IllegalArgumentException(how);
                    }));
                }
                Task.yieldNow(); // every task runs once and parks
                r[1] = usedAfterGc();
                top[0] = topGrowth(h0, histogram(), count);
                for (Task<?> t : tasks) t.cancel();
                return null;
            });
            String what = switch (how) {
                case "receive" -> "tasks parked in Chan.receive() (one rendezvous Chan)";
                case "recv" -> "tasks parked in wait(recv(chan)) (one Chan)";
                default -> "tasks parked in wait(after(1 h))";
            };
            return List.of(row(Kw.key(backend, how), Kw.name(backend) + ": " + what, "kwait", backend, r[0], r[1], count, top[0]));
        }
    }

    /** Peer: virtual threads parked in SynchronousQueue.take(). */
    public static List<Row> virtualThreads(Args a) throws Exception {
        int count = a.integer("count", 100_000);
        SynchronousQueue<Object> q = new SynchronousQueue<>();
        CountDownLatch started = new CountDownLatch(count);
        Thread.ofVirtual().start(() -> { }).join(); // the scheduler exists before measuring
        Map<String, Long> h0 = histogram();
        long before = usedAfterGc();
        List<Thread> ts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ts.add(Thread.ofVirtual().start(() -> {
                started.countDown();
                try {
                    q.take();
                } catch (InterruptedException e) {
                    // end
                }
            }));
        }
        started.await();
        for (Thread t : ts) {
            while (t.getState() != Thread.State.WAITING) Thread.sleep(1);
        }
        long after = usedAfterGc();
        String top = topGrowth(h0, histogram(), count);
        for (Thread t : ts) t.interrupt();
        for (Thread t : ts) t.join();
        return List.of(row("vt", "virtual threads parked in SynchronousQueue.take()", "peer", "", before, after, count, top));
    }
}
