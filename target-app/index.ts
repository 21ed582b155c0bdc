// The reference target's public pieces, for the launcher and for tests that run it in-process.
export { TARGET_DEFAULTS, TARGET_MODES, isLoopbackAddress, isLoopbackHost, targetConfig } from './config.js';
export type { TargetConfig, TargetMode } from './config.js';
export { TARGET_USAGE, parseTargetArgs, wantsHelp } from './args.js';
export { createTargetServer, urlOf } from './server.js';
export type { TargetServer, TargetServerOptions } from './server.js';
export { FixedJobStore, LeakyJobStore, createJobStore } from './job-store.js';
export type { Job, JobStatus, JobStore, JobUpload } from './job-store.js';
export { METRIC_JOBS_HELD, METRIC_RESULT_BYTES_HELD } from './metrics.js';
