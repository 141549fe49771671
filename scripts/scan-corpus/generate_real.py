#!/usr/bin/python3
"""Writes the benign half of the scanner corpus with the real libraries into OUTDIR.

    /usr/bin/python3 scripts/scan-corpus/generate_real.py OUTDIR

Needs torch, numpy, joblib, scikit-learn, onnx and h5py (Debian: python3-torch python3-numpy
python3-joblib python3-sklearn python3-onnx python3-h5py). Exits with status 3 and a message when
one is missing, so the caller can tell "not installed" from a failure.

Every file is what the library itself writes (torch.save, torch.jit.save, pickle.dumps of a tensor,
joblib.dump with every compressor, sklearn estimators, np.save/np.savez(_compressed), ONNX with
external data, h5py), built in code from seeded numbers: nothing is downloaded, and nothing here is
malicious (the malicious half is generate.py's). OUTDIR/labels.json lists each sample with the
verdict the scanner must give: "pass", or "warn" where a person should look (the technique says
why); a benign file must never be blocked.
"""
import collections
import io
import json
import os
import pickle
import sys
import warnings

try:
    import h5py
    import joblib
    import numpy as np
    import onnx
    import sklearn
    import torch
    from onnx import TensorProto, helper, numpy_helper
    from sklearn.decomposition import PCA
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeRegressor
except ImportError as e:  # pragma: no cover - reported to the caller
    print(f"missing library: {e}", file=sys.stderr)
    sys.exit(3)

warnings.filterwarnings("ignore")
OUT = ""
LABELS = []
P, W = "pass", "warn"


