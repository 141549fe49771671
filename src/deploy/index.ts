export * from './ports/engine.js';
export * from './template-schema.js';
export * from './views.js';
export { createTemplateService, seedTemplates, type TemplateService, type TemplateView } from './templates.js';
export { createLimitService, EvalLimits, TeamQuota, type LimitService } from './limits.js';
export { createDeploymentService, type DeploymentService } from './service.js';
export { createLocalProcessEngine, quantityToMb } from './adapters/local-process.js';
export { DeploymentSpec, DeploymentTeam, SingleLine, parseDeploymentSpec, splitModelRef } from './spec.js';
