/**
 * TensorFlow SavedModel validation: walks `saved_model.pb` (SavedModel → MetaGraphDef → GraphDef
 * nodes and every function in the library) and flags operators that run Python, touch files or
 * the network when the graph runs. The saver ops (SaveV2, RestoreV2, MergeV2Checkpoints, …) are in
 * every SavedModel; they are flagged only when the path they write or read is fixed in the graph
 * (absolute, `..`, a URL) rather than fed in by the loader. Keras layer metadata stored in the
 * SavedModel (and in `keras_metadata.pb`) is checked for Lambda layers and custom objects.
 * The other files of a SavedModel folder (fingerprint.pb, variables/variables.index and
 * variables/variables.data-*) are recognised by name. TFLite flatbuffers are only recognised.
 */
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ScanTarget } from '../context.js';
import { capFindings, finding, type Finding } from '../types.js';
import { kerasConfigFindings } from './keras.js';
import { ProtoError, ProtoReader } from './onnx.js';

const SHORT = 4096;
const MAX_KEPT_STRINGS = 16;

const PYTHON_OPS = new Set(['PyFunc', 'PyFuncStateless', 'EagerPyFunc']);
/** Ops that read, list or write files (modelscan, saved_model_cli's deny list, TensorAbuse). */
const FILE_OPS: Readonly<Record<string, string>> = {
  ReadFile: 'reads a file',
  WriteFile: 'writes a file',
  MatchingFiles: 'lists files matching a pattern',
  MatchingFilesDataset: 'lists files matching a pattern',
  ExperimentalMatchingFilesDataset: 'lists files matching a pattern',
  ImmutableConst: 'memory-maps a file',
  FixedLengthRecordDataset: 'reads files',
  FixedLengthRecordDatasetV2: 'reads files',
  TFRecordDataset: 'reads files',
  TFRecordDatasetV2: 'reads files',
  TextLineDataset: 'reads files',
  CSVDataset: 'reads files',
  CSVDatasetV2: 'reads files',
  ExperimentalCSVDataset: 'reads files',
  LMDBDataset: 'reads files',
  ExperimentalLMDBDataset: 'reads files',
  SqlDataset: 'queries a database file',
  ExperimentalSqlDataset: 'queries a database file',
  LoadDataset: 'reads files',
  SaveDataset: 'writes files',
  SaveDatasetV2: 'writes files',
  DatasetToTFRecord: 'writes files',
  ExperimentalDatasetToTFRecord: 'writes files',
  DistributedSave: 'writes files',
  SnapshotDataset: 'writes files',
  SnapshotDatasetV2: 'writes files',
  WholeFileReader: 'reads files',
  WholeFileReaderV2: 'reads files',
  TextLineReader: 'reads files',
  TextLineReaderV2: 'reads files',
  FixedLengthRecordReader: 'reads files',
  FixedLengthRecordReaderV2: 'reads files',
  TFRecordReader: 'reads files',
  TFRecordReaderV2: 'reads files',
  LMDBReader: 'reads files',
  CreateSummaryFileWriter: 'writes files',
  CreateSummaryDbWriter: 'writes a database file',
};
/** Ops that talk to other hosts (or can, through debug URLs). */
const NETWORK_OPS = new Set([
  'RpcCall', 'RpcClient', 'RpcServer', 'RpcServerRegister', 'RpcServerStart', 'RpcCheckStatus', 'RpcGetValue', 'Rpc', 'TryRpc',
  'RegisterDataset', 'RegisterDatasetV2', 'DataServiceDataset', 'DataServiceDatasetV2', 'DataServiceDatasetV3', 'DataServiceDatasetV4',
  'DebugIdentity', 'DebugIdentityV2', 'DebugIdentityV3', 'DebugNanCount', 'DebugNumericSummary',
]);
/** Ops that write or read checkpoints (or vocabularies): normal, unless their path is fixed in the graph. Value: path inputs. */
const PATH_OPS: Readonly<Record<string, readonly number[]>> = {
  Save: [0], SaveV2: [0], SaveSlices: [0], MergeV2Checkpoints: [0, 1], Restore: [0], RestoreV2: [0], RestoreSlice: [0],
  InitializeTableFromTextFile: [1], InitializeTableFromTextFileV2: [1],
};
/** Ops that only pass or assemble a path (the standard saver graph is built from these). */
const PLUMBING = new Set([
  'Identity', 'IdentityN', 'StringJoin', 'ShardedFilename', 'ShardedFilespec', 'Select', 'SelectV2', 'Pack', 'StaticRegexFullMatch',
  'Placeholder', 'PlaceholderWithDefault', 'Const', 'StopGradient',
]);

