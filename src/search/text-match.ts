/**
 * Turns a parsed query into SQL: which models match the words, and how they rank.
 *
 * Each term group (a word or phrase with its synonyms) matches a model when the model's weighted
 * tsvector contains any alternative (prefix match for single words), or, for longer words, when
 * the word is trigram-similar to the model's name, slug, tasks or tags (misspellings). A model
 * must match most groups (60 %, rounded up); the relaxed pass asks for one, without fuzzy matches.
 * Score: exact slug/name match ≫ groups matched ≫ weighted rank of the user's own words > rank
 * of their expansions, trigram similarity of corrected words, task hint, a nudge for production
 * models, and a penalty for deprecated and retired ones so replacements rank first.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { ParsedQuery } from './query-parser.js';

const TOKEN = /[a-z0-9]+/g;
const FUZZY_MIN_LENGTH = 5;
const FUZZY_THRESHOLD = 0.7;

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
      // The user's own words in any order; vocabulary phrases as phrases.
      return i === 0 ? `(${tokens.join(' & ')})` : `(${tokens.join(' <-> ')})`;
    })
    .filter((x): x is string => x !== null);
  return alternatives.length ? [...new Set(alternatives)].join(' | ') : null;
}

/**
 * Words eligible for fuzzy matching. Only words with no exact hit in the catalog are matched
 * fuzzily (a real word is taken as meant, a misspelling is corrected), which also keeps the
 * expensive trigram comparisons off the common path.
 */
export function fuzzyCandidates(parsed: ParsedQuery): string[] {
  return parsed.termGroups
    .map((g) => (g[0] ?? '').toLowerCase())
    .filter((w) => w.length >= FUZZY_MIN_LENGTH && !/\s/.test(w));
}

export interface TextMatch {
  /** Index-friendly superset of the matches (GIN on search_doc and on search_text trigrams). */
  candidates: SQL;
  /** Per-row match facts, selected once in an inner query (the tsvector is read once per row). */
  columns: SQL;
  /** Conditions and score over those columns, for the outer query (alias x). */
  where: SQL;
  score: SQL;
}

export function textMatch(parsed: ParsedQuery, relaxed: boolean, fuzzy: ReadonlySet<string>): TextMatch | null {
  const text = parsed.text.toLowerCase();
  const exact = sql`(m.slug = ${text} OR lower(m.name) = ${text})`;
  const fuzzyWords: string[] = [];
  // Per word group: does the model contain the user's own word, or only one of its expansions?
  const groups = parsed.termGroups
    .map((g) => {
      const tsq = groupTsQuery(g);
      const ownTsq = groupTsQuery(g.slice(0, 1));
      const word = (g[0] ?? '').toLowerCase();
      const any: SQL[] = [];
      const own: SQL[] = [];
      if (tsq) any.push(sql`m.search_doc @@ to_tsquery('english', ${tsq})`);
      if (ownTsq) own.push(sql`m.search_doc @@ to_tsquery('english', ${ownTsq})`);
      // The relaxed pass matches on real words only: one fuzzy hit must not make a result.
      if (!relaxed && fuzzy.has(word)) {
        fuzzyWords.push(word);
        // `<%` (threshold 0.6) can use the trigram index; the stricter similarity then filters.
        const close = sql`(${word} <% m.search_text AND word_similarity(${word}, m.search_text) >= ${FUZZY_THRESHOLD})`;
        any.push(close);
        own.push(close);
      }
      return any.length
        ? { any: sql`(${sql.join(any, sql` OR `)})`, own: own.length ? sql`(${sql.join(own, sql` OR `)})` : sql`FALSE` }
        : null;
    })
    .filter((x): x is { any: SQL; own: SQL } => x !== null);

  if (groups.length === 0) {
    // Only constraints were given ("CPU only", "under 16 GB"): every model that meets them matches.
    return null;
  }
  const need = relaxed ? 1 : Math.ceil(groups.length * 0.6);
  const all = parsed.termGroups.map(groupTsQuery).filter((x): x is string => x !== null);
  const anyQuery = all.length ? sql`to_tsquery('english', ${all.map((q) => `(${q})`).join(' | ')})` : null;
  const candidates = sql.join(
    [
      exact,
      ...(anyQuery ? [sql`m.search_doc @@ ${anyQuery}`] : []),
      ...fuzzyWords.map((w) => sql`${w} <% m.search_text`),
    ],
    sql` OR `,
  );
  const rank = anyQuery ? sql`ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', m.search_doc, ${anyQuery}, 1)` : sql`0`;
  // The user's own words rank above the vocabulary's expansions of them.
  const own = parsed.termGroups.map((g) => groupTsQuery(g.slice(0, 1))).filter((x): x is string => x !== null);
  const ownRank = own.length
    ? sql`ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', m.search_doc, to_tsquery('english', ${own.map((q) => `(${q})`).join(' | ')}), 1)`
    : sql`0`;
  const fuzzyScore = fuzzyWords.length
    ? sql`greatest(${sql.join(fuzzyWords.map((w) => sql`word_similarity(${w}, m.search_text)`), sql`, `)})`
    : sql`0`;
  const taskHint = parsed.tasks.length
    ? sql`(m.tasks && ARRAY[${sql.join(parsed.tasks.map((t) => sql`${t}`), sql`, `)}]::text[])::int`
    : sql`0`;
  const columns = sql`${exact}::int AS t_exact, (${sql.join(groups.map((g) => sql`(${g.any})::int`), sql` + `)}) AS t_coverage,
    (${sql.join(groups.map((g) => sql`(${g.own})::int`), sql` + `)}) AS t_own_coverage,
    ${rank}::float8 AS t_rank, ${ownRank}::float8 AS t_own, ${fuzzyScore}::float8 AS t_fuzzy, ${taskHint} AS t_task,
    (coalesce(v.maturity, '') = 'production')::int AS t_prod,
    (coalesce(v.lifecycle, '') IN ('deprecated', 'retired'))::int AS t_old`;
  // A group matched by the user's own word counts 10, by an expansion only 6.
  const score = sql`(100 * x.t_exact + 6 * x.t_coverage + 4 * x.t_own_coverage + 20 * x.t_own + 5 * x.t_rank
    + 3 * x.t_fuzzy + 3 * x.t_task + 0.5 * x.t_prod - 2 * x.t_old)`;
  return { candidates: sql`(${candidates})`, columns, where: sql`(x.t_exact = 1 OR x.t_coverage >= ${need})`, score };
}
