package io.kwait.bench;

import java.util.Arrays;
import java.util.List;

/**
 * Entry point of a child JVM: runs one figure and prints its rows ({@link Row#encode()}) on
 * stdout. {@code java ... io.kwait.bench.Child FIGURE key=value...}
 */
public final class Child {
    public static final String ERROR = "@ERROR\t";

    @FunctionalInterface
    interface Figure {
        List<Row> run(Args a) throws Exception;
    }

    static Figure figure(String name) {
        return switch (name) {
            case "3a-kwait" -> Sockets::kwaitOneThread;
            case "3a-nio" -> Sockets::nioOneThread;
            case "3b-kwait" -> Sockets::kwaitTwoThreads;
            case "3b-nio" -> Sockets::nioTwoThreads;
            case "3b-netty" -> NettyEcho::run;
            case "4-kwait" -> Sockets::kwaitIdle;
            case "4-nio" -> Sockets::nioIdle;
            case "5-kwait" -> Processes::kwait;
            case "5-threads" -> Processes::threadPer;
            case "5-onexit" -> Processes::onExit;
            case "5-nuprocess" -> Processes::nuProcess;
            case "6l-kwait" -> Lateness::kwait;
            case "6l-stpe" -> Lateness::stpe;
            case "6l-wheel" -> Lateness::wheel;
            case "7-kwait" -> Wakeup::kwait;
            case "7-selector" -> Wakeup::selector;
            case "7-unpark" -> Wakeup::unpark;
            case "8-kwait" -> Memory::kwait;
            case "8-vt" -> Memory::virtualThreads;
            case "9-children" -> ChildrenBench::run;
            default -> throw new IllegalArgumentException("unknown figure " + name);
        };
    }

    public static void main(String[] args) {
        int code = 0;
        try {
            Args a = Args.parse(Arrays.asList(args).subList(1, args.length));
            String strand = a.str("strand", "");
            if (!strand.isEmpty()) System.setProperty("kwait.scheduler", strand);
            List<Row> rows = figure(args[0]).run(a);
            for (Row r : rows) {
                if (r.isKwait() && !strand.isEmpty() && !r.key.contains("-loop-")) r.put("strand", strand);
                System.out.println(r.encode());
            }
        } catch (Throwable e) {
            System.out.println(ERROR + e.toString().replace('\n', ' '));
            e.printStackTrace();
            code = 1;
        }
        System.out.flush();
        System.exit(code); // stray threads (event loops, timers) must not keep the child alive
    }
}
