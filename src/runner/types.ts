/**
 * The local runner's contract: real inference processes on this host, one child process per
 * endpoint, each speaking the Open Inference Protocol v2 (and, for generative models, the
 * OpenAI-compatible completions API). The supervisor in this folder implements it.
 */

export type RunnerModelFormat = 'onnx' | 'gguf';

export interface EndpointSpec {
  /** Deployment id (uuid); names the endpoint in logs and failures. */
  id: string;
  /** The model name in OIP paths (`/v2/models/{modelName}/infer`) and the OpenAI `model` field. */
  modelName: string;
  modelVersion: string;
  format: RunnerModelFormat;
  /** Absolute path of the model file on this host (the runner never deletes it). */
  modelPath: string;
  /** Resident memory limit of the child process; above it the child is killed and marked out_of_memory. */
  memoryMb: number;
  /** Inference threads (default 1: on small hosts more threads are slower for small models). */
  threads?: number | undefined;
  /**
   * Serving processes sharing the endpoint's port, each with its own copy of the model (model
   * instances, as Triton's instance groups); default 1. The memory limit covers them together.
   */
  workers?: number | undefined;
  /**
   * When set, every route but health and readiness needs `Authorization: Bearer <apiKey>`, so an
   * endpoint on a shared host or network is only usable by those given the key.
   */
  apiKey?: string | undefined;
  /** How often the supervisor probes `/v2/health/ready` (default: the runner's, 2 s). */
  healthIntervalMs?: number | undefined;
  /** How long the probe may go unanswered before the endpoint counts as hung (default: the runner's, 10 s). */
  hangAfterMs?: number | undefined;
  /** GGUF context size in tokens (default 2048). */
  contextSize?: number | undefined;
  /** Interface to listen on (default 127.0.0.1); port 0 picks a free port. */
  host?: string | undefined;
  port?: number | undefined;
}

export interface EndpointHandle {
  id: string;
  pid: number;
  /** Base URL, e.g. http://127.0.0.1:41234 (OIP paths below it; OpenAI paths under /v1 and /openai/v1). */
  url: string;
  startedAt: Date;
}

export type FailureReason = 'crashed' | 'hung' | 'out_of_memory' | 'start_failed' | 'start_timeout';

export interface EndpointFailure {
  id: string;
  reason: FailureReason;
  message: string;
  /** The child's last log lines (stdout and stderr interleaved), oldest first. */
  logTail: string[];
}

export interface LocalRunner {
  /**
   * Starts a child and resolves once `/v2/health/ready` answers 200. Rejects with
   * AppError('ENDPOINT_FAILED', message, { reason, logTail }) when the child exits, exceeds its
   * memory, or is not ready within the start timeout; the child is gone by then.
   */
  start(spec: EndpointSpec): Promise<EndpointHandle>;
  /** Stops the endpoint (SIGTERM, then SIGKILL after a grace period). Unknown ids are a no-op. */
  stop(id: string): Promise<void>;
  /**
   * Re-attaches to a process an earlier server left running (after a crash or restart): true
   * when `pid` is alive and `url` answers ready, after which it is supervised like its own
   * children (health, memory, hang); false otherwise (the caller restarts or marks it failed).
   */
  adopt(spec: EndpointSpec, running: { pid: number; url: string }): Promise<boolean>;
  list(): EndpointHandle[];
  /** The last log lines of a running or recently failed endpoint. */
  logs(id: string): string[];
  /** Called once per endpoint that fails after it was started or adopted. */
  onFailure(listener: (f: EndpointFailure) => void): void;
  /** Stops every child this runner started or adopted. */
  close(): Promise<void>;
}
