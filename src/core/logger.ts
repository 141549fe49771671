import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Structured JSON logs. Secrets and signed URLs never reach the log. */
export function createLogger(level: LoggerOptions['level'] = 'info', destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'model-garden' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.token', '*.password', '*.secret', 'config.db.url'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
