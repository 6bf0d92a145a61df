package io.kwait.tests.backends;

import io.kwait.tests.ChanConformance;
import io.kwait.tests.FdConformance;
import io.kwait.tests.KernelContractConformance;
import io.kwait.tests.ManyProcessesConformance;
import io.kwait.tests.OnBackend;
import io.kwait.tests.ProcessConformance;
import io.kwait.tests.ScenarioConformance;
import io.kwait.tests.SignalConformance;
import io.kwait.tests.TaskConformance;
import io.kwait.tests.TimerConformance;
import io.kwait.tests.ChildConformance;
import io.kwait.tests.reliability.FaultConformance;
import io.kwait.tests.reliability.LeakConformance;
import io.kwait.tests.reliability.RaceConformance;
import io.kwait.tests.reliability.StressConformance;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

/**
 * The conformance suite on the epoll backend (Linux; skipped elsewhere by
 * {@code ConformanceBase.belongsHere}). {@link Processes} is tagged {@code process}: the build runs
 * it once more with {@code -Dkwait.epoll.pidfd=false}, so every process wait goes through the
 * core's relay.
 */
@OnBackend("epoll")
class EpollTest {
    @Nested class KernelContract extends KernelContractConformance {}
    @Nested class Fds extends FdConformance {}
    /** Tagged: the build runs it again with pidfds off (execution {@code epoll-process-relay}). */
    @Nested @Tag("process") class Processes extends ProcessConformance {}
    @Nested class ManyProcesses extends ManyProcessesConformance {}
    @Nested class Timers extends TimerConformance {}
    @Nested class Signals extends SignalConformance {}
    @Nested class Tasks extends TaskConformance {}
    @Nested class Chans extends ChanConformance {}
    @Nested class Scenarios extends ScenarioConformance {}
    @Nested class Children extends ChildConformance {}
    @Nested class ReliabilityStress extends StressConformance {}
    @Nested class ReliabilityFaults extends FaultConformance {}
    @Nested class ReliabilityLeaks extends LeakConformance {}
    @Nested class ReliabilityRaces extends RaceConformance {}
}
