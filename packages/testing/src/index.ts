export { gradCheck, scalarGradCheck, type GradCheckResult } from "./grad-check.js";
export { expectClose } from "./close.js";
export { errorCode } from "./error-code.js";
