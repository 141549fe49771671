/**
 * Dynamic batching for ONNX models whose inputs and outputs all have a free first (batch)
 * dimension, as Triton does for such models: requests that arrive in the same event-loop turn
 * and have the same input signature run as one inference, concatenated along dimension 0, and
 * each gets its own rows back. A run of onnxruntime has a fixed cost that dominates small models,
 * so under concurrent load this is most of the throughput (see bench/runner.ts).
 * Any doubt (an output whose first dimension is not the total row count, a failing batched run)
 * falls back to one run per request, so results and errors stay per request.
 */
import type { DecodedTensor, OutputTensor, TensorMeta } from './tensors.js';

export type RunFn = (inputs: DecodedTensor[], outputNames: string[] | undefined) => Promise<OutputTensor[]>;

interface Pending {
  inputs: DecodedTensor[];
  outputNames: string[] | undefined;
  rows: number;
  resolve: (out: OutputTensor[]) => void;
  reject: (err: unknown) => void;
}

/** True when every declared input and output has a free first dimension. */
export function canBatch(inputs: readonly TensorMeta[], outputs: readonly TensorMeta[]): boolean {
  return [...inputs, ...outputs].every((t) => t.shape.length >= 1 && t.shape[0] === -1);
}

function signature(p: Pending): string | undefined {
  const rows = p.inputs[0]?.shape[0];
  const parts: string[] = [];
  for (const t of [...p.inputs].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    // Every input must agree on the row count, or the request is not a batch of rows.
    if (t.shape.length === 0 || t.shape[0] !== rows) return undefined;
    parts.push(`${t.name}:${t.datatype}:${t.shape.slice(1).join('x')}`);
  }
  return `${parts.join('|')}>${p.outputNames?.join(',') ?? '*'}`;
}

export function createBatcher(run: RunFn, maxRows = 64): RunFn {
  let queue: Pending[] = [];

  const runEach = (items: Pending[]) => {
    for (const p of items) run(p.inputs, p.outputNames).then(p.resolve, p.reject);
  };

  async function runBatch(items: Pending[]): Promise<void> {
    const total = items.reduce((n, p) => n + p.rows, 0);
    const first = items[0]!;
    const merged: DecodedTensor[] = first.inputs.map((t) => ({
      name: t.name,
      datatype: t.datatype,
      shape: [total, ...t.shape.slice(1)],
      data: items.flatMap((p) => p.inputs.find((x) => x.name === t.name)!.data),
    }));
    let outputs: OutputTensor[];
    try {
      outputs = await run(merged, first.outputNames);
    } catch {
      return runEach(items);
    }
    if (!outputs.every((o) => o.shape[0] === total)) return runEach(items);
    let offset = 0;
    for (const p of items) {
      const mine = outputs.map((o) => {
        const per = o.shape.slice(1).reduce((a, b) => a * b, 1);
        return { ...o, shape: [p.rows, ...o.shape.slice(1)], data: o.data.slice(offset * per, (offset + p.rows) * per) };
      });
      offset += p.rows;
      p.resolve(mine);
    }
  }

  function flush(): void {
    const items = queue;
    queue = [];
    const groups = new Map<string, Pending[]>();
    const alone: Pending[] = [];
    for (const p of items) {
      const key = p.rows > 0 && p.rows < maxRows ? signature(p) : undefined;
      if (key === undefined) alone.push(p);
      else groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    runEach(alone);
    for (const group of groups.values()) {
      // Split a large group into runs of at most maxRows rows.
      let chunk: Pending[] = [];
      let rows = 0;
      const send = () => {
        if (chunk.length === 1) runEach(chunk);
        else if (chunk.length > 1) void runBatch(chunk);
        chunk = [];
        rows = 0;
      };
      for (const p of group) {
        if (rows + p.rows > maxRows) send();
        chunk.push(p);
        rows += p.rows;
      }
      send();
    }
  }

  return (inputs, outputNames) =>
    new Promise<OutputTensor[]>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ inputs, outputNames, rows: inputs[0]?.shape[0] ?? 0, resolve, reject });
    });
}
