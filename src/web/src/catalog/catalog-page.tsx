/** Route "/": search the catalog, narrow it with facets, page through the results. */
import { Alert, Box, Button, Container, Grid, Stack, Text, Title } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { useEffect, useMemo } from 'react';
import { isApiError } from '../api/client';
import { useSearch } from '../api/queries';
import { ErrorAlert } from '../components/error-alert';
import { ActiveFilters } from './active-filters';
import { FacetSidebar } from './facet-sidebar';
import { Pager } from './pager';
import { ResultList, ResultSkeletons } from './result-list';
import { ResultsToolbar } from './results-toolbar';
import { SearchBox } from './search-box';
import {
  PAGE_SIZE,
  clearFilters,
  effectiveSort,
  hasFilters,
  toApiParams,
  toggleValue,
  withChoice,
  withCursor,
  withIgnored,
  withQuery,
  withSort,
} from './search-state';
import { useSearchState } from './use-search-state';

export function CatalogPage() {
  const nav = useSearchState();
  const { state } = nav;
  const apiParams = useMemo(() => toApiParams(state), [state]);
  const search = useSearch(apiParams);
  const data = search.data;

  useEffect(() => {
    document.title = state.q ? `${state.q} · Model Garden` : 'Model Garden';
  }, [state.q]);

  const onChoice = (key: 'fitsInGb' | 'minContext' | 'cpu', value: string | null) => {
    if (key === 'cpu') nav.update(withChoice(state, 'cpu', value === null ? null : value === 'true'));
    else nav.update(withChoice(state, key, value === null ? null : Number(value)));
  };
  const clearAll = () => nav.update(clearFilters(state));
  const showSkeletons = search.isPending || (search.isPlaceholderData && search.isFetching && !data?.items.length);
  const page = nav.prevCursors.length + 1;

  return (
    <Container size={1500} px="lg" py="lg">
      <Stack gap={4} mb="lg">
        <Title order={1} size="h3">
          Find an approved model
        </Title>
        <Text c="dimmed" size="sm">
          Describe the job and the hardware you have. Each model shows its maturity, review status and what it is approved for.
        </Text>
        <Box mt={8}>
          <SearchBox
            value={state.q}
            // Typing from an empty box starts a new history entry; refining it replaces that entry.
            onSearch={(q, { typing }) => nav.update(withQuery(state, q), { replace: typing && state.q !== '' })}
          />
        </Box>
      </Stack>

      <Grid gap="lg" align="flex-start">
        <Grid.Col span={{ base: 12, sm: 4, md: 3 }} miw={0}>
          <a
            href="#search-results"
            className="skip-link"
            onClick={(e) => {
              // Move focus without a new history entry (the entry's state holds the page cursors).
              e.preventDefault();
              document.getElementById('search-results')?.focus();
            }}
          >
            Skip the filters, go to the results
          </a>
          <FacetSidebar
            state={state}
            facets={data?.facets}
            loading={search.isPending}
            onToggle={(name, v) => nav.update(toggleValue(state, name, v))}
            onChoice={onChoice}
            onClear={clearAll}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 8, md: 9 }} miw={0}>
          <Stack gap="md" component="section" aria-label="Search results" id="search-results" tabIndex={-1} style={{ outline: 'none' }}>
            <ResultsToolbar
              total={search.isPending ? null : (data?.total ?? 0)}
              failed={search.isError}
              hasQuery={state.q !== ''}
              sort={effectiveSort(state)}
              fetching={search.isFetching}
              onSort={(s) => nav.update(withSort(state, s))}
            />
            <ActiveFilters
              state={state}
              constraints={data?.query?.constraints ?? []}
              ignored={data?.query?.ignored ?? []}
              onToggle={(name, v) => nav.update(toggleValue(state, name, v))}
              onChoice={(key) => onChoice(key, null)}
              onClear={clearAll}
              onIgnore={(id) => nav.update(withIgnored(state, id))}
              onRestoreIgnored={(id) => nav.update({ ...state, ignore: id ? state.ignore.filter((x) => x !== id) : [], cursor: null })}
            />
            {search.isError && (
              <ErrorAlert
                error={search.error}
                title="The search failed"
                action={<RecoveryAction error={search.error} onFirstPage={() => nav.update(withCursor(state, null), { replace: true })} onClear={clearAll} />}
              />
            )}
            {(data?.query?.corrections.length ?? 0) > 0 && data && data.items.length > 0 && (
              <Text size="sm" c="dimmed" data-testid="corrections">
                {data.query?.corrections.map((c) => (
                  <span key={c.from}>
                    No model mentions “{c.from}”; showing results for{' '}
                    <Text span fw={600} c="dark">
                      {c.to.join(', ')}
                    </Text>
                    .{' '}
                  </span>
                ))}
              </Text>
            )}
            {data?.message && data.items.length > 0 && (
              <Alert variant="light" color="blue" icon={<IconInfoCircle aria-hidden />} role="status">
                {data.message}
              </Alert>
            )}
            {showSkeletons ? (
              <ResultSkeletons />
            ) : data ? (
              <Box style={{ opacity: search.isPlaceholderData ? 0.6 : 1, transition: 'opacity 150ms' }} aria-busy={search.isFetching}>
                <ResultList
                  items={data.items}
                  message={data.message}
                  canClear={state.q !== '' || hasFilters(state)}
                  onClear={() => nav.update(clearFilters(withQuery(state, '')))}
                />
                <Pager
                  page={page}
                  pageCount={data.total > 0 ? Math.ceil(data.total / PAGE_SIZE) : null}
                  hasPrevious={page > 1}
                  nextCursor={data.nextCursor}
                  onPrevious={nav.previousPage}
                  onNext={(c) => {
                    nav.nextPage(c);
                    window.scrollTo({ top: 0 });
                  }}
                />
              </Box>
            ) : null}
          </Stack>
        </Grid.Col>
      </Grid>
    </Container>
  );
}

/** What the user can do about a failed search: a stale cursor or an unknown filter value in a shared link. */
function RecoveryAction({ error, onFirstPage, onClear }: { error: unknown; onFirstPage(): void; onClear(): void }) {
  if (isApiError(error) && error.code === 'INVALID_CURSOR') {
    return (
      <Button size="xs" variant="light" color="red" onClick={onFirstPage}>
        Back to the first page
      </Button>
    );
  }
  if (isApiError(error) && (error.code === 'UNKNOWN_FACET' || error.code === 'INVALID_INPUT')) {
    return (
      <Button size="xs" variant="light" color="red" onClick={onClear}>
        Clear filters
      </Button>
    );
  }
  return null;
}
