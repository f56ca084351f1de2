#!/usr/bin/env python3
"""Run a Cortex-M image with the RTT transport in QEMU and copy its RTT
"defmt" up channel to stdout, as `probe-rs run` does on a real board.

    qemu-rtt.py ELF QEMU-COMMAND...      (e.g. qemu-system-arm -machine mps2-an386 ...)

QEMU starts halted (-S) with its gdbstub on a Unix socket; this script is a
small GDB remote-protocol client. It runs the image to `main` (after the
runtime has copied `.data`, which holds the RTT control block
`_SEGGER_RTT`), checks the control block and the channel name, sets the
channel to blocking mode (BLOCK_IF_FULL, what probe-rs does, so no frame is
dropped), then lets the target run and every few milliseconds halts it,
copies the bytes between the read and write offsets to stdout and advances
the read offset. A breakpoint on `sc_exit` (the firmware's only exit,
src/platform.rs) drains the last bytes; the target then exits through
semihosting and this script exits with QEMU's status. Pipe stdout into
`defmt-print -e ELF`. Python 3 standard library only.
"""

import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time

POLL_S = 0.005
TIMEOUT_S = float(os.environ.get("SC_QEMU_TIMEOUT", "600"))


def die(msg):
    sys.stderr.write(f"qemu-rtt: {msg}\n")
    sys.exit(2)


def elf_symbols(path, names):
    """Addresses of `names` in the ELF32 little-endian symbol table."""
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        die(f"{path}: not a 32-bit little-endian ELF")
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x2E)
    sections = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    found = {}
    for sh in sections:
        if sh[1] != 2:  # SHT_SYMTAB
            continue
        strtab = sections[sh[6]]
        for off in range(sh[4], sh[4] + sh[5], 16):
            name, value = struct.unpack_from("<II", data, off)
            end = data.index(b"\0", strtab[4] + name)
            n = data[strtab[4] + name:end].decode()
            if n in names:
                found[n] = value
    missing = [n for n in names if n not in found]
    if missing:
        die(f"{path}: no symbol {', '.join(missing)} (not an RTT-transport image? build with SC_TRANSPORT=rtt)")
    return found