def rel_path(rel):
    path = os.path.join(OUT, "real", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def label(rel, verdict, codes, technique, fmt=None):
    entry = {"path": "real/" + rel, "verdict": verdict, "codes": list(codes), "technique": technique}
    if fmt:
        entry["format"] = fmt
    LABELS.append(entry)


def write(rel, data, verdict, codes, technique, fmt=None):
    with open(rel_path(rel), "wb") as f:
        f.write(data)
    label(rel, verdict, codes, technique, fmt)


# ---------------------------------------------------------------------------------------------
# torch

class TinyNet(torch.nn.Module):
    """A user-defined module: torch.save(model) pickles its class by name (__main__.TinyNet)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 3)
        self.bn = torch.nn.BatchNorm2d(2)
        self.fc = torch.nn.Linear(8, 2)

    def forward(self, x):
        x = self.bn(self.conv(x))
        return self.fc(torch.flatten(x, 1)[:, :8])


def mlp():
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))


def torch_bytes(obj, legacy):
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=not legacy)
    return buf.getvalue()


def torch_samples():
    torch.manual_seed(0)
    net = mlp()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net(torch.randn(3, 4)).sum().backward()
    opt.step()
    sgd = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    sgd.step()
    sched = torch.optim.lr_scheduler.StepLR(sgd, step_size=2)
    lstm = torch.nn.LSTM(4, 3, num_layers=1)
    emb = torch.nn.Embedding(10, 4)
    base = torch.arange(12, dtype=torch.float32)
    tensors = {
        "f32": torch.randn(2, 3),
        "f16": torch.randn(4).half(),
        "bf16": torch.randn(4).bfloat16(),
        "f64": torch.randn(2).double(),
        "i8": torch.arange(6, dtype=torch.int8),
        "i64": torch.arange(3),
        "u8": torch.arange(4, dtype=torch.uint8),
        "bool": torch.tensor([True, False]),
        "c64": torch.randn(2, dtype=torch.complex64),
        "scalar": torch.tensor(3.5),
        "empty": torch.empty(0, 4),
        "view": base.view(3, 4)[:, 1:3],
        "shared_a": base[:6],
        "shared_b": base[6:],
        "transposed": torch.randn(3, 2).t(),
        "param": torch.nn.Parameter(torch.randn(2, 2)),
    }
    state_dicts = {
        "mlp-state-dict": (net.state_dict(), "state_dict of an nn.Sequential MLP (Linear, ReLU, Linear)"),
        "cnn-state-dict": (TinyNet().state_dict(), "state_dict with Conv2d and BatchNorm2d (running stats, num_batches_tracked)"),
        "lstm-embedding-state-dict": ({**lstm.state_dict(), **{"emb." + k: v for k, v in emb.state_dict().items()}}, "state_dict of an LSTM and an Embedding"),
        "adam-optimizer": (opt.state_dict(), "Adam optimizer state_dict (step counts, exp_avg tensors, param_groups)"),
        "sgd-optimizer-scheduler": ({"optimizer": sgd.state_dict(), "scheduler": sched.state_dict()}, "SGD momentum state and a StepLR scheduler state"),
        "training-checkpoint": (
            {"epoch": 3, "model": net.state_dict(), "optimizer": opt.state_dict(), "loss": 0.25, "rng": torch.get_rng_state(), "meta": {"tags": ("a", "b"), "lr": [1e-3]}},
            "training checkpoint dict (model, optimizer, epoch, loss, RNG state)",
        ),
        "tensor-zoo": (tensors, "tensors of many dtypes, views, shared storage, empty, scalar and a Parameter"),
        "quantized-tensor": ({"q": torch.quantize_per_tensor(torch.randn(4), 0.1, 0, torch.quint8)}, "per-tensor quantized tensor (_rebuild_qtensor)"),
        "sparse-tensor": ({"s": torch.eye(3).to_sparse()}, "sparse COO tensor (_rebuild_sparse_tensor)"),
    }
    for name, (obj, what) in state_dicts.items():
        for legacy in (False, True):
            fmt = "pytorch-legacy" if legacy else "pytorch-zip"
            kind = "legacy (_use_new_zipfile_serialization=False)" if legacy else "zip"
            write(f"torch/{name}{'-legacy' if legacy else ''}.pt", torch_bytes(obj, legacy), P, [], f"torch.save {kind}: {what}", fmt)

    # Whole modules: torch.load(weights_only=False) imports each module class: a person should look.
    whole = {
        "whole-sequential": (net, "torch.nn.modules classes (Sequential, Linear, ReLU)"),
        "whole-user-module": (TinyNet(), "a user class (__main__.TinyNet) with Conv2d/BatchNorm2d/Linear"),
    }
    for name, (obj, what) in whole.items():
        for legacy in (False, True):
            fmt = "pytorch-legacy" if legacy else "pytorch-zip"
            kind = "legacy" if legacy else "zip"
            write(f"torch/{name}{'-legacy' if legacy else ''}.pt", torch_bytes(obj, legacy), W, ["PICKLE_UNSAFE_GLOBAL"],
                  f"torch.save of a whole nn.Module ({kind}): loading imports {what}, classes outside the weights allow-list: review", fmt)

    # TorchScript: torch.jit.load compiles and runs the archive's code/ (a person should look).
    scripted = torch.jit.script(mlp())
    buf = io.BytesIO()
    torch.jit.save(scripted, buf)
    write("torch/torchscript-scripted.pt", buf.getvalue(), W, ["PYTORCH_TORCHSCRIPT"], "torch.jit.script + torch.jit.save: TorchScript code runs when loaded with torch.jit.load (review)", "pytorch-zip")
    traced = torch.jit.trace(TinyNet().eval(), torch.randn(1, 1, 4, 4))
    buf = io.BytesIO()
    torch.jit.save(traced, buf)
    write("torch/torchscript-traced.pt", buf.getvalue(), W, ["PYTORCH_TORCHSCRIPT"], "torch.jit.trace + torch.jit.save of a CNN (review: TorchScript code)", "pytorch-zip")

    # pickle.dumps(tensor): torch.storage._load_from_bytes around a legacy torch.save blob.
    write("torch/pickled-tensor.pkl", pickle.dumps(torch.randn(2, 3)), P, [], "pickle.dumps of a tensor: _load_from_bytes wraps a legacy torch.save blob (scanned inside)", "pickle")
    write("torch/pickled-large-tensor.pkl", pickle.dumps(torch.randn(600, 600)), P, [], "pickle.dumps of a 1.4 MB tensor: the blob is too large to keep in memory and is read again from the file", "pickle")
    write("torch/pickled-state-dict.pkl", pickle.dumps(net.state_dict(), protocol=4), P, [], "pickle.dumps (protocol 4) of a state_dict: one _load_from_bytes blob per tensor", "pickle")

    # A legacy checkpoint whose magic-number pickle was written another way (torch.load still reads it).
    legacy = torch_bytes(net.state_dict(), True)
    magic = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    assert legacy.startswith(magic)
    for proto in (0, 4):
        rewritten = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=proto) + legacy[len(magic):]
        torch.load(io.BytesIO(rewritten))  # benign, built here: proves torch accepts it
        write(f"torch/legacy-magic-protocol{proto}.pt", rewritten, P, [], f"legacy checkpoint whose magic-number pickle is re-written with protocol {proto} (torch.load accepts it)", "pytorch-legacy")


# ---------------------------------------------------------------------------------------------
# numpy

def numpy_samples():
    rng = np.random.default_rng(0)
    arrays = {
        "f32": rng.standard_normal((3, 4)).astype(np.float32),
        "i64": np.arange(10),
        "fortran": np.asfortranarray(rng.standard_normal((3, 2))),
        "structured": np.array([(1, 2.5, b"ab")], dtype=[("a", "<i4"), ("b", "<f8"), ("c", "S2")]),
        "unicode": np.array(["alpha", "beta"]),
        "bool": np.array([True, False, True]),
        "c128": np.array([1 + 2j]),
        "big-endian": np.arange(4, dtype=">i4"),
        "datetime": np.array(["2024-01-01", "2024-06-30"], dtype="datetime64[D]"),
        "empty": np.zeros((0, 3)),
        "scalar": np.array(7.0),
    }
    for name, a in arrays.items():
        buf = io.BytesIO()
        np.save(buf, a)
        write(f"numpy/{name}.npy", buf.getvalue(), P, [], f"np.save of a {a.dtype} array {a.shape}", "numpy-npy")
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}, [1, 2], "x"], dtype=object), allow_pickle=True)
    write("numpy/object-array.npy", buf.getvalue(), W, ["NUMPY_OBJECT_ARRAY"], "np.save of an object array: loading needs allow_pickle=True, which unpickles (review)", "numpy-npy")
    buf = io.BytesIO()
    np.savez(buf, **{k: v for k, v in arrays.items() if k != "scalar"})
    write("numpy/arrays.npz", buf.getvalue(), P, [], "np.savez of many arrays", "numpy-npz")
    buf = io.BytesIO()
    np.savez_compressed(buf, weights=arrays["f32"], ids=arrays["i64"], names=arrays["unicode"])
    write("numpy/arrays-compressed.npz", buf.getvalue(), P, [], "np.savez_compressed (deflated members)", "numpy-npz")
    buf = io.BytesIO()
    np.savez_compressed(buf, w=np.zeros((1024, 512)), b=np.zeros(512))
    write("numpy/zeros-compressed.npz", buf.getvalue(), P, [], "np.savez_compressed of zero arrays (4 MiB at 1000:1: small, not a bomb)", "numpy-npz")


# ---------------------------------------------------------------------------------------------
# joblib and scikit-learn

def training_data():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 4))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    return x, y


def joblib_samples():
    x, y = training_data()
    pipe = Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=2, random_state=0)), ("clf", LogisticRegression())]).fit(x, y)
    forest = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(x, y)
    tree = DecisionTreeRegressor(max_depth=2, random_state=0).fit(x, x[:, 0])
    arrays = {"weights": np.arange(64, dtype=np.float32).reshape(8, 8), "ids": np.arange(5), "names": np.array(["a", "b"])}

    def dump(rel, obj, what, compress=0, verdict=P, codes=()):
        joblib.dump(obj, rel_path(rel), compress=compress)
        label(rel, verdict, codes, what, "joblib" if compress else None)

    dump("joblib/pipeline.joblib", pipe, "joblib.dump of a scikit-learn Pipeline (StandardScaler, PCA, LogisticRegression)")
    dump("joblib/random-forest.joblib", forest, "joblib.dump of a RandomForestClassifier (tree arrays with structured dtypes)")
    dump("joblib/arrays.joblib", arrays, "joblib.dump of a dict of numpy arrays")
    knn = KNeighborsClassifier(n_neighbors=3).fit(x, y)
    dump("joblib/knn.joblib", knn, "joblib.dump of a KNeighborsClassifier (KDTree rebuilt with sklearn's Cython newObj)")
    tfidf = TfidfVectorizer().fit(["alpha beta gamma", "beta gamma delta"])
    dump("joblib/tfidf.joblib", tfidf, "joblib.dump of a fitted TfidfVectorizer (vocabulary dict, numpy float64 dtype)")
    write("sklearn/tfidf-matrix-pickle.pkl", pickle.dumps(tfidf.transform(["alpha delta"]), protocol=4), P, [], "pickle.dumps of a scipy.sparse csr_matrix", "pickle")
    compressors = [("zlib", 3), ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3)]
    try:
        import lz4.frame  # noqa: F401  joblib needs it for ("lz4", n)

        compressors.append(("lz4", 3))
    except ImportError:
        print("lz4 is not installed: no lz4-compressed joblib sample", file=sys.stderr)
    for method, level in compressors:
        dump(f"joblib/pipeline-{method}.joblib", pipe, f"joblib.dump of the Pipeline compressed with {method}", compress=(method, level))
        dump(f"joblib/arrays-{method}.joblib", arrays, f"joblib.dump of numpy arrays compressed with {method}", compress=(method, level))
    for method, level in compressors:
        dump(f"joblib/zeros-{method}.joblib", {"w": np.zeros((1024, 512))}, f"4 MiB of zeros compressed with {method} (far past 200:1, yet no bomb below 64 MiB of output)", compress=(method, level))
    dump("joblib/tree-compress3.pkl", tree, "joblib.dump(compress=3) of a DecisionTreeRegressor (zlib, .pkl name)", compress=3)
    write("sklearn/pipeline-pickle.pkl", pickle.dumps(pipe, protocol=4), P, [], "pickle.dumps of a scikit-learn Pipeline (protocol 4)", "pickle")
    write("sklearn/forest-pickle-proto2.pkl", pickle.dumps(forest, protocol=2), P, [], "pickle.dumps of a RandomForestClassifier (protocol 2)", "pickle")


# ---------------------------------------------------------------------------------------------
# ONNX and HDF5

def onnx_model(rng):
    w = numpy_helper.from_array(rng.standard_normal((4, 3)).astype(np.float32), "W")
    b = numpy_helper.from_array(rng.standard_normal((3,)).astype(np.float32), "B")
    nodes = [helper.make_node("MatMul", ["X", "W"], ["XW"]), helper.make_node("Add", ["XW", "B"], ["Y0"]), helper.make_node("Relu", ["Y0"], ["Y"])]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4])], [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 3])], [w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="garden-corpus")
    onnx.checker.check_model(model)
    return model


def onnx_h5_samples():
    rng = np.random.default_rng(2)
    onnx.save_model(onnx_model(rng), rel_path("onnx/inline/model.onnx"))
    label("onnx/inline/model.onnx", P, [], "onnx.save of a MatMul/Add/Relu model with inline initializers", "onnx")
    onnx.save_model(onnx_model(rng), rel_path("onnx/external/model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True, location="model.onnx.data", size_threshold=0)
    label("onnx/external", P, [], "onnx.save with save_as_external_data (one model.onnx.data file)")
    onnx.save_model(onnx_model(rng), rel_path("onnx/external-per-tensor/model.onnx"), save_as_external_data=True, all_tensors_to_one_file=False, size_threshold=0)
    label("onnx/external-per-tensor", P, [], "onnx.save with one external data file per tensor")

    with h5py.File(rel_path("hdf5/weights.h5"), "w") as f:
        g = f.create_group("dense")
        g.create_dataset("kernel", data=rng.standard_normal((4, 3)).astype(np.float32))
        g.create_dataset("bias", data=np.zeros(3, dtype=np.float32))
        g.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        f.attrs["layer_names"] = [b"dense"]
    label("hdf5/weights.h5", P, [], "h5py weights file (groups, datasets, byte-string attributes, no model_config)", "hdf5")
    with h5py.File(rel_path("hdf5/chunked-compressed.h5"), "w") as f:
        f.create_dataset("x", data=np.arange(1000, dtype=np.int32), chunks=(100,), compression="gzip")
        f.attrs["note"] = "chunked, gzip-compressed dataset"
    label("hdf5/chunked-compressed.h5", P, [], "h5py chunked gzip-compressed dataset with a str attribute", "hdf5")


def main():
    global OUT
    OUT = os.path.abspath(sys.argv[1])
    os.makedirs(OUT, exist_ok=True)
    torch_samples()
    numpy_samples()
    joblib_samples()
    onnx_h5_samples()
    versions = {"torch": torch.__version__, "numpy": np.__version__, "joblib": joblib.__version__, "sklearn": sklearn.__version__, "onnx": onnx.__version__, "h5py": h5py.__version__}
    with open(os.path.join(OUT, "labels.json"), "w") as f:
        json.dump({"versions": versions, "labels": LABELS}, f, indent=1)
    print(f"{len(LABELS)} real-library samples in {OUT} ({', '.join(f'{k} {v}' for k, v in versions.items())})")


if __name__ == "__main__":
    main()
