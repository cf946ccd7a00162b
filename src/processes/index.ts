export type { OutputStream, ProcessExit, ProcessHandlers, ProcessRunner, ProcessSpec, RunningProcess } from './process-runner.js';
export { createExecaRunner } from './execa-runner.js';
export { MemoryProcessRunner, type FakeProcess } from './memory-runner.js';
export { killProcessTree, groupAlive, livingGroupMembers } from './kill-tree.js';
export { resolveLoginPath, mergePaths, userLoginShell } from './login-path.js';
export { buildChildEnv, ChildEnvironments, type ChildEnvRequest } from './child-env.js';
export { resolveExecutable } from './resolve-executable.js';
