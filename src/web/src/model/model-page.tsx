/** Route "/models/:slug": one model, shown at the version chosen in ?version (default: the head). */
import { Alert, Container, Stack, Tabs } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { useEffect, useMemo } from 'react';
import { useParams, useSearchParams } from 'react-router-dom';
import { isApiError } from '../api/client';
import { useModel } from '../api/queries';
import type { ModelDetail } from '../api/types';
import { ErrorAlert } from '../components/error-alert';
import { NotFoundPage } from '../components/not-found-page';
import { newestFirst } from '../lib/refs';
import { BenchmarksTab } from './benchmarks-tab';
import { CompatibilityTab } from './compatibility-tab';
import { DeployTab } from './deploy-tab';
import { DeprecationBanner } from './deprecation-banner';
import { FilesTab } from './files-tab';
import { HardwareTab } from './hardware-tab';
import { LineageTab } from './lineage-tab';
import { ModelHeader } from './model-header';
import { ModelPageSkeleton } from './model-page-skeleton';
import { ReviewTab } from './review/review-tab';
import { OverviewTab } from './overview-tab';
import { VersionsTab } from './versions-tab';

const TABS = ['overview', 'hardware', 'benchmarks', 'compatibility', 'files', 'lineage', 'versions', 'review', 'deploy'] as const;
type Tab = (typeof TABS)[number];

export function ModelPage() {
  const { slug = '' } = useParams();
  const query = useModel(slug);

  if (query.isPending) return <ModelPageSkeleton />;
  if (query.isError) {
    if (isApiError(query.error) && query.error.status === 404) {
      return (
        <NotFoundPage
          title="Model not found"
          description={`There is no model “${slug}” in the catalog. It may have been renamed or removed, or the link is mistyped.`}
        />
      );
    }
    return (
      <Container size="lg" py="xl">
        <ErrorAlert error={query.error} title="The model could not be loaded" />
      </Container>
    );
  }
  return <ModelView model={query.data} />;
}

function ModelView({ model }: { model: ModelDetail }) {
  const [params, setParams] = useSearchParams();
  const versions = useMemo(() => newestFirst(model.versions), [model.versions]);
  const headVersion = model.head?.version ?? versions[0]?.version ?? null;
  const asked = params.get('version');
  const selected = versions.find((v) => v.version === asked) ?? versions.find((v) => v.version === headVersion) ?? versions[0] ?? null;
  const tabParam = params.get('tab');
  const tab: Tab = (TABS as readonly string[]).includes(tabParam ?? '') ? (tabParam as Tab) : 'overview';

  useEffect(() => {
    document.title = `${model.name}${selected ? ` ${selected.version}` : ''} · Model Garden`;
  }, [model.name, selected]);

  const setParam = (key: string, value: string | null, replace: boolean) => {
    const next = new URLSearchParams(params);
    if (value === null) next.delete(key);
    else next.set(key, value);
    setParams(next, { replace });
  };
  const selectVersion = (v: string) => setParam('version', v === headVersion ? null : v, false);

  return (
    <Container size={1280} px="lg" py="lg">
      <Stack gap="lg">
        <ModelHeader model={model} versions={versions} selected={selected} headVersion={headVersion} onSelectVersion={selectVersion} />
        {asked && selected && asked !== selected.version && (
          <Alert color="yellow" variant="light" icon={<IconInfoCircle aria-hidden />}>
            Version {asked} does not exist; showing {selected.version}.
          </Alert>
        )}
        {!selected ? (
          <Alert color="gray" variant="light" icon={<IconInfoCircle aria-hidden />} title="No versions yet">
            This model has no published version. Its owner team ({model.ownerTeam}) has not submitted one.
          </Alert>
        ) : (
          <>
            <DeprecationBanner slug={model.slug} version={selected} />
            <Tabs value={tab} onChange={(t) => setParam('tab', t === 'overview' ? null : t, true)} keepMounted={false}>
              <Tabs.List mb="lg">
                <Tabs.Tab value="overview">Overview</Tabs.Tab>
                <Tabs.Tab value="hardware">Hardware</Tabs.Tab>
                <Tabs.Tab value="benchmarks">Benchmarks ({selected.benchmarks.length})</Tabs.Tab>
                <Tabs.Tab value="compatibility">Compatibility</Tabs.Tab>
                <Tabs.Tab value="files">Files</Tabs.Tab>
                <Tabs.Tab value="lineage">Lineage</Tabs.Tab>
                <Tabs.Tab value="versions">Versions ({versions.length})</Tabs.Tab>
                <Tabs.Tab value="review">Review</Tabs.Tab>
                <Tabs.Tab value="deploy">Deploy &amp; evaluate</Tabs.Tab>
              </Tabs.List>
              <Tabs.Panel value="overview">
                <OverviewTab model={model} version={selected} />
              </Tabs.Panel>
              <Tabs.Panel value="hardware">
                <HardwareTab version={selected} />
              </Tabs.Panel>
              <Tabs.Panel value="benchmarks">
                <BenchmarksTab slug={model.slug} version={selected} />
              </Tabs.Panel>
              <Tabs.Panel value="compatibility">
                <CompatibilityTab version={selected} />
              </Tabs.Panel>
              <Tabs.Panel value="files">
                <FilesTab key={selected.version} slug={model.slug} version={selected.version} draft={selected.lifecycle === 'draft'} />
              </Tabs.Panel>
              <Tabs.Panel value="lineage">
                <LineageTab model={model} />
              </Tabs.Panel>
              <Tabs.Panel value="versions">
                <VersionsTab versions={versions} selected={selected.version} headVersion={headVersion} onSelect={selectVersion} />
              </Tabs.Panel>
              <Tabs.Panel value="review">
                <ReviewTab key={selected.version} slug={model.slug} version={selected.version} ownerTeam={model.ownerTeam} lifecycle={selected.lifecycle} />
              </Tabs.Panel>
              <Tabs.Panel value="deploy">
                <DeployTab key={selected.version} slug={model.slug} version={selected.version} ownerTeam={model.ownerTeam} tasks={model.tasks} approvedUseCases={selected.approvedUseCases} maturity={selected.maturity} />
              </Tabs.Panel>
            </Tabs>
          </>
        )}
      </Stack>
    </Container>
  );
}
