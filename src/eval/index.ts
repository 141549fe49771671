/** Public surface of the evaluation domain: other domains import from here only. */
export { parseDataset, DEFAULT_MAX_ITEMS, type DatasetItem, type ParseDatasetOptions } from './dataset.js';
export {
  METRICS,
  METRIC_NAMES,
  TASKS,
  computeMetric,
  isMetricFor,
  isMetricName,
  isTask,
  validateSuiteMetrics,
  type MetricInfo,
  type MetricName,
  type RunObservations,
  type Task,
} from './metrics.js';
export { accuracy, exactMatch, lcsLength, macroF1, normaliseAnswer, normaliseLabel, rougeL, rougeLPair, type Prediction } from './quality-metrics.js';
export { errorRate, percentile, throughput } from './run-metrics.js';
export {
  runSuite,
  DEFAULT_CONCURRENCY,
  type RunSuiteOptions,
  type SuiteMetricResult,
  type SuiteRunResult,
  type SuiteSample,
} from './run-suite.js';
export { automaticSuitesFor } from './automatic.js';
export { CATALOG_TASKS, MAX_SUITE_METRICS, SUITE_METRICS, isCatalogTask, validateSuite, type CatalogTask } from './suite-rules.js';
