package io.kwait.examples;

import io.kwait.Chan;
import io.kwait.ChanClosedException;
import io.kwait.Event;
import io.kwait.Fired;
import io.kwait.Kernel;
import io.kwait.Scheduler;
import io.kwait.Task;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Fan-in over channels: three producer tasks, each with its own channel and pace, and one consumer
 * that waits on {@link Event#recv} of every channel (and a deadline) in a single wait, taking
 * whatever is ready. A closed and drained channel leaves the wait's list.
 *
 * <pre>
 * mvn -q -Pexample -Dexample=FanIn -pl examples -am verify -DskipTests
 * </pre>
 */
public final class FanIn {
    private FanIn() {}

    public static void main(String[] args) throws Exception {
        try (Kernel kernel = Kernel.open()) {
            int total = Scheduler.run(kernel, () -> {
                List<Chan<String>> chans = new ArrayList<>();
                for (int p = 1; p <= 3; p++) {
                    Chan<String> chan = Chan.bounded(2);
                    chans.add(chan);
                    int id = p;
                    Task.spawn("producer-" + id, () -> {
                        for (int i = 1; i <= 4; i++) {
                            Task.sleep(Duration.ofMillis(5L * id)); // each producer has its own pace
                            chan.send("producer " + id + " item " + i);
                        }
                        chan.close(); // the consumer drains what was sent, then sees it closed
                        return null;
                    });
                }
                Event deadline = Event.after(Duration.ofSeconds(10));
                int received = 0;
                while (!chans.isEmpty()) {
                    List<Event> events = new ArrayList<>();
                    for (Chan<String> c : chans) events.add(Event.recv(c));
                    events.add(deadline);
                    for (Fired f : kernel.wait(events, null)) {
                        if (f.event() == deadline) throw new IllegalStateException("producers too slow");
                        Chan<?> c = (Chan<?>) f.event().resource();
                        try {
                            System.out.println("got: " + c.receive()); // ready: does not wait
                            received++;
                        } catch (ChanClosedException closed) {
                            chans.remove(c);
                        }
                    }
                }
                return received;
            });
            System.out.println(total + " messages from 3 producers");
        }
    }
}
