export { checkUse, type PolicyDecision, type PolicyVersion, type UseRequest } from './policy.js';
export { createSuiteService, registerSuite, type SuiteInput, type SuiteService } from './suites.js';
export { createUseCheck, type UseCheck } from './use-check.js';
export { createWorkflowService, SCAN_QUEUE, type Stage, type SubmissionView, type WorkflowService } from './workflow.js';
export { registerScanJob } from './scan-job.js';
