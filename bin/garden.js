#!/usr/bin/env node
// Runs the built CLI (npm run build); falls back to the TypeScript sources through tsx in a checkout
// without a build, or when GARDEN_CLI_FROM_SOURCE=1 (tests).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (existsSync(built) && process.env.GARDEN_CLI_FROM_SOURCE !== '1') {
  const { main } = await import(built);
  await main();
} else {
  const { tsImport } = await import('tsx/esm/api');
  const { main } = await tsImport('../src/cli/main.ts', import.meta.url);
  await main();
}
