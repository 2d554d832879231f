# SPDX-License-Identifier: GPL-2.0
"""Boot hintbuf test guests under QEMU and measure them from the host.

A Guest is one QEMU process, started, stopped and spoken to over QMP by
QEMU's own qemu.machine.QEMUMachine.  What is ours: the guest's PID 1 is
hb-agent, reached over a virtio-serial port (Guest.run() sends a shell
command and returns its exit status and output); the serial console goes
to a file kept per test; RSS and CPU time are read from the host's /proc.
"""

import os
import shutil
import socket
import tempfile
import time

from qemu.machine import QEMUMachine
from qemu.machine.machine import VMLaunchFailure
from qemu.qmp import QMPError

from . import (BALLOON_QOM, BUFFER_SYSFS, INITRD, KERNEL, QEMU, param_path,
               VIRTIO_ID_BALLOON, readers, wait_until)

# Debian's firmware (seabios, option ROMs) for QEMU built without blobs.
FIRMWARE_DIRS = ["/usr/share/qemu", "/usr/share/seabios"]

BOOT_TIMEOUT = float(os.environ.get("HB_BOOT_TIMEOUT", "90"))


class GuestError(Exception):
    pass


_accel_cache = {}


def probe_accel():
    """TCG unless a KVM guest really boots within seconds.

    HB_ACCEL=tcg|kvm overrides.  On some machines /dev/kvm exists but KVM
    guests hang, so the device node alone proves nothing.
    """
    forced = os.environ.get("HB_ACCEL")
    if forced:
        return forced
    if "accel" in _accel_cache:
        return _accel_cache["accel"]
    accel = "tcg"
    if os.access("/dev/kvm", os.R_OK | os.W_OK):
        g = None
        try:
            g = Guest(accel="kvm", mem_mib=256, cpus=1, balloon=None,
                      name="kvm-probe")
            g.start(timeout=float(os.environ.get("HB_KVM_PROBE_S", "8")))
            accel = "kvm"
        except GuestError:
            pass
        finally:
            if g:
                g.close()
    _accel_cache["accel"] = accel
    return accel


