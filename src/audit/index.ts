export { appendAudit, canonicalJson, eventHash, verifyChain, type AuditEvent, type AuditInput, type VerifyResult } from './chain.js';
export { createAuditService, type AuditFilter, type AuditService } from './service.js';
