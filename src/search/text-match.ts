/**
 * Turns a parsed query into SQL: which models match the words, and how they rank.
 *
 * Each term group (a word or phrase with its synonyms) matches a model when the model's weighted
 * tsvector contains any alternative (prefix match for single words). A word that matches nothing
 * in the catalog is spelling-corrected beforehand to the nearest catalog words (trigram index on
 * search_words), so no per-row fuzzy comparison is needed. A model must match most groups
 * (60 %, rounded up); the relaxed pass asks for one, without corrections.
 * Score: exact slug/name match ≫ groups matched ≫ weighted rank of the user's own words > rank
 * of their expansions, task hint, a nudge for production
 * models, and a penalty for deprecated and retired ones so replacements rank first.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { ParsedQuery } from './query-parser.js';

const TOKEN = /[a-z0-9]+/g;
const CORRECTABLE_MIN_LENGTH = 4;

/** A to_tsquery string built only from [a-z0-9] tokens, so it is always syntactically valid. */
export function groupTsQuery(group: readonly string[]): string | null {
  const alternatives = group
    .map((alt, i) => {
      const tokens = alt.toLowerCase().match(TOKEN) ?? [];
      if (tokens.length === 0) return null;
      if (tokens.length === 1) {
        const [t] = tokens as [string];
        // prefix-match the user's own word ("summ" finds "summarizer"), not the expansions
        return i === 0 && t.length >= 3 ? `${t}:*` : t;
      }
      // The user's own two words in any order ("pii redaction"); longer phrases, where word order
      // carries meaning ("speech to text" is not "text to speech"), and vocabulary phrases as phrases.
      return i === 0 && tokens.length === 2 ? `(${tokens.join(' & ')})` : `(${tokens.join(' <-> ')})`;
    })
    .filter((x): x is string => x !== null);
  return alternatives.length ? [...new Set(alternatives)].join(' | ') : null;
}

/** Single words of the query that spelling correction may replace when they match nothing. */
export function correctableWords(parsed: ParsedQuery): string[] {
  return parsed.termGroups
    .map((g) => (g[0] ?? '').toLowerCase())
    .filter((w) => w.length >= CORRECTABLE_MIN_LENGTH && /^[a-z0-9]+$/.test(w));
}

/** A tsquery matching documents that contain at least `need` of the groups (any, for many groups). */
export function coverQuery(groups: readonly string[], need: number): string {
  if (need <= 1 || groups.length > 6) return groups.map((g) => `(${g})`).join(' | ');
  const combos: string[][] = [];
  const pick = (start: number, chosen: string[]) => {
    if (chosen.length === need) {
      combos.push(chosen);
      return;
    }
    for (let i = start; i < groups.length; i++) pick(i + 1, [...chosen, groups[i] as string]);
  };
  pick(0, []);
  return combos.map((c) => `(${c.map((g) => `(${g})`).join(' & ')})`).join(' | ');
}

export interface TextMatch {
  /** Index-friendly superset of the matches (GIN on search_doc, slug and name indexes). Needs `ms` = model_search. */
  candidates: SQL;
  /** Per-row match facts, selected once in an inner query (the tsvector is read once per row). */
  columns: SQL;
  /** Conditions and score over those columns, for the outer query (alias x). */
  where: SQL;
  score: SQL;
}

/**
 * @param corrections catalog words close to a query word that itself matches nothing, e.g.
 *   "sumarization" → ["summarization"]; they stand in for the user's own word.
 */
export function textMatch(parsed: ParsedQuery, relaxed: boolean, corrections: ReadonlyMap<string, string[]>): TextMatch | null {
  const text = parsed.text.toLowerCase();
  const exact = sql`(m.slug = ${text} OR lower(m.name) = ${text})`;
  const tsq = (q: string) => sql`to_tsquery('english', ${q})`;
  // Per word group: does the model contain the user's own word (or its correction), or only one
  // of the vocabulary's expansions of it?
  const groups = parsed.termGroups
    .map((g) => {
      const fixes = relaxed ? [] : (corrections.get((g[0] ?? '').toLowerCase()) ?? []);
      const own = [g.slice(0, 1), ...fixes.map((f) => [f])].map(groupTsQuery).filter((x): x is string => x !== null);
      const any = groupTsQuery([...g, ...fixes]);
      return any ? { any, own: own.length ? own.join(' | ') : null } : null;
    })
    .filter((x): x is { any: string; own: string | null } => x !== null);

  if (groups.length === 0) {
    // Only constraints were given ("CPU only", "under 16 GB"): every model that meets them matches.
    return null;
  }
  const need = relaxed ? 1 : Math.ceil(groups.length * 0.6);
  const anyAll = groups.map((g) => `(${g.any})`).join(' | ');
  const ownAll = groups.flatMap((g) => (g.own ? [`(${g.own})`] : [])).join(' | ');
  const taskHint = parsed.tasks.length
    ? sql`(m.tasks && ARRAY[${sql.join(parsed.tasks.map((t) => sql`${t}`), sql`, `)}]::text[])::int`
    : sql`0`;
  const columns = sql`${exact}::int AS t_exact,
    (${sql.join(groups.map((g) => sql`(ms.search_doc @@ ${tsq(g.any)})::int`), sql` + `)}) AS t_coverage,
    (${sql.join(groups.map((g) => (g.own ? sql`(ms.search_doc @@ ${tsq(g.own)})::int` : sql`0`)), sql` + `)}) AS t_own_coverage,
    ts_rank('{0.1, 0.2, 0.4, 1.0}', ms.search_doc, ${tsq(anyAll)}, 1)::float8 AS t_rank,
    ${ownAll ? sql`ts_rank('{0.1, 0.2, 0.4, 1.0}', ms.search_doc, ${tsq(ownAll)}, 1)` : sql`0`}::float8 AS t_own,
    ${taskHint} AS t_task,
    (coalesce(v.maturity, '') = 'production')::int AS t_prod,
    (coalesce(v.lifecycle, '') IN ('deprecated', 'retired'))::int AS t_old`;
  // A group matched by the user's own word counts 10, by an expansion only 6.
  const score = sql`(100 * x.t_exact + 6 * x.t_coverage + 4 * x.t_own_coverage + 40 * x.t_own + 5 * x.t_rank
    + 3 * x.t_task + 0.5 * x.t_prod - 2 * x.t_old)`;
  return {
    // The index finds exactly the models that match enough groups: "(g1 & g2) | (g1 & g3) | …".
    // An exact slug or name match is among them: name and slug are part of the document.
    candidates: sql`ms.search_doc @@ ${tsq(coverQuery(groups.map((g) => g.any), need))}`,
    columns,
    where: sql`(x.t_exact = 1 OR x.t_coverage >= ${need})`,
    score,
  };
}