interface Node {
  name: string;
  op: string;
  inputs: string[];
  /** Short string attribute values (s, list.s) and, for Const, string tensor values. */
  strings: string[];
  at: number;
}
interface Scope {
  label: string;
  nodes: Node[];
}
interface Parsed {
  scopes: Scope[];
  /** Tensor names the loader rewrites to files in assets/ (TF1 asset_file_def). */
  assets: Set<string>;
  kerasMetadata: { json: string; at: number }[];
  metaGraphs: number;
}

const q = (s: string) => JSON.stringify(s.length > 160 ? `${s.slice(0, 160)}…` : s);

async function shortBytes(r: ProtoReader, end: number): Promise<string | null> {
  const stop = await r.len(end);
  if (stop - r.pos > SHORT) {
    r.seek(stop, end);
    return null;
  }
  return (await r.bytes(stop - r.pos)).toString('utf8');
}

async function readNode(r: ProtoReader, end: number): Promise<Node> {
  const n: Node = { name: '', op: '', inputs: [], strings: [], at: r.pos };
  const keep = (s: string | null) => {
    if (s !== null && n.strings.length < MAX_KEPT_STRINGS) n.strings.push(s);
  };
  const tensor = (e: number) =>
    r.each(e, async (f, w) => (f === 8 && w === 2 ? (keep(await shortBytes(r, e)), true) : false));
  const attrValue = (e: number) =>
    r.each(e, async (f, w) => {
      if (w !== 2) return false;
      if (f === 2) keep(await shortBytes(r, e));
      else if (f === 8) await r.message(e, tensor);
      else if (f === 1) {
        await r.message(e, (le) =>
          r.each(le, async (g, gw) => {
            if (g === 2 && gw === 2) keep(await shortBytes(r, le));
            else if (g === 8 && gw === 2) await r.message(le, tensor);
            else return false;
            return true;
          }),
        );
      } else return false;
      return true;
    });
  await r.each(end, async (f, w) => {
    if (w !== 2) return false;
    if (f === 1) n.name = await r.string(end);
    else if (f === 2) n.op = await r.string(end);
    else if (f === 3) n.inputs.push(await r.string(end));
    else if (f === 5) {
      await r.message(end, (e) =>
        r.each(e, async (g, gw) => (g === 2 && gw === 2 ? (await r.message(e, attrValue), true) : false)),
      );
    } else return false;
    return true;
  });
  return n;
}

async function readGraphDef(r: ProtoReader, end: number, p: Parsed, label: string): Promise<void> {
  const main: Scope = { label, nodes: [] };
  p.scopes.push(main);
  await r.each(end, async (f, w) => {
    if (w !== 2) return false;
    if (f === 1) await r.message(end, async (e) => void main.nodes.push(await readNode(r, e)));
    else if (f === 2) {
      await r.message(end, (le) =>
        r.each(le, async (g, gw) => {
          if (g !== 1 || gw !== 2) return false;
          const fn: Scope = { label: 'a function', nodes: [] };
          await r.message(le, (fe) =>
            r.each(fe, async (h, hw) => {
              if (hw !== 2) return false;
              if (h === 1) {
                await r.message(fe, (oe) => r.each(oe, async (k, kw) => (k === 1 && kw === 2 ? ((fn.label = `function ${q(await r.string(oe))}`), true) : false)));
              } else if (h === 3) await r.message(fe, async (ne) => void fn.nodes.push(await readNode(r, ne)));
              else return false;
              return true;
            }),
          );
          p.scopes.push(fn);
          return true;
        }),
      );
    } else return false;
    return true;
  });
}