class Gdb:
    """The few GDB remote-protocol packets this needs (no-ack mode)."""

    def __init__(self, sock):
        self.s = sock
        self.buf = b""
        self.send("QStartNoAckMode", ack=True)

    def _read_packet(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            start = self.buf.find(b"$")
            if start >= 0:
                end = self.buf.find(b"#", start)
                if end >= 0 and len(self.buf) >= end + 3:
                    body = self.buf[start + 1:end]
                    self.buf = self.buf[end + 3:]
                    return body.decode("latin-1")
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                return None
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("gdbstub closed")
            self.buf += chunk

    def send(self, body, ack=False, wait=True, timeout=10.0):
        cs = sum(body.encode()) % 256
        self.s.sendall(f"${body}#{cs:02x}".encode())
        if ack:  # before no-ack mode is on, QEMU acks with '+'
            while b"+" not in self.buf:
                self.buf += self.s.recv(1)
            self.buf = self.buf.replace(b"+", b"", 1)
        if not wait:
            return None
        reply = self._read_packet(timeout)
        if reply is None:
            die(f"no reply to {body[:20]}")
        if ack:  # acknowledge the reply (the last packet before no-ack mode)
            self.s.sendall(b"+")
        return reply

    def read(self, addr, n):
        out = b""
        while len(out) < n:
            k = min(n - len(out), 2048)
            r = self.send(f"m{addr + len(out):x},{k:x}")
            if r.startswith("E"):
                die(f"reading {k} bytes at {addr + len(out):#x}: {r}")
            out += bytes.fromhex(r)
        return out

    def u32(self, addr):
        return struct.unpack("<I", self.read(addr, 4))[0]

    def write_u32(self, addr, v):
        r = self.send(f"M{addr:x},4:{struct.pack('<I', v).hex()}")
        if r != "OK":
            die(f"writing {addr:#x}: {r}")

    def breakpoint(self, addr, on):
        r = self.send(f"{'Z' if on else 'z'}0,{addr & ~1:x},2")
        if r != "OK":
            die(f"breakpoint at {addr:#x}: {r}")

    def pc(self):
        return struct.unpack_from("<I", bytes.fromhex(self.send("g")[15 * 8:16 * 8]))[0]

    def resume_and_wait(self, timeout):
        """Continue; after `timeout`, halt. Returns the stop reply."""
        self.send("c", wait=False)
        reply = self._read_packet(timeout)
        if reply is None:
            self.s.sendall(b"\x03")
            reply = self._read_packet(10.0)
            if reply is None:
                die("target did not halt")
        return reply


def main():
    if len(sys.argv) < 3:
        die("usage: qemu-rtt.py ELF QEMU-COMMAND...")
    elf, qemu = sys.argv[1], sys.argv[2:]
    sym = elf_symbols(elf, ["_SEGGER_RTT", "main", "sc_exit"])
    tmp = tempfile.mkdtemp(prefix="sc-qemu-rtt-")
    path = os.path.join(tmp, "gdb.sock")
    proc = subprocess.Popen(qemu + ["-S", "-chardev", f"socket,id=gdb0,path={path},server=on,wait=off",
                                    "-gdb", "chardev:gdb0"], stdin=subprocess.DEVNULL, stdout=sys.stderr)
    try:
        for _ in range(200):
            if os.path.exists(path) or proc.poll() is not None:
                break
            time.sleep(0.05)
        if proc.poll() is not None:
            die(f"QEMU exited with {proc.returncode} before its gdbstub was up")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        gdb = Gdb(sock)
        out = sys.stdout.buffer
        start = time.monotonic()

        # To main: the runtime has initialised .data (the control block).
        gdb.breakpoint(sym["main"], True)
        stop = gdb.resume_and_wait(30.0)
        if gdb.pc() != sym["main"] & ~1:
            die(f"did not reach main (stopped: {stop}, pc {gdb.pc():#x})")
        gdb.breakpoint(sym["main"], False)

        cb = sym["_SEGGER_RTT"]
        ident = gdb.read(cb, 16)
        if not ident.startswith(b"SEGGER RTT\0"):
            die(f"no RTT control block at {cb:#x} ({ident!r})")
        max_up = gdb.u32(cb + 16)
        ch = cb + 24  # up channel 0: name, buffer, size, write, read, flags
        name_ptr, buf, size = struct.unpack("<III", gdb.read(ch, 12))
        name = gdb.read(name_ptr, 6)
        if max_up < 1 or name != b"defmt\0" or not 0 < size < 1 << 20:
            die(f"bad RTT up channel: {max_up} up channels, name {name!r}, size {size}")
        flags = gdb.u32(ch + 20)
        gdb.write_u32(ch + 20, (flags & ~3) | 2)  # BLOCK_IF_FULL
        sys.stderr.write(f"qemu-rtt: RTT control block at {cb:#x}, up channel \"defmt\": {size} bytes at {buf:#x}\n")
        gdb.breakpoint(sym["sc_exit"], True)

        total = 0

        def drain():
            nonlocal total
            write, read = struct.unpack("<II", gdb.read(ch + 12, 8))
            if write >= size or read >= size:
                die(f"RTT offsets out of range: write {write}, read {read}, size {size}")
            if write == read:
                return
            if write > read:
                data = gdb.read(buf + read, write - read)
            else:
                data = gdb.read(buf + read, size - read) + gdb.read(buf, write)
            out.write(data)
            out.flush()
            total += len(data)
            gdb.write_u32(ch + 16, write)

        while True:
            if time.monotonic() - start > TIMEOUT_S:
                die(f"timed out after {TIMEOUT_S:.0f} s")
            stop = gdb.resume_and_wait(POLL_S)
            if stop[0] in "WX":
                die(f"target exited ({stop}) without passing sc_exit: frames may be lost")
            drain()
            if gdb.pc() == sym["sc_exit"] & ~1:
                regs = bytes.fromhex(gdb.send("g"))
                code = struct.unpack_from("<I", regs, 0)[0]
                sys.stderr.write(f"qemu-rtt: sc_exit({code}) after {total} RTT bytes\n")
                gdb.breakpoint(sym["sc_exit"], False)
                gdb.send("c", wait=False)
                break
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            die("QEMU did not exit after sc_exit")
        return proc.returncode
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if os.path.exists(path):
            os.unlink(path)
        os.rmdir(tmp)


if __name__ == "__main__":
    sys.exit(main())
