// Adds up the vitest JSON reports that every package's `test` script writes to .vitest/results.json
// and prints the one closing line CI reads: "N passed, N failed, N skipped".
// Exits non-zero when a test failed, a suite failed to load, or no report was found.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

let passed = 0;
let failed = 0;
let skipped = 0;
let reports = 0;
let brokenSuites = 0;
for (const group of ["packages", "apps"]) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    const file = join(group, name, ".vitest", "results.json");
    if (!existsSync(file)) continue;
    const report = JSON.parse(readFileSync(file, "utf8"));
    reports++;
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    // A file that fails to import has no tests but a failed suite: count it as a failure.
    for (const suite of report.testResults ?? []) {
      if (suite.status === "failed" && (suite.assertionResults ?? []).length === 0) brokenSuites++;
    }
    console.log(`${join(group, name)}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
  }
}
failed += brokenSuites;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || reports === 0 || passed === 0 ? 1 : 0);