async function readSavedObjectGraph(r: ProtoReader, end: number, p: Parsed): Promise<void> {
  await r.each(end, async (f, w) => {
    if (f !== 1 || w !== 2) return false;
    await r.message(end, (oe) =>
      r.each(oe, async (g, gw) => {
        if (g !== 4 || gw !== 2) return false;
        await r.message(oe, (ue) =>
          r.each(ue, async (h, hw) => {
            if (h !== 3 || hw !== 2) return false;
            const at = r.pos;
            p.kerasMetadata.push({ json: await r.string(ue), at });
            return true;
          }),
        );
        return true;
      }),
    );
    return true;
  });
}

async function readSavedModel(r: ProtoReader): Promise<Parsed> {
  const p: Parsed = { scopes: [], assets: new Set(), kerasMetadata: [], metaGraphs: 0 };
  // A bare GraphDef (a frozen graph) starts with its repeated node field; a SavedModel with its version.
  const first = r.size > 0 ? await r.tag() : null;
  r.pos = 0;
  if (first?.field === 1 && first.wire === 2) {
    p.metaGraphs = 1;
    await readGraphDef(r, r.size, p, 'the graph');
    return p;
  }
  await r.each(r.size, async (f, w) => {
    if (f !== 2 || w !== 2) return false;
    const index = p.metaGraphs++;
    await r.message(r.size, (me) =>
      r.each(me, async (g, gw) => {
        if (gw !== 2) return false;
        if (g === 2) await r.message(me, (ge) => readGraphDef(r, ge, p, `meta graph #${index}`));
        else if (g === 7) await r.message(me, (oe) => readSavedObjectGraph(r, oe, p));
        else if (g === 6) {
          // AssetFileDef { TensorInfo tensor_info = 1 { string name = 1 } }
          await r.message(me, (ae) =>
            r.each(ae, async (h, hw) => {
              if (h !== 1 || hw !== 2) return false;
              await r.message(ae, (te) => r.each(te, async (k, kw) => (k === 1 && kw === 2 ? (p.assets.add((await r.string(te)).split(':')[0]!), true) : false)));
              return true;
            }),
          );
        } else return false;
        return true;
      }),
    );
    return true;
  });
  return p;
}

const SUSPICIOUS_PATH = /^(\/|~|\\\\|[A-Za-z]:[\\/])|(^|[\\/])\.\.([\\/]|$)|^[a-z][a-z0-9+.-]*:\/\//i;

/** Follows a path input back through plumbing ops: fixed strings found, or the op that computes it. */
function tracePath(byName: Map<string, Node>, input: string, assets: Set<string>): { fixed: string[]; computedBy: string | null } {
  const fixed: string[] = [];
  const seen = new Set<string>();
  const stack = [input];
  while (stack.length > 0 && seen.size < 256) {
    const ref = stack.pop()!;
    if (ref.startsWith('^')) continue;
    const name = ref.split(':')[0]!;
    if (seen.has(name)) continue;
    seen.add(name);
    const n = byName.get(name);
    if (!n || assets.has(name)) continue; // a function argument or a loader-rewritten asset path
    if (!PLUMBING.has(n.op)) return { fixed, computedBy: n.op };
    if (n.op === 'Const') fixed.push(...n.strings);
    stack.push(...n.inputs);
  }
  return { fixed, computedBy: null };
}

