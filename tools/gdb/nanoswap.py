# nanoswap's gdb helpers: `source tools/gdb/nanoswap.py` (make debug does).
#
# nanoswap-symbols reads the kernel's crate namespace from memory (the crates
# module's `kernel_ns` and the loader's structs, field by field through their
# DWARF types, so a change of layout needs no change here) and gives gdb every
# loaded crate's symbols at their run addresses: `add-symbol-file OBJ -s SECTION
# ADDR ...` with each section of each crate object at its own address, as
# Linux's lx-symbols does for modules. Swapped constituent modules come from
# build/modules/NAME.o, test crates from build/testmods/, objects added with
# make MODULES=... from build/extra-modules.txt. The nano_core crate is
# build/nano_core.elf itself (the file gdb was started on).
#
# It then keeps a silent breakpoint on crates_changed(), which the kernel
# calls after every load, unload and swap, and refreshes there, so `bt`,
# `info symbol $pc` and `break NAME` see the live copies by name.
import os

import gdb

NANOSWAP_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build_dir():
    return os.environ.get("NANOSWAP_BUILD", os.path.join(NANOSWAP_ROOT, "build"))


def extra_objects():
    """name -> path for the objects make MODULES=... put in the ISO."""
    out = {}
    try:
        with open(os.path.join(build_dir(), "extra-modules.txt")) as f:
            for line in f:
                parts = line.split(None, 1)
                if len(parts) == 2:
                    out[parts[0]] = parts[1].strip()
    except OSError:
        pass
    return out


def object_for(crate):
    """The object file a crate was loaded from ("memory#2" is memory.o again)."""
    base = crate.split("#", 1)[0]
    extra = extra_objects()
    if base in extra:
        return extra[base]
    for sub in ("modules", "testmods"):
        path = os.path.join(build_dir(), sub, base + ".o")
        if os.path.exists(path):
            return path
    return None


def read_crates():
    """[(name, [(section name, run address, size)])] from kernel memory, in load order.

    Empty while the kernel is not far enough to have a namespace (paging
    off, or crates_init not run yet)."""
    try:
        ns = gdb.parse_and_eval("kernel_ns")
        if int(ns) == 0:
            return []
        crates = []
        c = ns.dereference()["first"]
        while int(c) != 0:
            crate = c.dereference()
            secs = []
            for i in range(int(crate["nsections"])):
                s = crate["sections"][i]
                if int(s["elf_index"]) == 0:  # the loader's own GOT: not in the file
                    continue
                secs.append((s["name"].string(), int(s["addr"]), int(s["size"])))
            crates.append((crate["name"].string(), secs))
            c = crate["next"]
        return crates
    except gdb.MemoryError:
        return []


class NanoswapSymbols(gdb.Command):
    """Load the symbols of every crate the kernel has loaded, at their run addresses.

Reads the crate list from the running kernel; keeps a breakpoint on
crates_changed() to follow later loads, unloads and swaps."""

    def __init__(self):
        super().__init__("nanoswap-symbols", gdb.COMMAND_FILES)
        self.loaded = {}  # crate name -> (object path, its sections)
        self.breakpoint = None
        self.core_addr = None  # an address in the nano_core.elf we added
        self.warned_main = False
        if gdb.current_progspace().filename is None:  # no file: the nano_core is ours to move
            gdb.execute("set architecture i386:x86-64", to_string=True)
            self.add_nano_core()

    def invoke(self, arg, from_tty):
        self.refresh(verbose=True)
        if self.breakpoint is None:
            self.breakpoint = CratesChangedBreakpoint(self)

    def refresh(self, verbose):
        want = {}
        for name, secs in read_crates():
            if name == "nano_core":
                continue
            path = object_for(name)
            if path is None:
                if verbose:
                    gdb.write("nanoswap-symbols: no object for crate %s\n" % name)
                continue
            want[name] = (path, tuple(secs))
        for name in [n for n in self.loaded if want.get(n) != self.loaded[n]]:
            self.remove(name)
        added = False
        for name, entry in want.items():
            if name not in self.loaded:
                self.add(name, entry, verbose)
                added = True
        if added:
            self.nano_core_last()

    def nano_core_last(self):
        """Re-add build/nano_core.elf after the crates, so that a global name
        (`p kmalloc`) finds the live copy first: gdb searches the objfiles in
        the order they were added."""
        if gdb.current_progspace().filename is not None:  # gdb FILE: cannot move it
            if not self.warned_main:
                gdb.write("nanoswap-symbols: start gdb without a file (make debug does) "
                          "for `p NAME` to prefer the live copies\n")
                self.warned_main = True
            return
        if self.core_addr is not None:
            gdb.execute("remove-symbol-file -a 0x%x" % self.core_addr, to_string=True)
        self.add_nano_core()

    def add_nano_core(self):
        gdb.execute("add-symbol-file %s" % os.path.join(build_dir(), "nano_core.elf"),
                    to_string=True)
        # boot/ code is in no crate: this address names the nano_core's objfile
        self.core_addr = int(gdb.parse_and_eval("(unsigned long)&long_mode_high"))
    def add(self, name, entry, verbose):
        path, secs = entry
        args = " ".join("-s %s 0x%x" % (s, a) for s, a, _ in secs)
        gdb.execute("add-symbol-file %s %s" % (path, args), to_string=True)
        self.loaded[name] = entry
        if verbose:
            gdb.write("nanoswap-symbols: %s from %s (%d sections)\n" % (name, path, len(secs)))

    def remove(self, name):
        path, secs = self.loaded.pop(name)
        # the highest non-empty section is a fresh one, never a bound (shared) one
        addrs = [a for _, a, size in secs if size]
        if addrs:
            gdb.execute("remove-symbol-file -a 0x%x" % max(addrs), to_string=True)


class CratesChangedBreakpoint(gdb.Breakpoint):
    """Refresh the crates' symbols each time the kernel calls crates_changed()."""

    def __init__(self, command):
        super().__init__("crates_changed", internal=True)
        self.silent = True
        self.command = command

    def stop(self):
        self.command.refresh(verbose=False)
        return False


gdb.execute("set confirm off")
NanoswapSymbols()
