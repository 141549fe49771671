/** Client-side routes. The server answers every non-API GET with index.html, so deep links work. */
import { createBrowserRouter } from 'react-router-dom';
import { CatalogPage } from './catalog/catalog-page';
import { AppLayout } from './components/app-layout';
import { NotFoundPage } from './components/not-found-page';
import { ModelPageSkeleton } from './model/model-page-skeleton';

export const router = createBrowserRouter([
  {
    element: <AppLayout />,
    children: [
      { path: '/', element: <CatalogPage /> },
      {
        path: '/models/:slug',
        // The model page (Markdown rendering included) loads on first visit, keeping the catalog light.
        lazy: async () => ({ Component: (await import('./model/model-page')).ModelPage }),
        HydrateFallback: ModelPageSkeleton,
      },
      { path: '/reviews', lazy: async () => ({ Component: (await import('./reviews/reviews-page')).ReviewsPage }) },
      { path: '/admin', lazy: async () => ({ Component: (await import('./admin/admin-page')).AdminPage }) },
      { path: '/tokens', lazy: async () => ({ Component: (await import('./tokens/tokens-page')).TokensPage }) },
      { path: '/endpoints', lazy: async () => ({ Component: (await import('./endpoints/endpoints-page')).EndpointsPage }) },
      { path: '/playground/:id', lazy: async () => ({ Component: (await import('./playground/playground-page')).PlaygroundPage }) },
      { path: '/compare', lazy: async () => ({ Component: (await import('./compare/compare-page')).ComparePage }) },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);
