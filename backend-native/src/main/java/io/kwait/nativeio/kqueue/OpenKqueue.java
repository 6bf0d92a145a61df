/*
 * Facts about kqueue that shape this file (the kqueue and the numbers it speaks). The kqueue backend's facts are numbered
 * across its files; the index is at the top of KqueueBackend.java, and a fact cited here without
 * a file is one of this file's.
 *
 * 1. The struct differs per OS and the numbers differ per OS. struct kevent is 32 bytes on macOS,
 *    FreeBSD <= 11 and OpenBSD, 64 bytes on FreeBSD >= 12 (int64 data, ext[4]); EVFILT_USER is -10
 *    on macOS and OpenBSD, -11 on FreeBSD; 0x100/0x200 are EV_UDATA_SPECIFIC/EV_VANISHED on macOS
 *    and EV_FORCEONESHOT/EV_KEEPUDATA on FreeBSD. So nothing here is a literal: every kevent is
 *    written and read through a KeventLayout and every number comes from KqueueConstants, chosen
 *    at run time (KqueuePlatform). The same code then runs on the simulated kqueue, which reads and
 *    writes the lists as raw memory in the layout it simulates.
 */
package io.kwait.nativeio.kqueue;

import io.kwait.nativeio.Memory;
import io.kwait.spi.Interest;

import java.io.IOException;

/**
 * One open kqueue of the kqueue backend: its fd, the binding that reaches it, and the layout and
 * numbers of its OS, the ones used on every event read once (fact 1).
 */
final class OpenKqueue {
    final KqueueBinding sys;
    final KeventLayout layout;
    final KqueueConstants k;
    final int fd;
    final int evfiltRead, evfiltWrite, evfiltProc;
    final int evDelete, evAdd, evReceipt, evError, evEof;
    final int noteExit, noteExitStatus, statusNote;
    final int eintr, esrch, eacces, epipe, ebadf;
    /** A timespec of 0: a kevent() that does not wait. */
    final Memory zeroTimespec = new Memory(KeventLayout.TIMESPEC_SIZE);

    /** @throws IOException the OS refused the kqueue (the message says why) */
    OpenKqueue(KqueueBinding binding) throws IOException {
        this.sys = binding;
        KqueuePlatform platform = binding.platform();
        this.layout = platform.layout();
        this.k = platform.constants();
        KqueueConstants.Filters f = k.filters();
        KqueueConstants.Flags fl = k.flags();
        this.evfiltRead = f.read();
        this.evfiltWrite = f.write();
        this.evfiltProc = f.proc();
        this.evAdd = fl.add();
        this.evDelete = fl.delete();
        this.evReceipt = fl.receipt();
        this.evError = fl.error();
        this.evEof = fl.eof();
        this.noteExit = k.notes().exit();
        this.noteExitStatus = k.notes().exitStatus();
        this.statusNote = k.exitStatusNote();
        KqueueConstants.Errnos e = k.errnos();
        this.eintr = e.eintr();
        this.esrch = e.esrch();
        this.eacces = e.eacces();
        this.epipe = e.epipe();
        this.ebadf = e.ebadf();
        int q = binding.kqueue();
        if (q < 0) throw new IOException("kqueue() failed: " + describe(binding.errno()));
        this.fd = q;
    }

    /** The filter that watches an interest bit. */
    int filterOf(int bit) {
        return switch (bit) {
            case Interest.READ -> evfiltRead;
            case Interest.WRITE -> evfiltWrite;
            default -> evfiltProc;
        };
    }

    /** An errno as the OS names it, with its number. */
    String describe(int errno) {
        return sys.strerror(errno) + " (errno " + errno + ")";
    }

    /** Closes the kqueue, and with it every knote. */
    void close() {
        sys.close(fd);
    }
}