function checkScopes(p: Parsed): Finding[] {
  const out: Finding[] = [];
  for (const scope of p.scopes) {
    const byName = new Map(scope.nodes.map((n) => [n.name, n]));
    for (const n of scope.nodes) {
      const where = `node ${q(n.name)} in ${scope.label}`;
      if (PYTHON_OPS.has(n.op)) {
        out.push(finding('TF_PYTHON_OP', 'critical', `${where} is a ${n.op} op: running the graph calls a Python function in the loading process`, n.at));
        continue;
      }
      const fileOp = FILE_OPS[n.op];
      if (fileOp || NETWORK_OPS.has(n.op)) {
        const fixed = n.inputs.flatMap((i) => tracePath(byName, i, p.assets).fixed);
        const detail = [...new Set([...fixed, ...n.strings])].filter((s) => s.length > 0).slice(0, 4);
        const shown = detail.length ? ` (values in the graph: ${detail.map(q).join(', ')})` : '';
        out.push(
          fileOp
            ? finding('TF_FILE_ACCESS', 'high', `${where} is a ${n.op} op, which ${fileOp} on the host when the graph runs${shown}`, n.at)
            : finding('TF_NETWORK', 'high', `${where} is a ${n.op} op, which can send data to or fetch it from other hosts${shown}`, n.at),
        );
        continue;
      }
      if (n.op === 'PrintV2') {
        const file = n.strings.find((s) => s.startsWith('file://'));
        if (file) out.push(finding('TF_FILE_ACCESS', 'high', `${where} is a PrintV2 op that writes to ${q(file)} on the host`, n.at));
        continue;
      }
      const pathInputs = PATH_OPS[n.op];
      if (pathInputs) {
        for (const i of pathInputs) {
          const input = n.inputs.filter((x) => !x.startsWith('^'))[i];
          if (input === undefined) continue;
          const t = tracePath(byName, input, p.assets);
          const bad = t.fixed.filter((s) => SUSPICIOUS_PATH.test(s));
          if (bad.length) {
            out.push(finding('TF_FILE_ACCESS', 'high', `${where} is a ${n.op} op whose path is fixed in the graph to ${bad.slice(0, 3).map(q).join(', ')}: it touches that file on the host, not the model's own checkpoint`, n.at));
          } else if (t.computedBy) {
            out.push(finding('TF_FILE_PATH_COMPUTED', 'medium', `${where} is a ${n.op} op whose path is computed by a ${t.computedBy} op, not passed in by the loader: review which file it touches`, n.at));
          }
        }
      }
    }
  }
  return out;
}

function kerasMetadataFindings(items: { json: string; at: number }[], where: string): Finding[] {
  const out: Finding[] = [];
  for (const m of items) {
    if (m.json.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(m.json);
    } catch {
      out.push(finding('TF_PARSE', 'high', `Keras metadata in ${where} is not valid JSON: it cannot be checked`, m.at));
      continue;
    }
    out.push(...kerasConfigFindings(value, `Keras metadata in ${where}`).map((f) => ({ ...f, offset: f.offset ?? m.at })));
  }
  return out;
}

async function withReader<T>(t: ScanTarget, fn: (r: ProtoReader) => Promise<T>): Promise<T> {
  const { r, close } = await ProtoReader.open(t.abs, Math.min(t.limits.maxHeaderBytes, 64 * 1024 * 1024));
  try {
    return await fn(r);
  } finally {
    await close();
  }
}

function failure(err: unknown, what: string): Finding[] {
  if (err instanceof ProtoError) return [finding('TF_PARSE', 'high', `${what} is not well-formed protobuf (${err.message} at offset ${err.offset}): it cannot be checked`, err.offset)];
  return [finding('SCAN_ERROR', 'high', `the file could not be read: ${(err as Error).message}`, null)];
}

/** SSTable footer magic of a TensorFlow checkpoint index (LevelDB table format). */
const TABLE_MAGIC = Buffer.from([0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb]);

/**
 * Scans the files of a TensorFlow SavedModel: `saved_model.pb` (or a frozen GraphDef `.pb`),
 * `saved_model.pbtxt`, `keras_metadata.pb`, `fingerprint.pb`, `variables/variables.index` and
 * `variables/variables.data-NNNNN-of-NNNNN`, chosen by file name. Handles FileFormat 'savedmodel'.
 */
