package io.kwait.tests.reliability;

import io.kwait.Event;
import io.kwait.Kernel;

/**
 * One JVM in which USR1 keeps its default action (terminate), as in a program that never touched
 * it: {@code rounds} times a kernel watches USR1, the JVM sends itself USR1 with kill(2) and the
 * kernel closes at once, while that delivery is still on its way (kill(2) to one's own process
 * returns before a thread has taken the signal). Then one more USR1 a quarter of kwait's grace
 * period after the last close (kwait's handler, still in place, must swallow it), and from the end
 * of the grace period on one every 20 ms, each preceded by its time since the last close: the
 * default action, back in place, must end the JVM with status 128 + 10.
 *
 * <p>Prints {@code survived <rounds>} after the rounds, {@code early <ms>} before the send within
 * the grace period, {@code send <ms>} before each later one; exits with 4 if the default action
 * never came back. Issue 9 defect 6.
 */
public final class SignalCloseRaceMain {
    private SignalCloseRaceMain() {}

    public static void main(String[] args) throws Exception {
        String backend = args[0];
        int rounds = Integer.parseInt(args[1]);
        long graceMs = Long.parseLong(args[2]);
        int pid = Libc.C.getpid();
        Event usr1 = Event.signal("USR1");
        long closed = 0;
        for (int i = 0; i < rounds; i++) {
            Kernel k = Kernel.open(backend);
            k.watch(usr1);
            if (Libc.C.kill(pid, Libc.SIGUSR1) != 0) throw new IllegalStateException("kill(2) failed");
            k.close();
            closed = System.nanoTime();
        }
        System.out.println("survived " + rounds);
        System.out.flush();
        long sinceClose;
        // One send within the grace period: kwait's handler, still there, swallows it.
        while ((sinceClose = (System.nanoTime() - closed) / 1_000_000) < graceMs / 4) Thread.sleep(graceMs / 4 - sinceClose);
        System.out.println("early " + sinceClose);
        System.out.flush();
        Libc.C.kill(pid, Libc.SIGUSR1);
        while ((sinceClose = (System.nanoTime() - closed) / 1_000_000) < graceMs) Thread.sleep(graceMs - sinceClose);
        for (long end = System.nanoTime() + 20_000_000_000L; System.nanoTime() < end; ) {
            System.out.println("send " + (System.nanoTime() - closed) / 1_000_000);
            System.out.flush();
            Libc.C.kill(pid, Libc.SIGUSR1);
            Thread.sleep(20);
        }
        System.out.println("the default action of USR1 never came back");
        System.exit(4);
    }
}
