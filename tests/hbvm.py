# SPDX-License-Identifier: GPL-2.0
"""Boot hintbuf test guests under QEMU and measure them from the host.

A Guest is one QEMU process running our kernel and initramfs.  The guest's
PID 1 is hb-agent, reached over a virtio-serial port: Guest.run() sends a
shell command and returns its exit status and output.  QMP is reached over
a second unix socket.  RSS is read from /proc/<pid>/smaps_rollup.

Every guest is killed by close(), which the pytest fixtures call at the end
of each test, pass or fail.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, "build")

KERNEL = os.environ.get("HB_KERNEL",
                        os.path.join(BUILD, "kernel/arch/x86/boot/bzImage"))
# The debug kernel (make kernel-debug, config/kernel-debug.config).
KERNEL_DEBUG = os.environ.get(
    "HB_KERNEL_DEBUG", os.path.join(BUILD, "kernel-debug/arch/x86/boot/bzImage"))
INITRD = os.environ.get("HB_INITRD", os.path.join(BUILD, "initramfs.cpio"))
QEMU = os.environ.get("HB_QEMU",
                      os.path.join(BUILD, "qemu-build/qemu-system-x86_64"))
STOCK_QEMU = "/usr/bin/qemu-system-x86_64"
# Debian's firmware (seabios, option ROMs) for QEMU built without blobs.
FIRMWARE_DIRS = ["/usr/share/qemu", "/usr/share/seabios"]

BOOT_TIMEOUT = float(os.environ.get("HB_BOOT_TIMEOUT", "90"))

HINTING_SYSFS = "/sys/kernel/mm/page_hinting"

VIRTIO_ID_BALLOON = 5
VIRTIO_BALLOON_F_REPORTING = 5
VIRTIO_BALLOON_F_HINT_BUFFER = 9


def kernel_config(kernel=None):
    """The .config a guest kernel (default KERNEL) was built with ("" if
    unknown)."""
    path = os.path.join(os.path.dirname(kernel or KERNEL), "../../../.config")
    try:
        with open(os.path.normpath(path)) as f:
            return f.read()
    except OSError:
        return ""


def kernel_has(symbol, kernel=None):
    """Whether the guest kernel was built with symbol=y."""
    return re.search("^%s=y$" % symbol, kernel_config(kernel),
                     re.M) is not None


# Console lines that mean the kernel found a bug: BUG/WARNING cover
# KASAN ("BUG: KASAN:"), lockdep and RCU-lockdep ("WARNING: possible
# circular locking", "WARNING: suspicious RCU usage"), DEBUG_VM, DEBUG_LIST
# and sleeping-in-atomic reports; the rest are reports that print neither.
CONSOLE_REPORTS = re.compile(
    r"BUG:|WARNING:|KASAN:|UBSAN:|Oops|general protection fault|"
    r"Call Trace|Kernel panic|page dumped because|Bad page|"
    r"pagealloc: memory corruption|Poison overwritten|list_(add|del) corruption|"
    r"possible (circular|recursive) locking|inconsistent lock state|"
    r"lockdep is turned off|turning off the locking correctness validator|"
    r"suspicious RCU usage|rcu.*detected stall|self-detected stall|"
    r"soft lockup|hard LOCKUP|blocked for more than|refcount_t:")


# An OOM kill prints a stack ("Call Trace") like a bug report does, but it
# is the kernel doing its job: workloads run with --oomable expect it.
OOM_START = re.compile(r"invoked oom-killer:")
OOM_END = re.compile(r"Out of memory: Killed process|oom-kill:constraint")


def console_reports(text):
    """The console lines that report a kernel bug (CONSOLE_REPORTS); the
    stack trace of an OOM-killer report is not one, anything else inside
    it still is."""
    out, in_oom = [], False
    for line in text.splitlines():
        if OOM_START.search(line):
            in_oom = True
        elif in_oom and OOM_END.search(line):
            in_oom = False
        scan = line.replace("Call Trace", "") if in_oom else line
        if CONSOLE_REPORTS.search(scan):
            out.append(line)
    return out


def parse_counters(text):
    """"file:value" lines (grep -H . *) as {file: int or str}."""
    return {k: int(v) if re.fullmatch(r"-?\d+", v) else v
            for k, v in (line.split(":", 1) for line in text.splitlines())}


_balloon_props = {}


def balloon_properties(qemu=None):
    """Property names virtio-balloon-pci has in this QEMU binary."""
    qemu = qemu or QEMU
    if qemu not in _balloon_props:
        out = subprocess.run([qemu, "-device", "virtio-balloon-pci,help"],
                             capture_output=True, text=True)
        _balloon_props[qemu] = {
            line.strip().split("=<", 1)[0]
            for line in (out.stdout + out.stderr).splitlines()
            if "=<" in line}
    return _balloon_props[qemu]


class GuestError(Exception):
    pass


class QEMUExited(GuestError):
    """QEMU ended while the harness waited for it; Guest.start() replaces
    it with one that carries QEMU's exit status and stderr."""