export async function scanSavedModel(t: ScanTarget): Promise<Finding[]> {
  const base = path.posix.basename(t.path.replace(/\\/g, '/'));
  if (/\.data-\d{5}-of-\d{5}$/.test(base)) {
    return [finding('TF_CHECKPOINT_DATA', 'info', 'raw tensor bytes of a TensorFlow checkpoint shard; TensorFlow reads them as numbers only, so they are not parsed', null)];
  }
  if (base.endsWith('.index')) {
    const fh = await open(t.abs, 'r');
    try {
      const tail = Buffer.alloc(8);
      if (t.size >= 48) await fh.read(tail, 0, 8, t.size - 8);
      return t.size >= 48 && tail.equals(TABLE_MAGIC)
        ? []
        : [finding('TF_PARSE', 'high', 'the file is named like a checkpoint index but does not end with the table magic number: it is not what its name says', Math.max(0, t.size - 8))];
    } finally {
      await fh.close();
    }
  }
  if (base.endsWith('.pbtxt')) return scanPbtxt(t);
  if (base === 'keras_metadata.pb') {
    try {
      const items = await withReader(t, async (r) => {
        const found: { json: string; at: number }[] = [];
        await r.each(r.size, async (f, w) => {
          if (f !== 1 || w !== 2) return false;
          await r.message(r.size, (e) =>
            r.each(e, async (g, gw) => (g === 5 && gw === 2 ? (found.push({ at: r.pos, json: await r.string(e) }), true) : false)),
          );
          return true;
        });
        return found;
      });
      return capFindings(kerasMetadataFindings(items, 'keras_metadata.pb'));
    } catch (err) {
      return failure(err, 'keras_metadata.pb');
    }
  }
  if (base === 'fingerprint.pb') {
    try {
      await withReader(t, (r) => r.each(r.size, async () => false));
      return [];
    } catch (err) {
      return failure(err, 'fingerprint.pb');
    }
  }
  let parsed: Parsed;
  try {
    parsed = await withReader(t, readSavedModel);
  } catch (err) {
    return failure(err, 'the SavedModel');
  }
  if (parsed.metaGraphs === 0) return [finding('TF_PARSE', 'high', 'the SavedModel has no meta graph: it is not a TensorFlow model, so it cannot be checked', 0)];
  return capFindings([...checkScopes(parsed), ...kerasMetadataFindings(parsed.kerasMetadata, 'the SavedModel')]);
}

/** Text-format SavedModel: op names and string values found by pattern (no data flow). */
async function scanPbtxt(t: ScanTarget): Promise<Finding[]> {
  if (t.size > t.limits.maxHeaderBytes) return [finding('SCAN_LIMIT', 'high', `the text SavedModel is ${t.size} bytes, over the scan limit of ${t.limits.maxHeaderBytes}`, null)];
  const text = await readFile(t.abs, 'utf8');
  const out: Finding[] = [];
  for (const m of text.matchAll(/\bop:\s*"([A-Za-z0-9_]+)"/g)) {
    const op = m[1]!;
    const at = Buffer.byteLength(text.slice(0, m.index));
    if (PYTHON_OPS.has(op)) out.push(finding('TF_PYTHON_OP', 'critical', `a ${op} op: running the graph calls a Python function in the loading process`, at));
    else if (FILE_OPS[op]) out.push(finding('TF_FILE_ACCESS', 'high', `a ${op} op, which ${FILE_OPS[op]} on the host when the graph runs`, at));
    else if (NETWORK_OPS.has(op)) out.push(finding('TF_NETWORK', 'high', `a ${op} op, which can send data to or fetch it from other hosts`, at));
  }
  return capFindings(out);
}

/** Recognises a TFLite flatbuffer ('TFL3' at offset 4). Custom operators are not checked. Handles FileFormat 'tflite'. */
export async function scanTflite(t: ScanTarget): Promise<Finding[]> {
  const root = t.head.length >= 8 ? t.head.readUInt32LE(0) : -1;
  if (root < 8 || root >= t.size) return [finding('TFLITE_PARSE', 'high', 'the TFLite flatbuffer root offset points outside the file: it is damaged', 0)];
  return [finding('TFLITE_MODEL', 'info', 'a TFLite flatbuffer: its operators run inside the TFLite interpreter; custom operators (which need native code from the host) are not checked', null)];
}
