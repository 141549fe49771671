/** Public surface of the catalog domain: other domains import from here only. */
export * from './model.js';
export * from './views.js';
export { createCatalogService, type CatalogService, type UpsertOutcome } from './service.js';
export { runImport, parseImportText, entriesOf, ImportReport, type ImportReportT } from './import.js';
export { summaryColumns, summaryFrom, toSummary, type SummaryRow } from './summary.js';
export { isPublished, seesVersion, visibleSql } from './visibility.js';
export { listTeams, CATALOG_CHANNEL, resolveVersion, refreshModel, wordInModelSql } from './repo.js';
