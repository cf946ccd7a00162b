/** Types of `approvals-queue.js` the tests read. */
export declare const ARMING_MS: number;