class Guest:
    def __init__(self, mem_mib=1024, cpus=2, append="", balloon=None,
                 extra_args=(), qemu=None, kernel=None, initrd=None,
                 accel=None, name="guest", logdir=None, maxmem=None,
                 reboot=False, incoming=None):
        """balloon: None for no balloon, else a dict of virtio-balloon-pci
        properties, e.g. {"free-page-reporting": "on"}.  reboot: let a
        guest reboot restart the machine instead of ending QEMU.
        incoming: a migration URI to load the guest's state from instead
        of booting it (e.g. "exec:cat FILE")."""
        self.mem_mib = mem_mib
        self.cpus = cpus
        self.append = append
        self.balloon = balloon
        self.extra_args = list(extra_args)
        self.qemu = qemu or QEMU
        self.kernel = kernel or KERNEL
        self.initrd = initrd or INITRD
        self.accel = accel
        self.name = name
        self.maxmem = maxmem
        self.reboot = reboot
        self.incoming = incoming
        self.dir = tempfile.mkdtemp(prefix="hb-%s-" % name)
        self.logdir = logdir
        self.console = os.path.join(self.dir, "console.log")
        # QEMUMachine writes QEMU's stdout and stderr to <dir>/qemu.log.
        self.qemu_log = os.path.join(self.dir, "qemu.log")
        self.vm = None
        self.args = []
        self.agent = None
        self.agent_file = None
        # What console_text() and qemu_stderr() return once close() has
        # removed dir: the checks after a test read guests it closed.
        self.closed_logs = None

    # ----- life cycle -------------------------------------------------
    def command_line(self):
        """QEMU's arguments but the binary and the QMP monitor, which
        QEMUMachine adds (with -display none -vga none)."""
        accel = self.accel or probe_accel()
        acc = "tcg,thread=multi" if accel == "tcg" else accel
        mem = "%dM" % self.mem_mib
        if self.maxmem:
            mem += ",slots=4,maxmem=%dM" % self.maxmem
        args = ["-accel", acc, "-m", mem, "-smp", str(self.cpus),
                "-nodefaults", "-no-user-config",
                "-serial", "file:" + self.console,
                "-kernel", self.kernel, "-initrd", self.initrd,
                "-append", "console=ttyS0 panic=-1 " + self.append,
                "-chardev", "socket,id=agent,path=%s,server=on,wait=off"
                % self.agent_path,
                "-device", "virtio-serial-pci,id=vser",
                "-device", "virtserialport,chardev=agent,name=hb.agent"]
        if not self.reboot:
            args.append("-no-reboot")
        if self.incoming:
            args += ["-incoming", self.incoming]
        for d in FIRMWARE_DIRS:
            if os.path.isdir(d):
                args += ["-L", d]
        if self.balloon is not None:
            props = ",".join("%s=%s" % kv for kv in self.balloon.items())
            args += ["-device", "virtio-balloon-pci,id=balloon" +
                     ("," + props if props else "")]
        return args + self.extra_args

    @property
    def agent_path(self):
        return os.path.join(self.dir, "agent.sock")

    def start(self, timeout=None):
        timeout = timeout or BOOT_TIMEOUT
        deadline = time.monotonic() + timeout
        # QEMU connects to a QMP socket QEMUMachine listens on, so that a
        # QEMU that never gets as far as its monitor costs timeout, not a
        # hang; one that exits first (a device it refuses) ends the wait.
        self.vm = QEMUMachine(self.qemu, args=self.command_line(),
                              name="qemu", log_dir=self.dir,
                              monitor_address=os.path.join(self.dir,
                                                           "qmp.sock"),
                              qmp_timer=timeout)
        try:
            self.vm.launch()
        except VMLaunchFailure as e:
            self.args = e.command.split()
            if e.exitcode is None:
                raise GuestError("QEMU did not come up: %s" % e)
            raise GuestError("QEMU exited with status %d before the guest "
                             "came up: %s" % (e.exitcode, (e.output or "")
                                              .strip() or
                                              "(nothing on stderr)"))
        self.args = [self.qemu] + self.vm._base_args + self.vm.args
        try:
            self.agent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.agent.connect(self.agent_path)
        except OSError as e:
            raise GuestError("agent socket: %s" % e)
        self.agent_file = self.agent.makefile("rwb", buffering=0)
        # The request waits in the socket until hb-agent opens its port.
        rc, out = self.run("echo hb-ready", timeout=max(
            1.0, deadline - time.monotonic()), check=False)
        if rc != 0 or "hb-ready" not in out:
            raise GuestError("agent answered %r" % out)
        return self

    def qemu_stderr(self):
        """What QEMU printed (stdout and stderr), so far."""
        if self.closed_logs:
            return self.closed_logs[1]
        try:
            with open(self.qemu_log, errors="replace") as f:
                return f.read().strip()
        except OSError:
            return ""

    def console_text(self):
        if self.closed_logs:
            return self.closed_logs[0]
        try:
            with open(self.console, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    @property
    def pid(self):
        return self.vm.get_pid() if self.vm else None

    def alive(self):
        return self.vm is not None and self.vm.is_running()

    def close(self):
        if self.agent:
            try:
                self.agent.close()
            except OSError:
                pass
        if self.vm is not None:
            self.vm.kill()
        if self.closed_logs:
            return
        self.closed_logs = (self.console_text(), self.qemu_stderr())
        if self.logdir:
            os.makedirs(self.logdir, exist_ok=True)
            for f in ("console.log", "qemu.log"):
                src = os.path.join(self.dir, f)
                if os.path.exists(src):
                    shutil.copy(src, os.path.join(
                        self.logdir, "%s-%s" % (self.name, f)))
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # ----- QMP --------------------------------------------------------
    def qmp(self, command, **arguments):
        """One QMP command: its return value; GuestError naming QEMU's
        reason when QEMU refuses it.  Events are dropped: no test waits
        for one, and kept they would pile up for the guest's life."""
        try:
            ret = self.vm.cmd(command, args_dict=arguments)
        except QMPError as e:
            raise GuestError("QMP %s: %s" % (command, e))
        finally:
            if self.vm.is_running():
                self.vm.get_qmp_events()
        return ret

    def qom(self, prop, path=BALLOON_QOM):
        """qom-get of a balloon property (or of path)."""
        return self.qmp("qom-get", path=path, property=prop)

    def qom_set(self, prop, value, path=BALLOON_QOM):
        self.qmp("qom-set", path=path, property=prop, value=value)

    def qom_or_none(self, prop):
        """qom-get, None where this QEMU has no such property."""
        try:
            return self.qom(prop)
        except GuestError:
            return None

    def buffer_actual(self):
        """Bytes of reporting buffer the guest says it holds (QEMU's
        reporting-buffer-actual)."""
        return self.qom("reporting-buffer-actual")

    def wait_buffer_held(self, seconds):
        """Wait until the guest holds some of its reporting buffer (QEMU's
        reporting-buffer-actual); the last value seen."""
        return wait_until(self.buffer_actual, seconds,
                          step=0.5)

    def virtio_status(self):
        """x-query-virtio-status of the balloon: QEMU's decoding of what
        the guest negotiated."""
        return self.qmp("x-query-virtio-status",
                        path=BALLOON_QOM + "/virtio-backend")

    # ----- commands ---------------------------------------------------
    def _readline(self):
        line = self.agent_file.readline()
        if not line:
            raise GuestError("agent connection closed")
        return line.decode(errors="replace").rstrip("\n")

    def run(self, cmd, timeout=120, check=True):
        """Run cmd with /bin/sh -c in the guest: (status, output)."""
        data = cmd.encode()
        self.agent.settimeout(timeout)
        out = []
        try:
            self.agent_file.write(b"CMD %d\n" % len(data) + data)
            while True:
                hdr = self._readline()
                if hdr.startswith("OUT "):
                    n = int(hdr[4:])
                    chunk = b""
                    while len(chunk) < n:
                        part = self.agent_file.read(n - len(chunk))
                        if not part:
                            raise GuestError("agent connection closed")
                        chunk += part
                    out.append(chunk)
                elif hdr.startswith("RC "):
                    rc = int(hdr[3:])
                    break
                else:
                    raise GuestError("agent protocol: %r" % hdr)
        except socket.timeout:
            raise GuestError("guest command timed out after %ss: %s"
                             % (timeout, cmd))
        except OSError as e:
            raise GuestError("agent: %s" % e)
        text = b"".join(out).decode(errors="replace")
        if check and rc != 0:
            raise GuestError("guest command failed (%d): %s\n%s"
                             % (rc, cmd, text))
        return rc, text

    def out(self, cmd, timeout=120):
        return self.run(cmd, timeout=timeout)[1]

    def meminfo(self):
        """/proc/meminfo in KiB (HugePages_* in pages)."""
        return readers.meminfo(self.out("cat /proc/meminfo"))

    def vmstat(self):
        return readers.vmstat(self.out("cat /proc/vmstat"))

    def buffer_counters(self):
        """/sys/kernel/mm/page_reporting_buffer as {file: int or str}."""
        return readers.counters(self.out("cd %s && grep -H . *"
                                         % BUFFER_SYSFS))

    def param(self, name):
        """A parameter's value as read back, given as on the command line
        ("page_reporting_buffer.enable")."""
        return self.out("cat %s" % param_path(name)).strip()

    def set_param(self, name, value):
        """Write a parameter at run time; a refused value raises."""
        self.out("echo %s > %s" % (value, param_path(name)))

    def balloon_device(self):
        """(virtioN, feature bits) of the guest's virtio-balloon, bound to
        its driver or not, from guest sysfs; the bits are a string of
        '0'/'1' indexed by bit number (negotiated while bound)."""
        out = self.out("for d in /sys/bus/virtio/devices/*; do "
                       "echo ${d##*/} $(cat $d/device) $(cat $d/features); "
                       "done")
        for line in out.splitlines():
            name, dev, feats = line.split()
            if int(dev, 16) == VIRTIO_ID_BALLOON:
                return name, feats
        raise GuestError("no virtio-balloon in the guest:\n" + out)

    def balloon_features(self):
        return self.balloon_device()[1]

    # ----- host-side measurements ----------------------------------------
    def rss_kib(self):
        """Resident set of the QEMU process, from smaps_rollup."""
        with open("/proc/%d/smaps_rollup" % self.pid) as f:
            for line in f:
                if line.startswith("Rss:"):
                    return int(line.split()[1])
        raise GuestError("no Rss in smaps_rollup")

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / tick

    def fill_and_free(self, mib):
        """Settle, touch mib MiB in the guest and free it: RSS at the peak."""
        self.settle_rss()
        out = self.out("hb-mem hold %d 0" % mib, timeout=300)
        if "touched %d" % mib not in out:
            raise GuestError("hb-mem hold %d: %s" % (mib, out))
        return self.rss_kib()

    def rss_drop_within(self, peak_kib, seconds, want_kib=None):
        """Largest RSS drop below peak_kib seen within seconds; stops early
        once it reaches want_kib."""
        best = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            best = max(best, peak_kib - self.rss_kib())
            if want_kib is not None and best >= want_kib:
                break
            time.sleep(0.25)
        return best

    def settle_rss(self, window=3.0, tolerance_kib=8192, limit=30.0):
        """Wait until RSS moves less than tolerance over window seconds."""
        deadline = time.monotonic() + limit
        last = self.rss_kib()
        while time.monotonic() < deadline:
            time.sleep(window)
            now = self.rss_kib()
            if abs(now - last) < tolerance_kib:
                return now
            last = now
        return last
