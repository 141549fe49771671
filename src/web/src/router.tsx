/** Client-side routes. The server answers every non-API GET with index.html, so deep links work. */
import { createBrowserRouter } from 'react-router-dom';
import { CatalogPage } from './catalog/catalog-page';
import { AppLayout } from './components/app-layout';
import { NotFoundPage } from './components/not-found-page';
import { ModelPage } from './model/model-page';

export const router = createBrowserRouter([
  {
    element: <AppLayout />,
    children: [
      { path: '/', element: <CatalogPage /> },
      { path: '/models/:slug', element: <ModelPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);
