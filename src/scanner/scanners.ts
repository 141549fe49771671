/** Which scanner handles which format. Formats with no entry and no rule in scan.ts are blocked. */
import type { FormatScanner } from './context.js';
import { scanArchive } from './formats/archive.js';
import { scanGguf } from './formats/gguf.js';
import { scanKeras } from './formats/keras.js';
import { scanNpy, scanNpz } from './formats/numpy.js';
import { scanJoblib, scanPickle } from './formats/pickle.js';
import { scanPytorchLegacy, scanPytorchZip } from './formats/pytorch.js';
import { scanOnnx } from './formats/onnx.js';
import { scanConfigJson, scanRepositoryFile } from './formats/repository.js';
import { scanSafetensors } from './formats/safetensors.js';
import { scanSavedModel, scanTflite } from './formats/savedmodel.js';
import { scanSentencePiece } from './formats/sentencepiece.js';
import type { FileFormat } from './types.js';

export const SCANNERS: Partial<Record<FileFormat, FormatScanner>> = {
  pickle: scanPickle,
  joblib: scanJoblib,
  'pytorch-zip': scanPytorchZip,
  'pytorch-legacy': scanPytorchLegacy,
  'numpy-npy': scanNpy,
  'numpy-npz': scanNpz,
  safetensors: scanSafetensors,
  gguf: scanGguf,
  onnx: scanOnnx,
  keras: scanKeras,
  hdf5: scanKeras,
  savedmodel: scanSavedModel,
  tflite: scanTflite,
  zip: scanArchive,
  tar: scanArchive,
  gzip: scanArchive,
  json: scanConfigJson,
  python: scanRepositoryFile,
  shell: scanRepositoryFile,
  executable: scanRepositoryFile,
  sentencepiece: scanSentencePiece,
};
