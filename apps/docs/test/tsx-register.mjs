// Imported first by worker threads that run TypeScript examples (see browser.test.ts): Node 20
// does not pass `--import tsx` on to worker threads, so the loader is registered in the thread.
import { register } from "tsx/esm/api";

register();
