/**
 * The child's one error type: a status and a message. The server turns it into the protocol's
 * error body (`{"error": "..."}` for OIP, `{"error": {message, type, code}}` for OpenAI paths).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function isHttpError(err: unknown): err is HttpError {
  return err instanceof HttpError;
}
