/** How facet values and filters read to people. */
import { capitalize, formatTokens, languageName } from '../lib/format';
import type { ValueFacetName } from './search-state';

export function formatFacetValue(name: ValueFacetName, value: string): string {
  switch (name) {
    case 'language':
      return languageName(value);
    case 'maturity':
    case 'lifecycle':
    case 'compliance':
      return capitalize(value);
    default:
      return value;
  }
}

export const formatFitsIn = (v: string): string => `Fits in ${v} GB`;
export const formatMinContext = (v: string): string => `At least ${formatTokens(Number(v))} tokens`;
export const formatCpu = (v: string): string => (v === 'true' ? 'Runs on CPU' : 'Needs a GPU');
