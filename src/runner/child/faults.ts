/**
 * Test-only fault injection, so the supervisor's failure detection can be tested against a real
 * child. Honoured only when GARDEN_RUNNER_TEST_FAULT is set (the supervisor never sets it; tests
 * pass it through `RunnerOptions.childEnv`):
 *   leak        after ready, allocate and touch 16 MB every 50 ms (→ out_of_memory)
 *   hang        after ready, block the event loop forever (→ hung)
 *   crash       after ready, exit with code 3 after 300 ms (→ crashed)
 *   start-crash exit with code 2 while loading (→ start_failed)
 *   start-hang  never become ready (→ start_timeout)
 */
const fault = process.env.GARDEN_RUNNER_TEST_FAULT ?? '';

export async function injectStartFault(log: (line: string) => void): Promise<void> {
  if (fault === 'start-crash') {
    log('test fault: start-crash, exiting with code 2');
    process.exit(2);
  }
  if (fault === 'start-hang') {
    log('test fault: start-hang, never ready');
    // A pending promise alone would let the process exit; a timer keeps it alive.
    setInterval(() => undefined, 60_000);
    await new Promise(() => undefined);
  }
}

export function injectRunFault(log: (line: string) => void): void {
  if (fault === 'leak') {
    log('test fault: leak');
    const hoard: Buffer[] = [];
    setInterval(() => hoard.push(Buffer.alloc(16 * 1024 * 1024, 1)), 50);
  } else if (fault === 'hang') {
    log('test fault: hang');
    setTimeout(() => {
      for (;;) {
        // Busy loop: the process is alive but never answers again.
      }
    }, 200);
  } else if (fault === 'crash') {
    log('test fault: crash in 300 ms');
    setTimeout(() => process.exit(3), 300);
  }
}
