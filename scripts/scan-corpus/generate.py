#!/usr/bin/env python3
"""Writes the scanner's labelled test corpus into OUTDIR (Python 3 standard library only).

    python3 scripts/scan-corpus/generate.py OUTDIR

Every sample is harmless: the "malicious" ones would, if loaded, at most touch a marker file under
/tmp. Nothing here loads them. OUTDIR/labels.json lists each sample with the verdict the scanner
must give ("block", "warn" or "pass") and finding codes it must report (at least those).
Each family of samples lives in its own module with a generate(out_dir) function returning the
labels it wrote: pickles.py (pickle, PyTorch, numpy, joblib) and formats.py (safetensors, GGUF,
ONNX, Keras, SavedModel, archives, repository files).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    labels = []
    for name in ("pickles", "formats"):
        try:
            module = __import__(name)
        except ModuleNotFoundError:
            continue
        labels.extend(module.generate(out))
    with open(os.path.join(out, "labels.json"), "w") as f:
        json.dump(labels, f, indent=1)
    print(f"{len(labels)} samples in {out}")


if __name__ == "__main__":
    main()
