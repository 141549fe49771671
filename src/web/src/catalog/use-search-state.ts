/**
 * The catalog's search state, read from and written to the URL. Pagination keeps a stack of the
 * cursors of earlier pages in the history entry's state, so "Previous" and the browser's back
 * button both work; a shared link to a later page still has "Previous" (back to the first page).
 */
import { useCallback, useMemo } from 'react';
import { useLocation, useSearchParams } from 'react-router-dom';
import { readSearchState, withCursor, writeSearchState, type SearchState } from './search-state';

interface HistoryState {
  /** Cursors of earlier pages, oldest first; '' stands for the first page. */
  prevCursors?: string[];
}

export interface SearchNavigation {
  state: SearchState;
  /** Earlier pages of this result list (for "Previous" and the page number). */
  prevCursors: string[];
  update(next: SearchState, opts?: { replace?: boolean }): void;
  nextPage(cursor: string): void;
  previousPage(): void;
}

export function useSearchState(): SearchNavigation {
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const state = useMemo(() => readSearchState(params), [params]);
  const prevCursors = useMemo(() => {
    const stack = (location.state as HistoryState | null)?.prevCursors;
    if (Array.isArray(stack) && stack.every((c) => typeof c === 'string')) return stack;
    return state.cursor ? [''] : [];
  }, [location.state, state.cursor]);

  const update = useCallback(
    (next: SearchState, opts?: { replace?: boolean }) => {
      setParams(writeSearchState(next), { replace: opts?.replace ?? false, state: { prevCursors: [] } satisfies HistoryState });
    },
    [setParams],
  );

  const nextPage = useCallback(
    (cursor: string) => {
      const stack = [...prevCursors, state.cursor ?? ''];
      setParams(writeSearchState(withCursor(state, cursor)), { state: { prevCursors: stack } satisfies HistoryState });
    },
    [prevCursors, setParams, state],
  );

  const previousPage = useCallback(() => {
    const stack = prevCursors.slice(0, -1);
    const cursor = prevCursors[prevCursors.length - 1] ?? '';
    setParams(writeSearchState(withCursor(state, cursor || null)), { state: { prevCursors: stack } satisfies HistoryState });
  }, [prevCursors, setParams, state]);

  return { state, prevCursors, update, nextPage, previousPage };
}