class QMP:
    """Just enough of the QEMU Machine Protocol for tests."""

    def __init__(self, path, timeout=30, proc=None):
        """proc: the QEMU process, so that one which exits before its
        socket takes connections is reported at once, not after timeout."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if proc is not None and proc.poll() is not None:
                    raise QEMUExited()
                if time.monotonic() > deadline:
                    raise GuestError("QMP socket %s never came up" % path)
                time.sleep(0.05)
        self.sock.settimeout(timeout)
        self.file = self.sock.makefile("rwb", buffering=0)
        self.events = []
        greeting = self._read()
        if "QMP" not in greeting:
            raise GuestError("unexpected QMP greeting %r" % greeting)
        self.execute("qmp_capabilities")

    def _read(self):
        line = self.file.readline()
        if not line:
            raise GuestError("QMP connection closed")
        return json.loads(line)

    def execute(self, command, **arguments):
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self.file.write(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._read()
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise GuestError("QMP %s: %s" % (command, reply["error"]))
            return reply.get("return")

    def close(self):
        try:
            self.sock.close()
        except OSError:
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
        self.proc = None
        self.agent = None
        self.agent_file = None
        self.qmp = None

    # ----- life cycle -------------------------------------------------
    def command_line(self):
        accel = self.accel or probe_accel()
        acc = "tcg,thread=multi" if accel == "tcg" else accel
        mem = "%dM" % self.mem_mib
        if self.maxmem:
            mem += ",slots=4,maxmem=%dM" % self.maxmem
        args = [self.qemu, "-accel", acc, "-m", mem, "-smp", str(self.cpus),
                "-nodefaults", "-no-user-config", "-display", "none",
                "-vga", "none",
                "-serial", "file:" + self.console,
                "-kernel", self.kernel, "-initrd", self.initrd,
                "-append", "console=ttyS0 panic=-1 " + self.append,
                "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
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
    def qmp_path(self):
        return os.path.join(self.dir, "qmp.sock")

    @property
    def agent_path(self):
        return os.path.join(self.dir, "agent.sock")

    def start(self, timeout=None):
        timeout = timeout or BOOT_TIMEOUT
        self.args = self.command_line()
        self.stderr = open(os.path.join(self.dir, "qemu.stderr"), "w+")
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                     stdout=self.stderr, stderr=self.stderr,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        try:
            while not os.path.exists(self.agent_path):
                if self.proc.poll() is not None:
                    raise QEMUExited()
                if time.monotonic() > deadline:
                    raise GuestError("QEMU never created its sockets")
                time.sleep(0.05)
            self.qmp = QMP(self.qmp_path, proc=self.proc)
            self.agent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.agent.connect(self.agent_path)
        except (OSError, GuestError) as e:
            # QEMU opens its sockets before it realizes devices, so a
            # device it refuses shows up as an exit, a reset connection or
            # a QMP connection closed before its greeting.
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                raise GuestError("QEMU sockets: %s" % e)
            raise GuestError("QEMU exited with status %d before the guest "
                             "came up: %s" % (self.proc.returncode,
                                              self.qemu_stderr() or
                                              "(nothing on stderr)"))
        self.agent_file = self.agent.makefile("rwb", buffering=0)
        # The request waits in the socket until hb-agent opens its port.
        rc, out = self.run("echo hb-ready", timeout=max(
            1.0, deadline - time.monotonic()), check=False)
        if rc != 0 or "hb-ready" not in out:
            raise GuestError("agent answered %r" % out)
        return self

    def qemu_stderr(self):
        try:
            self.stderr.seek(0)
            return self.stderr.read().strip()
        except (OSError, ValueError):
            return ""

    def console_text(self):
        try:
            with open(self.console, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def close(self):
        if self.qmp:
            self.qmp.close()
        if self.agent:
            try:
                self.agent.close()
            except OSError:
                pass
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=30)
        if self.logdir:
            os.makedirs(self.logdir, exist_ok=True)
            for f in ("console.log", "qemu.stderr"):
                src = os.path.join(self.dir, f)
                if os.path.exists(src):
                    shutil.copy(src, os.path.join(
                        self.logdir, "%s-%s" % (self.name, f)))
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

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
        text = b"".join(out).decode(errors="replace")
        if check and rc != 0:
            raise GuestError("guest command failed (%d): %s\n%s"
                             % (rc, cmd, text))
        return rc, text

    def out(self, cmd, timeout=120):
        return self.run(cmd, timeout=timeout)[1]

    def meminfo(self):
        info = {}
        for line in self.out("cat /proc/meminfo").splitlines():
            key, val = line.split(":", 1)
            info[key] = int(val.split()[0])
        return info

    def vmstat(self):
        return {k: int(v) for k, v in
                (line.split() for line in self.out("cat /proc/vmstat")
                 .splitlines())}

    # ----- host-side measurements ----------------------------------------
    def rss_kib(self):
        """Resident set of the QEMU process, from smaps_rollup."""
        with open("/proc/%d/smaps_rollup" % self.proc.pid) as f:
            for line in f:
                if line.startswith("Rss:"):
                    return int(line.split()[1])
        raise GuestError("no Rss in smaps_rollup")

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / tick

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

    def balloon_prop(self, prop):
        """qom-get of the balloon device (QOM id "balloon")."""
        return self.qmp.execute("qom-get", path="/machine/peripheral/balloon",
                                property=prop)

    def hinting_counters(self):
        """/sys/kernel/mm/page_hinting as {file: int or str}."""
        return parse_counters(self.out("cd %s && grep -H . *" % HINTING_SYSFS))

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
