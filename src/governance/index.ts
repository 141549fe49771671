export { checkUse, type PolicyDecision, type PolicyVersion, type UseRequest } from './policy.js';
export { createWorkflowService, registerSuite, SCAN_QUEUE, type Stage, type SubmissionView, type WorkflowService } from './workflow.js';
export { registerScanJob } from './scan-job.js';
